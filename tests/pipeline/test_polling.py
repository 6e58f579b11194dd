"""A poll that finds nothing new, in process against real sources: what it writes, and that a
stream's recovery is still seen."""

from __future__ import annotations

import logging
from collections import Counter

import pytest
from sqlalchemy import event, text

from app import db
from app.config import Settings
from app.pipeline.extraction import poll_source
from app.pipeline.stream_health import stream_attempt
from sandbox.sources import create_sources, drop_sources
from tests.conftest import truncate_all

pytestmark = pytest.mark.integration


@pytest.fixture
def core_polled(engine, source_urls):
    """Sample sources, core read once (its batches staged, not processed)."""
    truncate_all(engine)
    drop_sources(source_urls)
    create_sources(source_urls, sample=True)
    assert poll_core() > 0
    yield engine
    truncate_all(engine)


def _last_reads(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.stream, c.updated_at, p.last_success_at FROM source_checkpoint c"
                " JOIN stream_poll p USING (source_system, stream) WHERE source_system = 'core'"
            )
        ).all()
    return {stream: (read, success) for stream, read, success in rows}


def test_an_idle_poll_writes_each_streams_last_read_in_one_statement(core_polled):
    before = _last_reads(core_polled)
    assert before, "core's streams have checkpoints and health rows after the first read"
    writes: Counter[str] = Counter()
    polling_engine = db.get_engine()  # the process's, which an earlier test may have replaced

    @event.listens_for(polling_engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):
        verb = statement.lstrip().split()[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE", "WITH"):
            writes[statement] += 1

    try:
        assert poll_core() == 0  # nothing new
    finally:
        event.remove(polling_engine, "before_cursor_execute", count)

    after = _last_reads(core_polled)
    assert set(after) == set(before)
    for stream, (read, success) in after.items():
        assert read > before[stream][0] and success > before[stream][1], stream
    # one write per stream: its success and its checkpoint's last read together
    assert sum(writes.values()) == len(after), writes


def test_a_stream_that_succeeds_again_is_recovered_and_logged_once(core_polled, caplog):
    with core_polled.begin() as conn:
        conn.execute(
            text(
                "UPDATE stream_poll SET failing_since = now(), last_error = 'gone'"
                " WHERE source_system = 'core' AND stream = 'customers'"
            )
        )
    with caplog.at_level(logging.INFO, logger="c360.extract"):
        with stream_attempt("core", "customers", "poll"):
            pass
        with stream_attempt("core", "customers", "poll"):
            pass
    recovered = [r for r in caplog.records if r.getMessage() == "stream recovered"]
    assert len(recovered) == 1
    with core_polled.connect() as conn:
        row = conn.execute(
            text(
                "SELECT failing_since, last_error FROM stream_poll"
                " WHERE source_system = 'core' AND stream = 'customers'"
            )
        ).one()
    assert row == (None, None)


def test_an_idle_poll_does_not_wait_for_the_disk_to_commit_its_heartbeats(core_polled):
    """Each stream's success is bookkeeping the next poll writes again: its transaction commits
    with synchronous_commit off, so an idle source adds no WAL flush to the machine's."""
    settings: list[str] = []
    polling_engine = db.get_engine()

    @event.listens_for(polling_engine, "after_cursor_execute")
    def setting(conn, cursor, statement, parameters, context, executemany):
        if "stream_poll" in statement:  # the transaction's setting as its commit will read it
            settings.append(cursor.connection.execute("SHOW synchronous_commit").fetchone()[0])

    try:
        assert poll_core() == 0
    finally:
        event.remove(polling_engine, "after_cursor_execute", setting)

    assert settings and set(settings) == {"off"}, settings
    with polling_engine.connect() as conn:  # the setting ended with its transaction
        assert conn.execute(text("SHOW synchronous_commit")).scalar() == "on"


def poll_core() -> int:
    return poll_source("core", on_staged=lambda batch: None, settings=Settings.from_env())
