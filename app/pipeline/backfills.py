"""Backfills: a source re-read from a point in time, every row staged again as backfill
batches, the poll checkpoint left alone."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from app import db
from app.config import Settings
from app.logs import log_event, mask_text
from app.pipeline.batches import FAILED
from app.pipeline.extraction_lock import exclusive_extraction
from app.pipeline.models import (
    backfill,
)
from app.pipeline.polling import pages
from app.pipeline.sources import source_connector
from app.pipeline.staging import StagedBatch, stage_page
from connectors.base import Connector

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


def request_backfill(source_system: str, since: str | None) -> int:
    """A backfill asked for by name and text (Flower's `start_backfill`): a source that is not
    configured, or a time without its offset, is refused (ValueError) before anything is
    stored."""
    configured = Settings.from_env().source_urls
    if source_system not in configured:
        raise ValueError(
            f"{source_system!r} is not a configured source (configured: {', '.join(configured)})"
        )
    moment = parse_since(since) if since else None
    with db.transaction() as conn:
        return create_backfill(conn, source_system, moment)


def backfill_job(backfill_id: int, on_staged: Callable[[StagedBatch], None]) -> int:
    """Run a queued backfill: wait for the source's running poll, re-read it, and mark the
    backfill failed (with the reason) if that fails. A backfill not queued is not run again."""
    with db.connect() as conn:
        row = conn.execute(backfill.select().where(backfill.c.backfill_id == backfill_id)).first()
    if row is None or row.status != "queued":
        return 0
    settings = Settings.from_env()
    try:
        connector = source_connector(row.source_system, settings)
        with exclusive_extraction(row.source_system, wait=True):
            return run_backfill(
                connector, backfill_id, row.since, page_size=settings.page_size, on_staged=on_staged
            )
    except Exception as error:
        with db.transaction() as conn:
            conn.execute(
                update(backfill)
                .where(backfill.c.backfill_id == backfill_id)
                .values(status=FAILED, error=mask_text(str(error))[:2000])
            )
        raise


def run_backfill(
    connector: Connector,
    backfill_id: int,
    since: datetime | None,
    *,
    page_size: int,
    on_staged: Callable[[StagedBatch], None],
) -> int:
    """Re-read every stream of a source from `since`, staging all rows as backfill batches."""
    total = 0
    with db.transaction() as conn:
        conn.execute(
            update(backfill)
            .where(backfill.c.backfill_id == backfill_id)
            .values(status="extracting")
        )
    for stream in connector.streams:
        start = connector.cursor_since(stream, since)
        for rows in pages(connector, stream, start, page_size):
            with db.transaction() as conn:
                batch = stage_page(
                    conn, connector, stream, rows, advance_to=None, backfill_id=backfill_id
                )
            if batch is not None:
                total += batch.records
                on_staged(batch)
    with db.transaction() as conn:
        conn.execute(
            update(backfill)
            .where(backfill.c.backfill_id == backfill_id)
            .values(status="extracted", extracted_at=func.now())
        )
    log_event(log, "backfill extracted", source=connector.source_system, records=total)
    return total


def backfill_progress(conn: Connection, backfill_ids: list[int]) -> dict[str, Any]:
    """Batches and records done so far for the given backfills, and whether extraction ended."""
    extraction = conn.execute(
        select(backfill.c.status).where(backfill.c.backfill_id.in_(backfill_ids))
    ).scalars()
    statuses = list(extraction)
    row = conn.execute(
        text(
            """
            SELECT count(*) AS batches,
                   count(*) FILTER (WHERE status = 'done') AS done_batches,
                   count(*) FILTER (WHERE status = 'failed') AS failed_batches,
                   coalesce(sum(record_count), 0) AS records,
                   coalesce(sum(record_count) FILTER (WHERE status = 'done'), 0) AS done_records,
                   coalesce(sum(quarantined_count), 0) AS quarantined
            FROM ingest_batch WHERE backfill_id = ANY(:ids)
            """
        ),
        {"ids": backfill_ids},
    ).one()
    return {
        "extracted": all(s in ("extracted", "failed") for s in statuses),
        "extraction_failed": any(s == "failed" for s in statuses),
        **row._asdict(),
    }
