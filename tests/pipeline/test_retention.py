"""Keep only what is needed: with the clock moved past each window, raw staged rows, resolved
quarantine rows and old access-log entries are purged, and nothing still needed is touched; a
replay past the window says so and names the backfill that re-reads the source."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import func, insert, select, text, update

from app.access.models import access_log
from app.cli import main
from app.config import Settings
from app.identity.locks import IdentityLocks, digest
from app.ops.service import latency_histograms, pipeline_status
from app.pipeline.batches import replay_batches
from app.pipeline.models import ingest_batch, ingest_record, quarantine
from app.pipeline.staging import stage_replay
from app.pipeline.steps import LATENCY_BUCKETS_S
from tasks.retention import purge_expired_at
from tests.conftest import truncate_all

ROW = ("customer", "101", {"Id": 101, "FirstName": "Amina"})


def settings(**windows: float) -> Settings:
    return dataclasses.replace(
        Settings.from_env(),
        raw_retention_days=3,
        quarantine_retention_days=30,
        access_log_retention_days=365,
        **windows,
    )


def staged_batch(conn, status: str, finished_at: datetime | None) -> int:
    batch_id = stage_replay(conn, "core", [ROW, ("customer", "102", {"Id": 102})])
    conn.execute(
        update(ingest_batch)
        .where(ingest_batch.c.batch_id == batch_id)
        .values(status=status, finished_at=finished_at)
    )
    return batch_id


def raw_rows(conn, batch_id: int) -> int:
    query = select(func.count()).where(ingest_record.c.batch_id == batch_id)
    return conn.execute(query).scalar_one()


def now(conn) -> datetime:
    return conn.execute(text("SELECT now()")).scalar_one()


def test_raw_rows_go_a_window_after_their_batch_is_done(conn):
    today = now(conn)
    done = staged_batch(conn, "done", today)
    done_today_too = staged_batch(conn, "done", today + timedelta(days=2))
    failed = staged_batch(conn, "failed", today)  # kept: a failed batch waits for its replay
    unfinished = staged_batch(conn, "matched", None)

    nothing = purge_expired_at(today + timedelta(days=2, hours=23), settings())
    assert nothing["batches"] == 0 and raw_rows(conn, done) == 2

    later = today + timedelta(days=3, minutes=1)
    outcome = purge_expired_at(later, settings())

    assert outcome["batches"] == 1
    assert raw_rows(conn, done) == 0
    assert [raw_rows(conn, b) for b in (done_today_too, failed, unfinished)] == [2, 2, 2]
    purged_at = conn.execute(
        select(ingest_batch.c.raw_purged_at).where(ingest_batch.c.batch_id == done)
    ).scalar_one()
    assert purged_at == later
    # a replay has nothing to run for it: it is left alone, the others are queued again
    assert done not in replay_batches(conn, None, failed_only=False)
    assert replay_batches(conn, [done], failed_only=False) == []
    # and the purge is idempotent
    assert purge_expired_at(later, settings())["batches"] == 0


def test_a_replay_past_the_window_says_so_and_names_the_backfill(conn):
    batch_id = staged_batch(conn, "done", now(conn))
    purge_expired_at(now(conn) + timedelta(days=4), settings())

    result = CliRunner().invoke(main, ["replay", "--batch", str(batch_id)])

    assert result.exit_code == 1
    assert f"batch {batch_id} is past the replay window" in result.output
    assert "raw rows were purged 3 days after it was done" in result.output
    assert "c360 backfill core --since " in result.output

    unknown = CliRunner().invoke(main, ["replay", "--batch", "987654"])
    assert unknown.exit_code == 1
    assert "batch 987654 is not kept" in unknown.output


def test_resolved_quarantine_rows_lose_their_raw_copy_a_window_after_resolution(conn):
    today = now(conn)
    entries = {}
    for name, resolved_at in (
        ("open", None),
        ("resolved", today),
        ("recent", today + timedelta(days=20)),
    ):
        entries[name] = conn.execute(
            insert(quarantine)
            .values(
                batch_id=1,
                source_system="core",
                entity="customer",
                source_key=name,
                reason="unreadable national ID",
                raw={"Id": name, "IdentificationNumber": "ID-12?"},
                resolved_at=resolved_at,
            )
            .returning(quarantine.c.quarantine_id)
        ).scalar_one()

    outcome = purge_expired_at(today + timedelta(days=31), settings())

    assert outcome["quarantine_rows"] == 1
    rows = {
        row.source_key: row
        for row in conn.execute(
            select(quarantine).where(quarantine.c.quarantine_id.in_(entries.values()))
        )
    }
    assert rows["resolved"].raw is None and rows["resolved"].raw_purged_at is not None
    assert rows["resolved"].reason == "unreadable national ID"  # what and why stay
    assert rows["open"].raw is not None and rows["recent"].raw is not None


def test_access_log_entries_leave_after_their_retention_and_only_through_the_purge(conn):
    today = now(conn)
    for key_name, at in (("old", today - timedelta(days=366)), ("recent", today)):
        conn.execute(
            insert(access_log).values(
                at=at,
                key_name=key_name,
                method="GET",
                endpoint="/customer/<uuid:global_id>",
                status=200,
                customer_ids=[],
            )
        )

    outcome = purge_expired_at(today, settings())

    assert outcome["access_log_entries"] == 1
    assert conn.execute(select(access_log.c.key_name)).scalars().all() == ["recent"]
    # the purge's permission ends with it
    assert (
        conn.execute(text("SELECT current_setting('c360.access_log_purge', true)")).scalar()
        == "off"
    )


def test_the_purge_is_on_beat_schedule():
    from app.celeryconfig import celery_config

    schedule = celery_config(settings())["beat_schedule"]
    assert schedule["purge-expired"]["task"] == "tasks.retention.purge_expired"
    assert schedule["purge-expired"]["options"]["queue"] == "maintenance"


def test_old_batches_fold_into_totals_and_the_metrics_stay_the_same(conn):
    today = now(conn)
    buckets = [0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2][: len(LATENCY_BUCKETS_S)]
    old = [staged_batch(conn, "done", today) for _ in range(3)]
    conn.execute(
        update(ingest_batch)
        .where(ingest_batch.c.batch_id.in_(old))
        .values(latency_buckets=buckets, latency_sum_seconds=1.5, latency_count=2)
    )
    recent = staged_batch(conn, "done", today + timedelta(days=40))
    configured = settings(source_urls={"core": "sqlite://"})
    before = (pipeline_status(conn, configured)["sources"]["core"]["records_processed"],
              latency_histograms(conn)["core"])  # fmt: skip

    outcome = purge_expired_at(today + timedelta(days=31), configured)

    assert outcome["batches_folded"] == 3
    kept = conn.execute(select(ingest_batch.c.batch_id)).scalars().all()
    assert recent in kept and not set(old) & set(kept)
    after = (pipeline_status(conn, configured)["sources"]["core"]["records_processed"],
             latency_histograms(conn)["core"])  # fmt: skip
    assert after == before
    assert before[0] == 8 and before[1]["count"] == 6
    # folding again changes nothing; a later fold adds to the totals
    assert purge_expired_at(today + timedelta(days=31), configured)["batches_folded"] == 0
    purge_expired_at(today + timedelta(days=80), configured)
    assert conn.execute(select(ingest_batch.c.batch_id)).scalars().all() == []
    assert pipeline_status(conn, configured)["sources"]["core"]["records_processed"] == 8
    assert latency_histograms(conn)["core"] == before[1]


def test_identity_lock_rows_nobody_holds_are_purged(engine):
    """The table only anchors row locks: rows left after their transactions go; a held one
    stays (and its holder keeps it)."""
    truncate_all(engine)
    with engine.begin() as conn:  # three identifiers locked once, then let go
        IdentityLocks(conn).take(["src:core:1", "src:core:2", "src:core:3"])
    try:
        with engine.connect() as holder:
            held = holder.begin()
            IdentityLocks(holder).take(["src:core:2"])
            outcome = purge_expired_at(datetime.now(UTC), settings())
            held.rollback()
        assert outcome["identity_locks"] == 2
        with engine.connect() as conn:
            left = conn.execute(text("SELECT key FROM identity_lock")).scalars().all()
        assert left == [digest("src:core:2")]
    finally:
        truncate_all(engine)


def test_the_space_of_purged_raw_rows_is_used_again(engine):
    """Even where autovacuum is off (this machine kind's PostgreSQL runs without it), the
    purge vacuums what it deleted from: the next raw rows take the purged ones' space."""

    def stage_old_batches() -> int:
        with engine.begin() as conn:
            for _ in range(30):
                staged_batch(conn, "done", now(conn) - timedelta(days=10))
            return conn.execute(text("SELECT pg_relation_size('ingest_record')")).scalar()

    truncate_all(engine)
    try:
        first = stage_old_batches()
        assert purge_expired_at(datetime.now(UTC), settings())["batches"] == 30

        assert stage_old_batches() == first
    finally:
        truncate_all(engine)
