"""Identity resolution scales out: real match steps, on threads, against the real database.
Batches of people who share nothing resolve at the same time; batches of the same person (the
same national ID, or one a typo away) wait for each other and end as one profile."""

import threading
import time

import pytest
from sqlalchemy import text

from app import db
from app.config import Settings
from app.pipeline import steps
from app.pipeline.staging import stage_replay
from tests.conftest import truncate_all


def core_customer(key: str, national_id: str, phone: str, first: str = "Achieng") -> tuple:
    raw = {
        "Id": key,
        "CustomerNumber": f"CUST-{key[-4:]}",
        "FirstName": first,
        "MiddleName": None,
        "LastName": "Otieno",
        "Email": None,
        "IdentificationNumber": national_id,
        "DateOfBirth": "1990-04-12",
        "PrimaryPhone": phone,
        "Status": "Active",
        "CreatedAt": "2026-11-20T08:00:00+00:00",
        "UpdatedAt": "2026-11-20T08:00:00+00:00",
    }
    return ("customer", key, raw)


FIRST = "7d3e1f4a-0000-4000-8000-00000000a001"
SECOND = "7d3e1f4a-0000-4000-8000-00000000b002"


class PausedMatch:
    """Run a batch's match step on a thread that stops after its resolution (every identity
    lock taken, nothing committed) until `release()`."""

    def __init__(self, monkeypatch, batch_id: int) -> None:
        self.resolved = threading.Event()
        self._release = threading.Event()
        self.outcome: object = None
        real = steps.link_customers

        def link_then_wait(conn, records, batch_id=None, held=None):
            resolution = real(conn, records, batch_id, held)
            if threading.current_thread() is self.thread:
                self.resolved.set()
                assert self._release.wait(timeout=60)
            return resolution

        monkeypatch.setattr(steps, "link_customers", link_then_wait)
        self.thread = threading.Thread(target=self._run, args=(batch_id,))
        self.thread.start()
        assert self.resolved.wait(timeout=30)

    def _run(self, batch_id: int) -> None:
        try:
            self.outcome = steps.match_step(batch_id, Settings.from_env())
        except Exception as error:  # noqa: BLE001 (the failure is what the test reports)
            self.outcome = error

    def release(self) -> None:
        self._release.set()
        self.thread.join(timeout=30)


def _match_on_thread(batch_id: int, outcome: dict) -> threading.Thread:
    def run() -> None:
        started = time.monotonic()
        outcome["status"] = steps.match_step(batch_id, Settings.from_env())
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _waiting_on_a_lock(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar()


def _owners(engine) -> dict[str, object]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT source_customer_id, global_customer_id FROM source_customer")
        ).all()
    return dict(rows)


def _stage(*rows) -> list[int]:
    with db.transaction() as conn:
        return [stage_replay(conn, "core", [row]) for row in rows]


@pytest.fixture
def clean(engine):
    truncate_all(engine)
    yield engine
    truncate_all(engine)


def test_match_steps_of_people_who_share_nothing_overlap(clean, monkeypatch):
    first, second = _stage(
        core_customer(FIRST, "11111111", "0711000001"),
        core_customer(SECOND, "22222222", "0722000002", first="Wanjiru"),
    )
    paused = PausedMatch(monkeypatch, first)
    outcome: dict = {}
    try:
        # the second step runs from start to commit while the first holds all its locks
        _match_on_thread(second, outcome).join(timeout=30)
        assert outcome.get("status") == "matched"
        assert paused.thread.is_alive()
    finally:
        paused.release()
    assert paused.outcome == "matched"
    owners = _owners(clean)
    assert owners[FIRST] != owners[SECOND]


@pytest.mark.parametrize(
    "second_id",
    [pytest.param("12345678", id="same national ID"), pytest.param("12345687", id="a typo")],
)
def test_match_steps_of_one_person_wait_for_each_other_and_agree(clean, monkeypatch, second_id):
    first, second = _stage(
        core_customer(FIRST, "12345678", "0711000001"),
        core_customer(SECOND, second_id, "0799000009"),
    )
    paused = PausedMatch(monkeypatch, first)
    outcome: dict = {}
    try:
        waiting = _match_on_thread(second, outcome)
        waiting.join(timeout=2)
        assert waiting.is_alive() and "status" not in outcome  # it waits for the first
        assert _waiting_on_a_lock(clean) >= 1
    finally:
        paused.release()
    waiting.join(timeout=30)
    assert paused.outcome == "matched" and outcome["status"] == "matched"
    owners = _owners(clean)
    # the second saw the first's committed records: one person, one profile
    assert owners[FIRST] == owners[SECOND]
