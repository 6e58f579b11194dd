"""Celery entry point: `celery -A tasks worker|beat|flower`.

Builds the Celery app (no HTTP API behind it) and imports the task modules so the worker
registers them. Tasks are a few lines each over plain functions of `app.pipeline`.
"""

import logging
import sys

from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    beat_init,
    celeryd_after_setup,
    worker_init,
    worker_process_init,
)

from app.celeryconfig import create_celery
from app.db import dispose_engine
from app.logs import configure_logging, mask_handlers
from app.pipeline import extraction_slots
from app.preflight import NotReady, check_services
from tasks import flower_events, outage_lines, settings

configure_logging()
celery = create_celery()
outage_lines.install(celery.conf.broker_url)
if "flower" in sys.argv[1:]:  # `celery -A tasks flower`
    flower_events.install()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _mask_celery_logs(logger: logging.Logger, **_: object) -> None:
    # Celery's own lines (task failures with their tracebacks, whose psycopg DETAIL quotes row
    # values) are masked like ours before any handler writes them
    mask_handlers(logger)


@worker_process_init.connect
def _fresh_engine_after_fork(**_: object) -> None:
    # Pooled connections inherited from the parent must not be shared across processes.
    dispose_engine()


@celeryd_after_setup.connect
def _extraction_slots(sender: str, instance: object, **_: object) -> None:
    # before the pool forks: every process of this worker shares its slots
    extraction_slots.configure(sender, int(getattr(instance, "concurrency", 2) or 2))


@worker_init.connect
@beat_init.connect
def _services_ready(**_: object) -> None:
    """A worker or beat without its database or broker says so in one line and exits (status
    1, for the supervisor), rather than logging a traceback per poll per source."""
    try:
        check_services(settings.current())
    except NotReady as problem:
        logging.getLogger("c360").error(str(problem))
        raise SystemExit(1) from None


from tasks import extract, pipeline, retention, statistics  # noqa: E402  (registers the tasks)

__all__ = ["celery", "extract", "pipeline", "retention", "statistics"]
