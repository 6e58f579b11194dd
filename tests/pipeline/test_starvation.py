"""Extraction never takes every process of a worker while staged batches wait: polls, scans
and backfill slices share one slot fewer than the worker has processes, and a poll takes the
last one only while no batch waits, for one page per stream. A real worker (2 processes),
beat polling every half second, a backfill in slices."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import text

from app import db
from app.pipeline import extraction_slots
from app.pipeline.backfills import create_backfill, requeue_stalled_backfills
from app.pipeline.extraction_slots import EXTRACTION_SLOT_NAMESPACE, Slot, extraction_slot
from app.pipeline.staging import stage_replay
from sandbox.population import generate_population, write_population
from tests.conftest import environment, truncate_all

HELD_SLOTS = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    f" AND classid = {EXTRACTION_SLOT_NAMESPACE}"
)


def test_a_worker_has_a_slot_fewer_than_processes_and_a_spare_for_polls(engine, monkeypatch):
    truncate_all(engine)
    monkeypatch.setattr(extraction_slots, "_pool", dict(extraction_slots._pool))
    extraction_slots.configure("worker@test-host", concurrency=3)
    try:
        with extraction_slot(spare=True) as poll, extraction_slot() as scan:
            # while no batch waits a poll takes the spare first: the slots stay for scans
            assert (poll, scan) == (Slot.SPARE, Slot.SLOT)
        with extraction_slot() as first, extraction_slot() as second:
            assert (first, second) == (Slot.SLOT, Slot.SLOT)
            with extraction_slot() as backfill:
                assert backfill is Slot.NONE  # the last process is not for long extractions
            with extraction_slot(spare=True) as poll:
                assert poll is Slot.SPARE  # a poll may, while no batch waits
                with engine.connect() as conn:
                    assert conn.execute(text(HELD_SLOTS)).scalar() == 3
            with db.transaction() as conn:
                stage_replay(conn, "core", [("customer", "1", {"Id": "1"})])
            with extraction_slot(spare=True) as poll:
                assert poll is Slot.NONE  # a batch waits: the spare is its
        with extraction_slot(spare=True) as poll:  # let go at the end of the task
            assert poll is Slot.SLOT  # a batch waits: a poll takes a slot, not the spare
    finally:
        truncate_all(engine)


@pytest.fixture
def small_pages():
    with environment(C360_PAGE_SIZE="100"):
        yield


def test_a_backfill_with_beat_polling_never_holds_every_process(small_pages, pipeline):
    write_population(pipeline.source_urls, generate_population(600, seed=3))
    core_customers = pipeline.wait_until(
        lambda: pipeline.idle() and pipeline.scalar("SELECT count(*) FROM source_customer"),
        timeout=120,
        what="the polls' first load",
    )
    samples: list[tuple[float, int, int]] = []  # (when, extraction slots held, batches waiting)
    stop = threading.Event()

    def sample() -> None:
        with pipeline.engine.connect() as conn:
            while not stop.is_set():
                held = conn.execute(text(HELD_SLOTS)).scalar()
                waiting = conn.execute(
                    text("SELECT count(*) FROM ingest_batch WHERE status = 'staged'")
                ).scalar()
                samples.append((time.monotonic(), held, waiting))
                conn.commit()
                stop.wait(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", "backfill", "core", "--wait", "--timeout", "180"],
            capture_output=True,
            text=True,
            timeout=200,
        )
    finally:
        stop.set()
        sampler.join()
    assert result.returncode == 0, result.stdout + result.stderr
    # many slices (100-row pages), polls all along: extraction used its slot, and held both
    # processes while batches waited for at most a poll's page (the spare's bound)
    assert max(held for _, held, _ in samples) >= 1
    assert max(waiting for _, _, waiting in samples) >= 1
    assert _longest(samples, lambda held, waiting: held >= 2 and waiting > 0) < 2.0
    assert pipeline.scalar("SELECT count(*) FROM backfill WHERE status = 'extracted'") == 1
    assert pipeline.scalar("SELECT count(DISTINCT batch_id) FROM ingest_batch") > 10
    pipeline.wait_until(pipeline.idle, timeout=60, what="the backfill's batches")
    assert pipeline.scalar("SELECT count(*) FROM source_customer") == core_customers


def _longest(samples: list[tuple[float, int, int]], condition) -> float:
    """The longest stretch of consecutive samples meeting `condition`, in seconds."""
    longest, since = 0.0, None
    for when, held, waiting in samples:
        if condition(held, waiting):
            since = when if since is None else since
            longest = max(longest, when - since)
        else:
            since = None
    return longest


def test_the_sweeper_queues_a_slice_again_for_a_stalled_backfill_only(conn):
    ids = {}
    for name, status, idle in (
        ("stalled", "extracting", "2 minutes"),
        ("never started", "queued", "2 minutes"),
        ("moving", "extracting", "1 second"),
        ("finished", "extracted", "2 minutes"),
    ):
        ids[name] = create_backfill(conn, "core", None)
        conn.execute(
            text(
                "UPDATE backfill SET status = :status,"
                " progressed_at = clock_timestamp() - CAST(:idle AS interval)"
                " WHERE backfill_id = :id"
            ),
            {"status": status, "idle": idle, "id": ids[name]},
        )
    queued: list[int] = []
    assert sorted(requeue_stalled_backfills(60, enqueue=queued.append)) == sorted(
        [ids["stalled"], ids["never started"]]
    )
    assert sorted(queued) == sorted([ids["stalled"], ids["never started"]])
    assert requeue_stalled_backfills(60, enqueue=queued.append) == []  # their clock restarted
