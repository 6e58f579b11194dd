"""The Celery app and its settings: Redis queues per step, late acks, one beat entry per
configured source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import Celery
from kombu import Queue

from app.config import Settings
from connectors import reads_on_scan_schedule

QUEUES = ("extract", "match", "upsert", "risk", "maintenance")

# Longest a task may run before the worker kills it; well below the broker's visibility timeout
# so a message is never redelivered while its first delivery is still being worked on.
VISIBILITY_TIMEOUT_S = 3600
TIME_LIMITS_S = {"extract": 900, "match": 300, "upsert": 300, "risk": 300, "maintenance": 120}


def beat_schedule_path() -> str:
    folder = Path.cwd() / "celerybeat-schedule"
    folder.mkdir(exist_ok=True)
    return str(folder / "beat-state")


def celery_config(settings: Settings) -> dict[str, Any]:
    poll = settings.poll_interval
    schedule = {
        f"extract-{source}": {
            "task": "tasks.extract.extract_source",
            "schedule": poll,
            "args": (source,),
            # a poll not started within one interval is superseded by the next one
            "options": {"queue": "extract", "expires": max(poll, 1.0) * 5},
        }
        for source in settings.source_urls
    }
    for source in settings.source_urls:
        if reads_on_scan_schedule(source):
            schedule[f"scan-{source}"] = {
                "task": "tasks.extract.scan_source",
                "schedule": settings.scan_interval,
                "args": (source,),
                "options": {"queue": "extract", "expires": settings.scan_interval},
            }
    schedule["sweep-stalled-batches"] = {
        "task": "tasks.extract.sweep_stalled_batches",
        "schedule": settings.sweep_interval,
        # its own queue: a backlog of polls during a backfill must not starve it
        "options": {"queue": "maintenance", "expires": settings.sweep_interval},
    }
    schedule["purge-expired"] = {
        "task": "tasks.retention.purge_expired",
        "schedule": settings.purge_interval,
        "options": {"queue": "maintenance", "expires": settings.purge_interval},
    }
    if settings.statistics_interval > 0:
        schedule["refresh-statistics"] = {
            "task": "tasks.statistics.refresh_statistics",
            "schedule": settings.statistics_interval,
            "options": {"queue": "maintenance", "expires": settings.statistics_interval},
        }
    return {
        "broker_url": settings.redis_url,
        "broker_connection_retry_on_startup": True,
        # a broker outage of any length: the worker reconnects until the broker answers (by
        # default it gives up after a set number of attempts, and the worker exits)
        "broker_connection_max_retries": None,
        # a step running when the broker goes finishes and commits (tasks/outage_lines.py)
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "broker_transport_options": {"visibility_timeout": VISIBILITY_TIMEOUT_S},
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_queues": [Queue(name) for name in QUEUES],
        "task_default_queue": "extract",
        "task_routes": {
            "tasks.extract.sweep_stalled_batches": {"queue": "maintenance"},
            "tasks.retention.*": {"queue": "maintenance"},
            "tasks.statistics.*": {"queue": "maintenance"},
            "tasks.extract.*": {"queue": "extract"},
            "tasks.pipeline.match_batch": {"queue": "match"},
            "tasks.pipeline.upsert_batch": {"queue": "upsert"},
            "tasks.pipeline.update_risk": {"queue": "risk"},
        },
        "task_annotations": {
            "tasks.extract.*": {"time_limit": TIME_LIMITS_S["extract"]},
            "tasks.pipeline.match_batch": {"time_limit": TIME_LIMITS_S["match"]},
            "tasks.pipeline.upsert_batch": {"time_limit": TIME_LIMITS_S["upsert"]},
            "tasks.pipeline.update_risk": {"time_limit": TIME_LIMITS_S["risk"]},
        },
        "worker_hijack_root_logger": False,
        # workers report every task to Flower but the polls (send_events=False on them); no
        # "sent" events, which beat would emit for every poll of every source every second
        "worker_send_task_events": True,
        "task_send_sent_event": False,
        "beat_schedule": schedule,
        # only the beat holding the scheduler lock sends anything (see tasks/beat.py)
        "beat_scheduler": "tasks.beat:SingleBeatScheduler",
        "beat_schedule_filename": beat_schedule_path(),
        "timezone": "UTC",
    }


def create_celery(settings: Settings | None = None) -> Celery:
    """The Celery app of the worker, beat, Flower and the CLI, made the default so that the
    `@shared_task`s bind to it. No Flask app behind it (Flask's FlaskTask pattern): no task
    uses the app context, and a worker need not build the HTTP API."""
    celery_app = Celery("c360")
    celery_app.config_from_object(celery_config(settings or Settings.from_env()))
    celery_app.set_default()
    return celery_app
