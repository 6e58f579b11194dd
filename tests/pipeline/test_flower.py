"""Flower as an operator uses it: a real Flower process behind its own basic auth, a backfill
started through its HTTP API as docs/operations.md documents, and a bad one failing with its
reason."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request

import pytest

from app import processes
from sandbox.simulator import Simulator
from tests.conftest import free_port

pytestmark = pytest.mark.integration

CREDENTIALS = "ops:s3cret-flower"


def call(base: str, path: str, data: dict | None = None, credentials: str | None = CREDENTIALS):
    """(status, JSON body) of a Flower API call."""
    request = urllib.request.Request(
        base + path, data=json.dumps(data).encode() if data is not None else None
    )
    if credentials:
        token = base64.b64encode(credentials.encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None
    except urllib.error.URLError:
        return None, None  # not listening yet


def test_a_backfill_through_flower_and_a_bad_one_failing(pipeline, monkeypatch):
    monkeypatch.setenv("FLOWER_BASIC_AUTH", CREDENTIALS)
    port = free_port()
    command = processes.flower_command(port)
    assert "--address=0.0.0.0" in command  # credentials configured: it may listen beyond
    pipeline.start(flower=command)
    base = f"http://127.0.0.1:{port}"
    pipeline.wait_until(
        lambda: call(base, "/api/workers?refresh=1")[0] == 200, timeout=30, what="Flower"
    )
    assert call(base, "/api/workers", credentials=None)[0] == 401
    assert call(base, "/api/workers", credentials="ops:wrong")[0] == 401

    simulator = Simulator(pipeline.source_urls, seed=43)
    try:
        simulator.new_customer()
    finally:
        simulator.close()
    pipeline.wait_until(lambda: pipeline.scalar("SELECT count(*) FROM source_customer"), 30)

    def started(args: list) -> dict:
        status, body = call(
            base, "/api/task/async-apply/tasks.extract.start_backfill", {"args": args}
        )
        assert status == 200, status
        task = body["task-id"]

        def finished():
            status, info = call(base, f"/api/task/info/{task}")
            return info if status == 200 and info["state"] in ("SUCCESS", "FAILURE") else None

        return pipeline.wait_until(finished, timeout=30, what=f"start_backfill{args}")

    good = started(["core", "2026-01-01T00:00:00Z"])
    assert good["state"] == "SUCCESS"
    assert pipeline.scalar("SELECT count(*) FROM backfill WHERE source_system = 'core'") == 1

    unknown = started(["nosuch", "2026-01-01T00:00:00Z"])
    assert unknown["state"] == "FAILURE"
    assert "'nosuch' is not a configured source" in unknown["exception"]
    naive = started(["core", "2026-01-01T00:00:00"])
    assert naive["state"] == "FAILURE" and "has no offset" in naive["exception"]
    assert pipeline.scalar("SELECT count(*) FROM backfill") == 1

    # polls send no task events: Flower lists the real work
    time.sleep(2)
    _, tasks = call(base, "/api/tasks")
    names = {task["name"] for task in tasks.values()}
    assert "tasks.extract.extract_source" not in names
    assert "tasks.extract.start_backfill" in names


def test_without_credentials_flower_listens_on_localhost_only(monkeypatch):
    for name in processes.FLOWER_CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FLOWER_ADDRESS", "0.0.0.0")
    assert "--address=127.0.0.1" in processes.flower_command()
