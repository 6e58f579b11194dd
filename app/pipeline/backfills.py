"""Backfills: a source re-read from a point in time, every row staged again as backfill
batches, the poll checkpoint left alone."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from app import db
from app.config import Settings
from app.logs import log_event, mask_text
from app.pipeline.batches import staged_waiting
from app.pipeline.extraction_lock import exclusive_extraction
from app.pipeline.models import BackfillStatus, BatchStatus, backfill
from app.pipeline.polling import pages
from app.pipeline.sources import source_connector
from app.pipeline.staging import StagedBatch, stage_page
from connectors.base import Connector, Cursor, SourceRow

log = logging.getLogger("c360.pipeline")


def parse_since(text: str) -> datetime:
    """A backfill's start: ISO 8601 with its offset. One without is refused (ValueError), never
    guessed: UTC is three hours off for an operator in Nairobi."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ValueError(
            f"{text!r} has no offset: write it with one, e.g. {text}+03:00 (Nairobi) or "
            f"{text}Z (UTC)"
        )
    return moment


def create_backfill(conn: Connection, source_system: str, since: datetime | None) -> int:
    return conn.execute(
        insert(backfill)
        .values(source_system=source_system, since=since)
        .returning(backfill.c.backfill_id)
    ).scalar_one()


class UnknownSource(ValueError):
    """A backfill of a source that is not configured."""


@dataclass(frozen=True)
class BackfillRequest:
    """A backfill asked for by name and text, by `c360 backfill` or Flower's `start_backfill`
    alike: checked before anything is stored, then stored and queued."""

    source_system: str
    since: datetime | None

    @classmethod
    def parse(
        cls, source_system: str, since: str | None, configured: Iterable[str]
    ) -> BackfillRequest:
        """Refuses a source that is not configured (UnknownSource) and a time without its
        offset (ValueError)."""
        configured = list(configured)
        if source_system not in configured:
            raise UnknownSource(
                f"{source_system!r} is not a configured source ({', '.join(configured)})"
            )
        return cls(source_system, parse_since(since) if since else None)

    def submit(self, enqueue: Callable[[int], object]) -> int:
        """Store the backfill, then queue its first slice; returns its ID."""
        with db.transaction() as conn:
            backfill_id = create_backfill(conn, self.source_system, self.since)
        enqueue(backfill_id)
        return backfill_id


# A backfill runs in slices: a slice reads pages for up to SLICE_SECONDS, or until
# BACKLOG_LIMIT staged batches wait for the match step, then queues the next slice. Between
# slices the extraction slot is free for polls, and a backlog holds the reading back instead of
# the worker's processes; a slice is also far below the extraction time limit, so a backfill of
# any size finishes.
SLICE_SECONDS = 5.0
BACKLOG_LIMIT = 8
# a backfill's states while slices still have to run
RUNNING = (BackfillStatus.QUEUED, BackfillStatus.EXTRACTING)


@dataclass(frozen=True)
class Slice:
    staged: int  # records staged by this slice
    finished: bool  # the whole source was read (or the backfill is not runnable)
    backlog: bool  # stopped because staged batches wait


class SliceClock:
    """Where a slice's time went, reading the source or staging what it read (logged as the
    slice's `backfill slice` event: the per-stage figures of bench/backfill_rate.py)."""

    def __init__(self, source: str, backfill_id: int) -> None:
        self.source, self.backfill_id = source, backfill_id
        self.read_seconds = self.stage_seconds = 0.0
        self.staged = 0

    def read(self, reading: Iterator[list[SourceRow]]) -> list[SourceRow] | None:
        started = time.monotonic()
        rows = next(reading, None)
        self.read_seconds += time.monotonic() - started
        return rows

    @contextmanager
    def staging(self) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.stage_seconds += time.monotonic() - started

    def done(self, outcome: Slice) -> Slice:
        log_event(
            log,
            "backfill slice",
            source=self.source,
            backfill_id=self.backfill_id,
            records=self.staged,
            read_seconds=round(self.read_seconds, 3),
            stage_seconds=round(self.stage_seconds, 3),
        )
        return outcome


def backfill_job(
    backfill_id: int,
    on_staged: Callable[[StagedBatch], None],
    settings: Settings,
) -> Slice:
    """Run one slice of a backfill: take the source's extraction lock (waiting for a running
    poll), read on from where the last slice stopped, and mark the backfill failed (with the
    reason) if that fails. A backfill that is extracted, failed or unknown is not run again."""
    with db.connect() as conn:
        row = conn.execute(backfill.select().where(backfill.c.backfill_id == backfill_id)).first()
    if row is None or row.status not in RUNNING:
        return Slice(0, True, False)
    try:
        connector = source_connector(row.source_system, settings)
        with exclusive_extraction(row.source_system, wait=True):
            return run_backfill(
                connector, backfill_id, page_size=settings.page_size, on_staged=on_staged
            )
    except Exception as error:
        with db.transaction() as conn:
            conn.execute(
                update(backfill)
                .where(backfill.c.backfill_id == backfill_id)
                .values(status=BackfillStatus.FAILED, error=mask_text(str(error))[:2000])
            )
        raise


