"""The API's own request metrics, by endpoint (the route's rule, never the IDs in the URL), method
and status, with a latency histogram.

Under gunicorn every worker is a process of its own: with `PROMETHEUS_MULTIPROC_DIR` set (the
repository's `gunicorn.conf.py` sets it) prometheus_client writes each process's values to that
folder and `/metrics` adds them up, whichever worker answers the scrape.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.multiprocess import MultiProcessCollector

# registry=None: registered into each app's own registry (or read from the shared folder)
REQUESTS = Counter(
    "c360_api_requests",
    "API requests answered, by endpoint, method and status",
    ["endpoint", "method", "status"],
    registry=None,
)
LATENCY = Histogram(
    "c360_api_request_duration_seconds",
    "Time to answer an API request, by endpoint and method",
    ["endpoint", "method"],
    registry=None,
)


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def register(registry: CollectorRegistry) -> None:
    """Put the request metrics in a registry: every process's values when several serve."""
    if multiprocess():
        MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)


def init_request_metrics(app: Flask) -> None:
    @app.before_request
    def _start_clock() -> None:
        g.c360_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        started = g.pop("c360_started", None)
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        if started is not None:
            LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - started)
        return response
