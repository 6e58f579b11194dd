"""Batch processing tasks: thin wrappers over app.pipeline.steps, chained per batch; a large
batch, once done, asks for a check of the planner's statistics (tasks/statistics.py).

Arguments are batch IDs only; the batch lives in PostgreSQL. Acks are late and a lost worker
requeues the message, so every step is idempotent (see steps.py).
"""

from __future__ import annotations

from collections.abc import Callable

from celery import current_app, shared_task
from celery.utils.time import get_exponential_backoff_interval
from sqlalchemy.exc import InterfaceError, OperationalError

from app.ops.outages import DATABASE, database_answers
from app.pipeline import batches, handoff, steps
from tasks.settings import current
from tasks.statistics import check_after_batch

# Transient failures (database restarting, connection lost) are retried with backoff; the
# total wait stays far below the broker's visibility timeout. Anything else fails the batch.
TRANSIENT = (OperationalError, InterfaceError)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 1,
    "retry_backoff_max": 30,
    "retry_jitter": True,
    "max_retries": 8,
}
OUTAGE_WAIT_MAX_S = 30


def enqueue_batch(batch_id: int) -> None:
    handoff.enqueue_batches(current_app, [batch_id])


@shared_task(name=handoff.MATCH, bind=True, **RETRY)
def match_batch(self, batch_id: int) -> None:
    _run(self, batch_id, lambda: steps.match_step(batch_id, current()))


@shared_task(name=handoff.UPSERT, bind=True, **RETRY)
def upsert_batch(self, batch_id: int) -> None:
    _run(self, batch_id, lambda: steps.upsert_step(batch_id, current()))


@shared_task(name=handoff.RISK, bind=True, **RETRY)
def update_risk(self, batch_id: int) -> None:
    _run(self, batch_id, lambda: steps.risk_step(batch_id))
    check_after_batch(batch_id)


def _run(task, batch_id: int, step: Callable[[], str]) -> None:
    try:
        step()
    except TRANSIENT as error:
        if not database_answers():
            DATABASE.failed(error)
            # however long the database is gone, the batch waits for it (a step's failure
            # could not be recorded anyway); the sweeper is the net if this message is lost
            wait = get_exponential_backoff_interval(1, task.request.retries, OUTAGE_WAIT_MAX_S)
            raise task.retry(exc=error, countdown=wait, max_retries=None) from None
        if task.request.retries >= task.max_retries:
            batches.mark_failed(batch_id, f"{task.name}: gave up after {task.max_retries} retries")
        raise
    except Exception as error:
        batches.mark_failed(batch_id, f"{task.name}: {type(error).__name__}: {error}")
        raise
    DATABASE.answered()
