"""/metrics under two real gunicorn workers: the API's request counts add up across processes,
whichever worker answers the scrape (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app import processes
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 40


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def health_count(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "c360_api_requests_total" and sample.labels == {
                "endpoint": "/health",
                "method": "GET",
                "status": "200",
            }:
                return sample.value
    return 0.0


@pytest.mark.integration
def test_request_metrics_add_up_across_two_gunicorn_workers(database_url, tmp_path):
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{port}", "--workers", "2", "app:create_app()",
    ]  # fmt: skip
    server = processes.start(
        command,
        tmp_path / "gunicorn.log",
        C360_DATABASE_URL=database_url,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if get(f"{base}/health")[0] in (200, 503):
                    break
            except urllib.error.URLError:
                pass
            time.sleep(0.2)
        before = health_count(get(f"{base}/metrics")[1])
        for _ in range(REQUESTS):
            get(f"{base}/health")
        # several scrapes, answered by either worker: each sees every worker's requests
        counts = {health_count(get(f"{base}/metrics")[1]) for _ in range(8)}
        assert counts == {before + REQUESTS}, (counts, (tmp_path / "gunicorn.log").read_text())
    finally:
        processes.stop(server)
