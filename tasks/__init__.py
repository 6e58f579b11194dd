"""Celery entry point: `celery -A tasks worker|beat|flower`.

The Celery app is the one bound to the Flask app (tasks run in its app context); the task
modules are imported so the worker registers them.
"""

from celery.signals import worker_process_init

from app import create_app
from app.db import dispose_engine

flask_app = create_app()
celery = flask_app.extensions["celery"]


@worker_process_init.connect
def _fresh_engine_after_fork(**_: object) -> None:
    # Pooled connections inherited from the parent must not be shared across processes.
    dispose_engine()


from tasks import extract, pipeline  # noqa: E402  (registers the tasks)

__all__ = ["celery", "extract", "flask_app", "pipeline"]
