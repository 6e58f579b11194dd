"""Outages told in two lines: the shared record, Celery's lines it reads, the quiet scheduled
tasks, the API's 503 and Flower's capped reconnection wait. The processes themselves, through
real outages of a real database and broker, are in tests/faults/test_outages.py."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterator
from typing import Any

import pytest
from celery.worker.consumer.consumer import CONNECTION_ERROR, CONNECTION_RETRY
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy import Engine, create_engine, text

from app import create_app, db
from app.config import Settings
from app.ops.outages import BROKER, DATABASE, Outage, skipped_while_database_down
from tasks import flower_events
from tasks.outage_lines import CONNECTED, ConsumerConnectionLines, TaskBrokerErrors

NOBODY = "127.0.0.1:1"  # a port where nothing listens


@pytest.fixture
def told() -> Iterator[list[str]]:
    """The outage lines logged meanwhile; both shared records answered again afterwards."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Collect()
    logger = logging.getLogger("c360.outage")
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        DATABASE.answered()
        BROKER.answered()


@pytest.fixture
def database_down(engine: Engine) -> Iterator[None]:
    """The process's engine pointed at a port where no database listens."""
    db.set_engine(
        create_engine(
            f"postgresql+psycopg://postgres@{NOBODY}/c360", connect_args={"connect_timeout": 2}
        )
    )
    try:
        yield
    finally:
        db.set_engine(engine)


shared = Outage("test service")


def _fail(_: int) -> bool:
    return shared.failed("refused")


def test_an_outage_is_begun_once_however_many_forked_processes_meet_it(told):
    with multiprocessing.get_context("fork").Pool(4) as pool:
        began = pool.map(_fail, range(16))

    assert sum(began) == 1
    assert shared.ongoing  # in this process too: the record is shared memory
    assert shared.answered() is not None
    assert not shared.ongoing
    assert shared.answered() is None  # told once


def test_the_consumer_s_loss_and_attempts_are_one_line_and_connected_ends_it(told):
    lines = ConsumerConnectionLines()
    refused = ConnectionRefusedError("Connection refused")
    lost = _record(
        "celery.worker.consumer.consumer",
        CONNECTION_RETRY,
        exc_info=(ConnectionRefusedError, refused, None),
    )
    attempt = _record(
        "celery.worker.consumer.consumer",
        CONNECTION_ERROR,
        args=("redis://127.0.0.1:6379/0", "Error 111", "Trying again in 2.00 seconds... (1/None)"),
    )
    connected = _record("celery.worker.consumer.connection", CONNECTED, args=("redis://",))

    assert [lines.filter(lost), lines.filter(attempt), lines.filter(attempt)] == [False] * 3
    assert lines.filter(connected)
    assert told == ["broker unreachable; waiting for it with backoff", "broker reachable again"]


def test_a_task_failing_on_the_broker_while_it_is_down_is_told_as_the_outage(told):
    error = BrokerError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
    failure = _record(
        "celery.app.trace",
        "Task %s raised unexpected",
        args=("x",),
        exc_info=(BrokerError, error, None),
    )

    assert TaskBrokerErrors(Settings.from_env().redis_url).filter(failure)  # it answers: kept
    assert told == []
    assert not TaskBrokerErrors(f"redis://{NOBODY}/0").filter(failure)
    assert told == ["broker unreachable; waiting for it with backoff"]
    other = _record("celery.app.trace", "Task raised", exc_info=(ValueError, ValueError(), None))
    assert TaskBrokerErrors(f"redis://{NOBODY}/0").filter(other)


def test_a_scheduled_task_skips_quietly_while_the_database_is_down(told, database_down):
    @skipped_while_database_down
    def poll() -> int:
        with db.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar_one()

    assert poll() is None
    assert poll() is None
    assert told == ["database unreachable; waiting for it with backoff"]


def test_a_scheduled_task_s_own_database_error_is_raised(told, engine):
    @skipped_while_database_down
    def poll() -> int:
        with engine.connect() as conn:
            conn.execute(text("SET statement_timeout = 1"))
            return conn.execute(text("SELECT pg_sleep(1)")).scalar_one()

    with pytest.raises(Exception, match="statement timeout"):
        poll()
    assert told == []


def test_the_api_answers_503_while_the_database_is_down_and_tells_it_once(told, database_down):
    client = create_app(Settings.from_env()).test_client()
    headers = {"Authorization": "Bearer not-a-known-key"}

    first = client.get("/customer/00000000-0000-0000-0000-000000000000", headers=headers)
    second = client.get("/customer/00000000-0000-0000-0000-000000000000", headers=headers)
    health = client.get("/health")

    assert (first.status_code, first.headers["Retry-After"]) == (503, "5")
    assert first.get_json()["message"] == "The database is unreachable; try again shortly"
    assert second.status_code == 503
    assert (health.status_code, health.get_json()["database"]) == (503, {"status": "down"})
    assert told == ["database unreachable; waiting for it with backoff"]


class _Stop(BaseException):
    """Ends the capture loop under test (an Exception would be retried)."""


def test_flower_waits_at_most_half_a_minute_between_attempts(monkeypatch, told):
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 9:
            raise _Stop

    class Unreachable:
        def connection(self) -> Any:
            raise BrokerError("Error 111 connecting. Connection refused.")

    class Events:
        capp = Unreachable()

    monkeypatch.setattr(flower_events.time, "sleep", sleep)
    with pytest.raises(_Stop):
        flower_events.capture_events(Events())

    assert waits == [1, 2, 4, 8, 16, 30, 30, 30, 30]
    assert told == ["broker unreachable; waiting for it with backoff"]


def _record(name: str, msg: str, args: Any = None, exc_info: Any = None) -> logging.LogRecord:
    return logging.LogRecord(name, logging.WARNING, __file__, 0, msg, args, exc_info)
