"""Handing a staged batch on: its three steps chained on their queues, by their task names, so
that any process holding a Celery app (a worker, the CLI, the API taking events) queues a batch
the same way without importing the tasks."""

from __future__ import annotations

from celery import Celery, chain
from celery.canvas import Signature

MATCH = "tasks.pipeline.match_batch"
UPSERT = "tasks.pipeline.upsert_batch"
RISK = "tasks.pipeline.update_risk"


def batch_chain(celery_app: Celery, batch_id: int) -> Signature:
    """identity match -> upsert -> risk update, each on its own queue."""
    return chain(
        *(
            celery_app.signature(name, args=(batch_id,), immutable=True)
            for name in (MATCH, UPSERT, RISK)
        )
    )


def enqueue_batches(celery_app: Celery, batch_ids: list[int]) -> None:
    for batch_id in batch_ids:
        batch_chain(celery_app, batch_id).apply_async()