def run_backfill(
    connector: Connector,
    backfill_id: int,
    *,
    page_size: int,
    on_staged: Callable[[StagedBatch], None],
    slice_seconds: float = SLICE_SECONDS,
) -> Slice:
    """Re-read a source from the backfill's `since`, from where its last slice stopped, staging
    rows as backfill batches; each page's batch and the position after it commit together."""
    with db.transaction() as conn:
        row = conn.execute(
            backfill.select().where(backfill.c.backfill_id == backfill_id).with_for_update()
        ).first()
        if row is None or row.status not in RUNNING:
            return Slice(0, True, False)  # a duplicate slice, after the last
        conn.execute(
            update(backfill)
            .where(backfill.c.backfill_id == backfill_id)
            .values(status=BackfillStatus.EXTRACTING, progressed_at=func.clock_timestamp())
        )
    names = [stream.name for stream in connector.streams]
    first = names.index(row.stream) if row.stream in names else 0
    started = time.monotonic()
    clock = SliceClock(connector.source_system, backfill_id)
    for stream in connector.streams[first:]:
        if stream.name == row.stream and row.marker is not None:
            start: Cursor | None = Cursor(row.marker, row.source_key)
        else:
            start = connector.cursor_since(stream, row.since)
        reading = pages(connector, stream, start, page_size)
        while True:
            with db.connect() as conn:
                backlog = staged_waiting(conn, BACKLOG_LIMIT) >= BACKLOG_LIMIT
            if backlog:
                return clock.done(Slice(clock.staged, False, True))
            if (rows := clock.read(reading)) is None:
                break
            with clock.staging(), db.transaction() as conn:
                batch = stage_page(
                    conn, connector, stream, rows, advance_to=None, backfill_id=backfill_id
                )
                _save_position(conn, backfill_id, stream.name, rows[-1].cursor)
            if batch is not None:
                clock.staged += batch.records
                on_staged(batch)
            if time.monotonic() - started > slice_seconds:
                return clock.done(Slice(clock.staged, False, False))
        following = names.index(stream.name) + 1
        if following < len(names):
            with db.transaction() as conn:
                _save_position(conn, backfill_id, names[following], None)
    with db.transaction() as conn:
        conn.execute(
            update(backfill)
            .where(backfill.c.backfill_id == backfill_id)
            .values(status=BackfillStatus.EXTRACTED, extracted_at=func.now())
        )
    log_event(log, "backfill extracted", source=connector.source_system, backfill_id=backfill_id)
    return clock.done(Slice(clock.staged, True, False))


def _save_position(conn: Connection, backfill_id: int, stream: str, cursor: Cursor | None) -> None:
    conn.execute(
        update(backfill)
        .where(backfill.c.backfill_id == backfill_id)
        .values(
            stream=stream,
            marker=cursor.marker if cursor else None,
            source_key=cursor.key if cursor else None,
            progressed_at=func.clock_timestamp(),
        )
    )


def requeue_stalled_backfills(
    older_than_seconds: float, enqueue: Callable[[int], None]
) -> list[int]:
    """Queue a slice again for the unfinished backfills that have not moved for a while (the
    message of their next slice may be lost: Redis restarted, a worker killed). A second slice
    in flight is harmless: slices of one source run one at a time and read on from the stored
    position."""
    with db.transaction() as conn:
        stalled = list(
            conn.execute(
                text(
                    "UPDATE backfill SET progressed_at = clock_timestamp()"
                    " WHERE status = ANY(:running)"
                    " AND progressed_at < clock_timestamp() - make_interval(secs => :after)"
                    " RETURNING backfill_id"
                ),
                {"after": older_than_seconds, "running": list(RUNNING)},
            ).scalars()
        )
    for backfill_id in stalled:
        enqueue(backfill_id)
    if stalled:
        log_event(log, "stalled backfills requeued", backfills=stalled)
    return stalled


def still_waiting(backfill_id: int) -> None:
    """A slice found no extraction slot, or held back for the staged batches, and is queued
    again: the backfill is alive, the sweeper need not queue another."""
    with db.transaction() as conn:
        conn.execute(
            update(backfill)
            .where(
                backfill.c.backfill_id == backfill_id,
                backfill.c.status.in_(RUNNING),
            )
            .values(progressed_at=func.clock_timestamp())
        )


def backfill_progress(conn: Connection, backfill_ids: list[int]) -> dict[str, Any]:
    """Batches and records done so far for the given backfills, and whether extraction ended."""
    extraction = conn.execute(
        select(backfill.c.status).where(backfill.c.backfill_id.in_(backfill_ids))
    ).scalars()
    statuses = list(extraction)
    row = conn.execute(
        text(
            f"""
            SELECT count(*) AS batches,
                   count(*) FILTER (WHERE status = '{BatchStatus.DONE}') AS done_batches,
                   count(*) FILTER (WHERE status = '{BatchStatus.FAILED}') AS failed_batches,
                   coalesce(sum(record_count), 0) AS records,
                   coalesce(sum(record_count) FILTER (WHERE status = '{BatchStatus.DONE}'), 0)
                     AS done_records,
                   coalesce(sum(quarantined_count), 0) AS quarantined
            FROM ingest_batch WHERE backfill_id = ANY(:ids)
            """
        ),
        {"ids": backfill_ids},
    ).one()
    return {
        "extracted": all(s in (BackfillStatus.EXTRACTED, BackfillStatus.FAILED) for s in statuses),
        "extraction_failed": any(s == BackfillStatus.FAILED for s in statuses),
        **row._asdict(),
    }
