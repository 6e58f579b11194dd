"""gunicorn's settings for the API (read from the working directory: `gunicorn 'app:create_app()'`).

Every gunicorn worker is a process of its own: prometheus_client's multiprocess mode writes each
one's request metrics to a folder that `/metrics` adds up, whichever worker answers the scrape.
The folder is set before prometheus_client is imported, emptied when gunicorn starts, and a
worker's files are marked dead when it exits.
"""

import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="c360-prometheus-"))
METRICS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])

from prometheus_client import multiprocess  # noqa: E402 (after the folder is known)

# defaults; gunicorn's own flags override them (`--bind 0.0.0.0:8000` in the image)
bind = "127.0.0.1:8000"
workers = 2
# Threads, because a request spends much of its time waiting for PostgreSQL (its reads, and
# the access log's commit flushing to disk): another request's Python runs meanwhile. And
# unlike sync workers, threaded ones keep a client's connection open between its requests
# (measured against sync workers in docs/scale.md).
worker_class = "gthread"
threads = 4


def on_starting(server) -> None:
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    METRICS_DIR.mkdir(parents=True)


def child_exit(server, worker) -> None:
    multiprocess.mark_process_dead(worker.pid)


def when_ready(server) -> None:
    """One line at start if the database or broker is not ready; the API serves all the same
    (/health answers `down`, data endpoints 503) and recovers when they come."""
    from app.config import Settings
    from app.preflight import NotReady, check_services

    try:
        check_services(Settings.from_env())
    except NotReady as problem:
        server.log.error(str(problem))
