"""Outages of the Brain's database and of the broker, on servers of the test's own so they can
be stopped: the same worker and beat live through both, and the Brain converges to the
sources' exact content. And a worker that dies anyway under `c360 run` is started again.

Celery 5.7.0's worker died here: on losing the broker it closed its connection, whose channel
restored its unacknowledged messages (tasks waiting out their retries while the database was
down) through a transport already detached from the connection, and kombu's Redis transport
raised AttributeError ("'NoneType' object has no attribute 'hostname'") past the handler that
ignores connection errors: "Unrecoverable error", exit. setup.cfg keeps Celery below 5.7.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from sqlalchemy import create_engine

from app import processes
from app.celeryconfig import celery_config
from app.config import Settings
from app.migrate import upgrade
from app.waiting import wait_until
from sandbox.replica import ScratchServer, scratch_server
from sandbox.simulator import Simulator
from sandbox.sources import create_sources, drop_sources
from tests.conftest import free_port
from tests.faults.conftest import FAULT_ENV
from tests.faults.test_faults import (
    assert_core_matches,
    c360,
    in_flight,
    load_core,
    start_pipeline,
    wait_for_core,
    wait_for_database,
)
from tests.pipeline.conftest import Pipeline

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

DATABASE_DOWN_S = 6
BROKER_DOWN_S = 20


@dataclass
class RedisServer:
    """A redis-server of the test's own, without persistence (as the production broker may be:
    the sweeper re-queues what it loses)."""

    port: int
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or str(Path(sys.executable).with_name("redis-server"))
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=(self.folder / "redis.log").open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(self._answers, timeout=10, interval=0.1, what="redis-server started")

    def _answers(self) -> bool:
        ping = ["redis-cli", "-p", str(self.port), "ping"]
        return subprocess.run(ping, capture_output=True).stdout.strip() == b"PONG"

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()  # a crash: nothing saved, connections dropped
            self.process.wait()
            self.process = None


@pytest.fixture
def own_services(
    source_urls: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Pipeline, ScratchServer, RedisServer]]:
    """The Brain on a PostgreSQL of its own, the broker on a Redis of its own, empty sources;
    nothing running yet."""
    for key, value in FAULT_ENV.items():
        monkeypatch.setenv(key, value)
    redis = RedisServer(free_port(), tmp_path)
    with scratch_server(free_port()) as server:
        redis.start()
        monkeypatch.setenv("C360_DATABASE_URL", server.url)
        monkeypatch.setenv("C360_REDIS_URL", redis.url)
        upgrade(server.url)
        drop_sources(source_urls)
        create_sources(source_urls, sample=False)
        engine = create_engine(server.url)
        handle = Pipeline(engine, source_urls, tmp_path, {})
        try:
            yield handle, server, redis
        finally:
            handle.stop()
            engine.dispose()
            redis.stop()
            drop_sources(source_urls)


def test_every_process_lives_through_a_database_crash_then_a_broker_outage(own_services):
    pipeline, server, redis = own_services
    load_core(pipeline.source_urls["core"])
    start_pipeline(pipeline)
    api = f"http://127.0.0.1:{free_port()}"
    flower = f"http://127.0.0.1:{free_port()}"
    pipeline.start(
        api=processes.api_command(int(api.rsplit(":", 1)[1]), workers=1),
        flower=processes.flower_command(int(flower.rsplit(":", 1)[1])),
        relay=processes.relay_command(),
    )
    pipeline.wait_until(lambda: _answers(f"{flower}/healthcheck"), 60, "Flower")
    backfill = c360("backfill", "core")
    assert backfill.returncode == 0, backfill.stderr
    pipeline.wait_until(lambda: in_flight(pipeline), 120, "batches in flight")
    running = {name: child.pid for name, child in pipeline.children.items()}

    server.crash()
    assert _health(api) == (503, {"database": "down", "broker": "ok"})
    status, body, headers = _get(f"{api}/customer/00000000-0000-0000-0000-000000000000")
    assert (status, headers.get("Retry-After")) == (503, "5")
    assert body["message"] == "The database is unreachable; try again shortly"
    time.sleep(DATABASE_DOWN_S)
    server.start()
    wait_for_database(pipeline.engine)
    pipeline.wait_until(lambda: _told(pipeline, "beat", "database reachable again"), 30, "beat")
    redis.stop()
    assert _health(api) == (503, {"database": "ok", "broker": "down"})
    time.sleep(BROKER_DOWN_S)
    redis.start()

    wait_for_core(pipeline)  # fails as soon as a process has died
    pipeline.wait_until(lambda: _backfills_ended(pipeline), 120, "the backfill done")
    assert {name: child.pid for name, child in pipeline.children.items()} == running
    assert all(child.poll() is None for child in pipeline.children.values())
    assert_core_matches(pipeline)
    assert _health(api)[0] == 200
    # Flower captures events again: the worker it lists is online
    pipeline.wait_until(lambda: _told(pipeline, "flower", "broker reachable again"), 60, "Flower")

    # each outage told in two lines by each process that met it, and no traceback
    for name in ("worker", "beat"):
        for service in ("database", "broker"):
            assert _told(pipeline, name, f"{service} unreachable") == 1, (name, service)
            assert _told(pipeline, name, f"{service} reachable again") == 1, (name, service)
    assert _told(pipeline, "flower", "broker unreachable") == 1
    assert _told(pipeline, "api", "database unreachable") == 1
    assert _told(pipeline, "relay", "database unreachable") == 1
    assert _told(pipeline, "relay", "database reachable again") == 1
    for name in pipeline.children:
        assert "Traceback" not in _log(pipeline, name), name
    # beat sent nothing while the broker was down, and on its return each due entry once
    beat = _log(pipeline, "beat").splitlines()
    down = next(i for i, line in enumerate(beat) if "broker unreachable" in line)
    back = next(i for i, line in enumerate(beat) if "broker reachable again" in line)
    assert not [line for line in beat[down:back] if "Sending due task" in line]
    sent_on_return = []
    for line in beat[back:]:
        if "Sending due task" in line:
            entry = line.split("Sending due task ")[1].split()[0]
            if entry in sent_on_return:
                break
            sent_on_return.append(entry)
    assert 0 < len(sent_on_return) <= len(celery_config(Settings.from_env())["beat_schedule"])


def _log(pipeline: Pipeline, name: str) -> str:
    return (pipeline.workdir / f"{name}.log").read_text()


def _told(pipeline: Pipeline, name: str, event: str) -> int:
    """How many of the process's log lines tell this event."""
    return sum(f'"event": "{event}' in line for line in _log(pipeline, name).splitlines())


