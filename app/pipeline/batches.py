"""Batches once staged: their life cycle, their rows, the stalled ones the sweeper requeues,
replays, and how a set of them stands."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, select, text, update

from app import db
from app.logs import log_event, mask_text
from app.pipeline.models import FINISHED_SQL, BatchStatus, ingest_batch, ingest_record

log = logging.getLogger("c360.pipeline")


def batch_records(conn: Connection, batch_id: int, *, entity: str, matching: bool) -> Sequence[Any]:
    """The batch's rows of `entity` (`matching`) or of every other entity: a step reads, and
    decodes, only the rows it uses."""
    wanted = ingest_record.c.entity == entity if matching else ingest_record.c.entity != entity
    return conn.execute(
        select(
            ingest_record.c.seq,
            ingest_record.c.entity,
            ingest_record.c.source_key,
            ingest_record.c.raw,
        )
        .where(ingest_record.c.batch_id == batch_id, wanted)
        .order_by(ingest_record.c.seq)
    ).all()


def record_count(conn: Connection, batch_id: int) -> int:
    """How many records the batch staged (0 for a batch no longer kept)."""
    count = conn.execute(
        select(ingest_batch.c.record_count).where(ingest_batch.c.batch_id == batch_id)
    ).scalar()
    return count or 0


def staged_waiting(conn: Connection, at_most: int) -> int:
    """How many batches are staged and not yet taken by the match step, counted up to
    `at_most` (the question is only ever "this many or more?")."""
    return conn.execute(
        text(
            "SELECT count(*) FROM (SELECT 1 FROM ingest_batch"
            f" WHERE status = '{BatchStatus.STAGED}' LIMIT :at_most) AS waiting"
        ),
        {"at_most": at_most},
    ).scalar_one()


def replay_batches(conn: Connection, batch_ids: list[int] | None, failed_only: bool) -> list[int]:
    """Put batches back to 'staged' so every step runs again (all steps are idempotent: a
    replay of a done batch changes nothing; a failed batch gets another chance). Batches whose
    raw rows were purged (retention) have nothing to run again and are left as they are."""
    condition = "raw_purged_at IS NULL"
    if failed_only:
        condition += f" AND status = '{BatchStatus.FAILED}'"
    if batch_ids is not None:
        condition += " AND batch_id = ANY(:ids)"
    return list(
        conn.execute(
            text(
                f"UPDATE ingest_batch SET status = '{BatchStatus.STAGED}', finished_at = NULL,"
                f" error = NULL, progressed_at = clock_timestamp(), attempts = attempts + 1"
                f" WHERE {condition} RETURNING batch_id"
            ),
            {"ids": batch_ids or []},
        ).scalars()
    )


def batch_outcomes(conn: Connection, batch_ids: list[int]) -> dict[str, int]:
    """How these batches stand: done, failed, unfinished, and the records they quarantined."""
    row = conn.execute(
        text(
            f"SELECT count(*) FILTER (WHERE status = '{BatchStatus.DONE}') AS done,"
            f" count(*) FILTER (WHERE status = '{BatchStatus.FAILED}') AS failed,"
            f" count(*) FILTER (WHERE status NOT IN {FINISHED_SQL}) AS unfinished,"
            " coalesce(sum(quarantined_count), 0) AS quarantined"
            " FROM ingest_batch WHERE batch_id = ANY(:ids)"
        ),
        {"ids": batch_ids},
    ).one()
    return {key: int(value) for key, value in row._asdict().items()}


STALLED_LIMIT = 500  # batches queued again per sweep


def requeue_stalled(older_than_seconds: float, enqueue: Callable[[int], None]) -> list[int]:
    """Queue again the unfinished batches that have not moved for a while (their message may
    be lost: Redis restarted without persistence, a worker killed), and note the attempt. A
    batch whose row a step holds is being worked on, however long it takes, and is left alone:
    queuing it again would only add a message to a backlog."""
    with db.transaction() as conn:
        stalled = list(
            conn.execute(
                text(
                    f"""
                    UPDATE ingest_batch
                    SET progressed_at = clock_timestamp(), attempts = attempts + 1
                    WHERE batch_id IN (
                        SELECT batch_id FROM ingest_batch
                        WHERE status NOT IN {FINISHED_SQL}
                          AND progressed_at < now() - make_interval(secs => :age)
                        ORDER BY batch_id LIMIT :limit FOR UPDATE SKIP LOCKED
                    )
                    RETURNING batch_id
                    """
                ),
                {"age": older_than_seconds, "limit": STALLED_LIMIT},
            ).scalars()
        )
    for batch_id in sorted(stalled):
        enqueue(batch_id)
    if stalled:
        log_event(log, "stalled batches requeued", count=len(stalled))
    return stalled


def mark_failed(batch_id: int, error: str) -> None:
    with db.transaction() as conn:
        conn.execute(
            update(ingest_batch)
            .where(ingest_batch.c.batch_id == batch_id)
            .values(
                status=BatchStatus.FAILED,
                error=mask_text(error)[:2000],  # driver messages can quote personal data
                progressed_at=text("clock_timestamp()"),
            )
        )
