"""Keep only what is needed for as long as it is needed. Raw staged rows (`ingest_record`) serve
replays: they are deleted C360_RAW_RETENTION_DAYS after their batch is done, with the IDs of the
inbound events they came as (`ingest_event`), and the batch remembers when (a replay past that
window says so and names the backfill that re-reads the source). A quarantined row's raw copy
is kept while the entry is open, and cleared C360_QUARANTINE_RETENTION_DAYS after it is
resolved."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, text

from app import db
from app.pipeline.models import BatchStatus

# batches purged per statement: a purge after a long outage never holds one huge transaction
PURGE_CHUNK = 1000

# The pipeline's own tables that its work deletes from or rewrites all day. Vacuumed after each
# purge, so the space of what was deleted or updated is used again and their statistics stay
# true even where autovacuum is off (it is on this machine kind's PostgreSQL): there, a month's
# purged raw rows would never be used again, and a status check that reads `ingest_batch` whole read
# its dead versions too (docs/scale.md, "Measurements behind the code"). Where autovacuum runs,
# this finds little to do.
CHURNED_TABLES = (
    "ingest_record",
    "ingest_batch",
    "ingest_event",
    "stream_poll",
    "source_checkpoint",
    "source_row_version",
    "identity_lock",
    "quarantine",
    "access_log",
    "pipeline_totals",
    "outbox_event",
)


def vacuum_churned(engine: Engine) -> None:
    """VACUUM (ANALYZE) the CHURNED_TABLES, on a connection of its own (VACUUM runs outside any
    transaction; it takes no lock that stops reads or writes). Without giving emptied pages at
    a table's end back to the disk: that needs the table to itself, and with the pipeline
    writing, VACUUM would wait up to 5 s per table for it in vain; the space is used again
    either way."""
    tables = ", ".join(CHURNED_TABLES)
    with db.autocommit(engine) as conn:
        conn.execute(text(f"VACUUM (ANALYZE, TRUNCATE false) {tables}"))


def purge_raw_rows(conn: Connection, now: datetime, retention_days: float) -> int:
    """Delete the raw rows of one chunk of batches done before the window; returns how many
    batches were purged (call again until 0)."""
    batch_ids = list(
        conn.execute(
            text(
                f"""
                UPDATE ingest_batch SET raw_purged_at = :now
                WHERE batch_id IN (
                    SELECT batch_id FROM ingest_batch
                    WHERE status = '{BatchStatus.DONE}' AND finished_at < :cutoff
                      AND raw_purged_at IS NULL
                    ORDER BY batch_id LIMIT :chunk FOR UPDATE SKIP LOCKED
                )
                RETURNING batch_id
                """
            ),
            {"now": now, "cutoff": now - timedelta(days=retention_days), "chunk": PURGE_CHUNK},
        ).scalars()
    )
    if batch_ids:
        conn.execute(
            text("DELETE FROM ingest_record WHERE batch_id = ANY(:ids)"), {"ids": batch_ids}
        )
        # an event older than the window, sent again, is staged again and changes nothing:
        # newer versions win and facts are keyed by their source's key
        conn.execute(
            text("DELETE FROM ingest_event WHERE batch_id = ANY(:ids)"), {"ids": batch_ids}
        )
    return len(batch_ids)


def purge_resolved_quarantine(conn: Connection, now: datetime, retention_days: float) -> int:
    """Clear the raw row of entries resolved before the window (the entry, its reason and
    source key stay: what was set aside and why is not personal data)."""
    return conn.execute(
        text(
            "UPDATE quarantine SET raw = NULL, raw_purged_at = :now"
            " WHERE resolved_at < :cutoff AND raw IS NOT NULL"
        ),
        {"now": now, "cutoff": now - timedelta(days=retention_days)},
    ).rowcount


def purged_batches(conn: Connection, batch_ids: list[int]) -> list[dict]:
    """Of these batches, those whose raw rows are gone: source, when done, when purged."""
    return [
        dict(row)
        for row in conn.execute(
            text(
                "SELECT batch_id, source_system, created_at, finished_at, raw_purged_at"
                " FROM ingest_batch WHERE batch_id = ANY(:ids) AND raw_purged_at IS NOT NULL"
                " ORDER BY batch_id"
            ),
            {"ids": batch_ids},
        ).mappings()
    ]


def existing_batches(conn: Connection, batch_ids: list[int]) -> list[int]:
    """Of these batches, those still kept (a done batch is folded away after its window)."""
    return list(
        conn.execute(
            text("SELECT batch_id FROM ingest_batch WHERE batch_id = ANY(:ids)"), {"ids": batch_ids}
        ).scalars()
    )
