"""Celery entry point: `celery -A tasks worker|beat|flower`.

The Celery app is the one bound to the Flask app (tasks run in its app context); the task
modules are imported so the worker registers them.
"""

import logging

from celery.signals import beat_init, worker_init, worker_process_init

from app import create_app
from app.config import Settings
from app.db import dispose_engine
from app.preflight import NotReady, check_services

flask_app = create_app()
celery = flask_app.extensions["celery"]


@worker_process_init.connect
def _fresh_engine_after_fork(**_: object) -> None:
    # Pooled connections inherited from the parent must not be shared across processes.
    dispose_engine()


@worker_init.connect
@beat_init.connect
def _services_ready(**_: object) -> None:
    """A worker or beat without its database or broker says so in one line and exits (status
    1, for the supervisor), rather than logging a traceback per poll per source."""
    try:
        check_services(Settings.from_env())
    except NotReady as problem:
        logging.getLogger("c360").error(str(problem))
        raise SystemExit(1) from None


from tasks import extract, pipeline  # noqa: E402  (registers the tasks)

__all__ = ["celery", "extract", "flask_app", "pipeline"]