def _get(url: str) -> tuple[int, dict, dict[str, str]]:
    """Status, JSON body and headers of a GET (with a key: checking it needs the database),
    whatever its status."""
    request = urllib.request.Request(url, headers={"Authorization": "Bearer not-a-known-key"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def _health(api: str) -> tuple[int, dict[str, str]]:
    status, body, _ = _get(f"{api}/health")
    return status, {key: body[key]["status"] for key in ("database", "broker")}


def _backfills_ended(pipeline: Pipeline) -> bool:
    return pipeline.scalar("SELECT count(*) FROM backfill WHERE status <> 'extracted'") == 0


def test_a_worker_killed_under_c360_run_is_started_again(pipeline, tmp_path):
    errors = tmp_path / "run.err"
    run = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "run", "--port", str(free_port()),
         "--flower-port", str(free_port())],
        stdout=subprocess.DEVNULL, stderr=errors.open("wb"), start_new_session=True,
    )  # fmt: skip
    try:
        first = pipeline.wait_until(lambda: _worker_of(run), 60, "the worker under c360 run")
        os.killpg(first, signal.SIGKILL)
        restarted = pipeline.wait_until(
            lambda: (pid := _worker_of(run)) != first and pid, 60, "the worker started again"
        )
        told = errors.read_text()
        assert "worker exited with status -9; starting it again in 1 s" in told
        assert f"worker started again (pid {restarted})" in told
        # and it works: a new core customer lands
        simulator = Simulator(pipeline.source_urls, seed=61)
        try:
            person = simulator.new_customer()
        finally:
            simulator.close()
        pipeline.wait_until(
            lambda: pipeline.owner("core", person["customer_id"]), 60, "the new customer"
        )
        children = psutil.Process(run.pid).children()
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=60)
    assert not [child.pid for child in children if _running(child)]


def _worker_of(run: subprocess.Popen) -> int | None:
    """The pid of the Celery worker `c360 run` started (its main process), once it runs."""
    for child in psutil.Process(run.pid).children():
        try:
            if "worker" in child.cmdline():
                return child.pid
        except psutil.Error:  # a dead one, not yet waited for
            continue
    return None


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
