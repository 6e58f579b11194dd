"""A real pipeline for integration tests: Celery worker and beat subprocesses on the test
database, real Redis, and fresh demo source systems (core, channel on PostgreSQL; fraud on
SQLite)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection
from sqlalchemy import Engine, text

from app import db, processes
from app.celeryconfig import QUEUES
from app.config import SOURCE_SYSTEMS, Settings
from app.ops.service import redis_client
from app.pipeline import steps
from app.waiting import wait_until
from sandbox.sources import create_sources, drop_sources
from tests.conftest import environment, truncate_all

POLL_INTERVAL = "0.5"


@pytest.fixture(scope="session")
def source_urls(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    urls = {name: db.sibling_url(database_url, f"_src_{name}") for name in ("core", "channel")}
    urls["fraud"] = f"sqlite:///{tmp_path_factory.mktemp('fraud') / 'risk_management.db'}"
    # only these are polled: dfs and the group's other systems when a test brings them
    variables = {f"C360_SOURCE_{name.upper()}_URL": urls.get(name, "") for name in SOURCE_SYSTEMS}
    with environment(**variables):
        yield urls
    drop_sources(urls)


@dataclass
class Pipeline:
    engine: Engine
    source_urls: dict[str, str]
    workdir: Path
    children: dict[str, Any]

    def wait_until(
        self, condition: Callable[[], Any], timeout: float = 60.0, what: str = "condition"
    ) -> Any:
        def met() -> Any:
            for name, child in self.children.items():
                assert child.poll() is None, f"{name} died:\n{self.log(name)}"
            return condition()

        try:
            return wait_until(met, timeout=timeout, what=what)
        except TimeoutError as timeout_error:
            raise AssertionError(str(timeout_error)) from None

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def owner(self, source: str, key: object) -> Any:
        """The Global Customer ID a source record is linked to (None while it is not)."""
        return self.scalar(
            "SELECT global_customer_id FROM source_customer"
            " WHERE source_system = :s AND source_customer_id = :k",
            s=source,
            k=str(key),
        )

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text()[-5000:] if path.exists() else ""

    def idle(self) -> bool:
        """Every staged batch has finished."""
        return self.scalar("SELECT count(*) FROM ingest_batch WHERE status <> 'done'") == 0

    def start(self, **commands: list[str]) -> None:
        for name, command in commands.items():
            self.children[name] = processes.start(command, self.workdir / f"{name}.log")

    def stop(self, *names: str) -> None:
        for name in names or list(self.children):
            processes.stop(self.children.pop(name))


def purge_queues(url: str) -> None:
    client = redis_client(url)
    client.delete(*QUEUES, "unacked", "unacked_index", "unacked_mutex")


@contextmanager
def running_pipeline(
    engine: Engine, source_urls: dict[str, str], workdir: Path
) -> Iterator[Pipeline]:
    """A worker (2 processes) and beat on the database the environment names, polling every
    POLL_INTERVAL; the queues are purged before and after."""
    redis_url = Settings.from_env().redis_url
    purge_queues(redis_url)
    handle = Pipeline(engine, source_urls, workdir, {})
    with environment(C360_POLL_INTERVAL=POLL_INTERVAL):
        handle.start(
            worker=processes.worker_command(concurrency=2),
            beat=processes.beat_command(workdir / "beat-state"),
        )
        try:
            yield handle
        finally:
            handle.stop()
            purge_queues(redis_url)


@pytest.fixture
def pipeline(engine: Engine, source_urls: dict[str, str], tmp_path: Path) -> Iterator[Pipeline]:
    """Empty Enterprise Brain, empty sources, a running worker (2 processes) and beat."""
    truncate_all(engine)
    drop_sources(source_urls)
    create_sources(source_urls, sample=False)
    with running_pipeline(engine, source_urls, tmp_path) as handle:
        yield handle
    # once the worker and beat have stopped (running, they would read the sources again into
    # the emptied tables): nothing left behind for tests that expect an empty database
    truncate_all(engine)


def run_steps(batch_id: int) -> list[str]:
    """A batch's three steps run here, in order, with the settings this test runs under."""
    settings = Settings.from_env()
    return [
        steps.match_step(batch_id, settings),
        steps.upsert_step(batch_id, settings),
        steps.risk_step(batch_id),
    ]


AMQP_URL = os.environ.get("C360_AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672//"


@pytest.fixture
def amqp() -> Iterator[Connection]:
    """A connection to the machine's RabbitMQ (the test is skipped, saying why, without one)."""
    try:
        connection = Connection(AMQP_URL, connect_timeout=3)
        connection.ensure_connection(max_retries=1)
    except Exception as error:  # noqa: BLE001 (the reason the test cannot run)
        pytest.skip(f"no RabbitMQ at {AMQP_URL}: {error} (.ci/run starts it)")
    with connection:
        yield connection
