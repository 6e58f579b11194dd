"""Extraction tasks: per-source polls (beat), backfills (CLI or Flower) and the sweeper."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from celery import shared_task
from sqlalchemy import text

from app import db
from app.config import Settings
from app.identity.locks import bucket
from app.logs import log_event
from app.pipeline import service
from app.pipeline.models import backfill as backfill_table
from app.pipeline.stream_health import stream_attempt
from app.pipeline.watch import recheck_open
from connectors import get_connector
from connectors.base import Connector
from tasks.pipeline import enqueue_batch

log = logging.getLogger("c360.extract")

EXTRACT_LOCK_NAMESPACE = 3602


@contextmanager
def exclusive_extraction(source_system: str, *, wait: bool = False) -> Iterator[bool]:
    """A session advisory lock per source: an extraction never overlaps another of the same
    source, on any host; the lock dies with its connection if the worker dies. Polls skip when
    it is taken (the next poll comes in a second); a backfill waits for the running poll."""
    key = bucket(f"extract:{source_system}")
    query = (
        "SELECT true FROM pg_advisory_lock(:ns, :key)"  # blocks until the lock is free
        if wait
        else "SELECT pg_try_advisory_lock(:ns, :key)"
    )
    with db.get_engine().connect() as conn:
        got = conn.execute(text(query), {"ns": EXTRACT_LOCK_NAMESPACE, "key": key}).scalar_one()
        conn.commit()
        try:
            yield bool(got)
        finally:
            if got:
                conn.execute(
                    text("SELECT pg_advisory_unlock(:ns, :key)"),
                    {"ns": EXTRACT_LOCK_NAMESPACE, "key": key},
                )
                conn.commit()


def _queue(batch: service.StagedBatch) -> None:
    enqueue_batch(batch.batch_id)


# Polls and scans run every second per source and mostly find nothing: they send no task
# events, so Flower's task list and rates show the real work (batch steps, backfills);
# their health is in /health, `c360 status` and the logs.
@shared_task(name="tasks.extract.extract_source", send_events=False)
def extract_source(source_system: str) -> int:
    """One poll of every stream of a source; batches are queued as soon as they are stored."""
    settings = Settings.from_env()
    url = settings.source_urls.get(source_system)
    if not url:
        return 0
    with exclusive_extraction(source_system) as mine:
        if not mine:
            return 0
        started = time.monotonic()
        connector = _connector(settings, source_system)
        staged = _poll_streams(settings, connector, slow=False)
        for watch in connector.watches:
            with stream_attempt(source_system, watch.name, "poll"):
                staged += recheck_open(connector, watch, on_staged=_queue)
        if staged:
            log_event(
                log,
                "source polled",
                source=source_system,
                records=staged,
                seconds=round(time.monotonic() - started, 3),
            )
        return staged


@shared_task(name="tasks.extract.scan_source", send_events=False)
def scan_source(source_system: str) -> int:
    """The slower schedule: streams whose marker has no index at the source (a full read of
    it), and digest scans of tables that change without a marker."""
    settings = Settings.from_env()
    if not settings.source_urls.get(source_system):
        return 0
    connector = _connector(settings, source_system)
    with exclusive_extraction(f"{source_system}:scan") as mine:
        if not mine:
            return 0
        started = time.monotonic()
        staged = _poll_streams(settings, connector, slow=True)
        for scan in connector.scans:
            with stream_attempt(source_system, scan.name, "scan"):
                staged += service.scan_for_changes(
                    connector, scan, chunk_size=settings.scan_chunk_size, on_staged=_queue
                )
        log_event(
            log,
            "source scanned",
            source=source_system,
            changed=staged,
            seconds=round(time.monotonic() - started, 3),
        )
        return staged


def _poll_streams(settings: Settings, connector: Connector, *, slow: bool) -> int:
    """Poll the source's streams of one schedule (every poll, or the slower scan schedule)."""
    staged = 0
    for stream in connector.streams:
        if stream.slow != slow:
            continue
        # one stream's failure (a missing table or column) fails that stream alone
        with stream_attempt(connector.source_system, stream.name, "scan" if slow else "poll"):
            staged += service.poll_stream(
                connector,
                stream,
                page_size=settings.page_size,
                lookback_seconds=settings.lookback_seconds,
                on_staged=_queue,
            )
    return staged


_connectors: dict[tuple[str, str, str | None], Connector] = {}


def _connector(settings: Settings, source_system: str) -> Connector:
    """Connectors (and their connection pools) live as long as the worker process."""
    url = settings.source_urls[source_system]
    zone = settings.source_time_zones.get(source_system)
    key = (source_system, url, zone)
    if key not in _connectors:
        _connectors[key] = get_connector(source_system, url, zone)
    return _connectors[key]


@shared_task(name="tasks.extract.backfill_source")
def backfill_source(backfill_id: int) -> int:
    """Re-read a source from the backfill's `since` (the poll checkpoint is not touched)."""
    with db.connect() as conn:
        row = conn.execute(
            backfill_table.select().where(backfill_table.c.backfill_id == backfill_id)
        ).first()
    if row is None or row.status != "queued":
        return 0
    settings = Settings.from_env()
    try:
        if not settings.source_urls.get(row.source_system):
            raise ValueError(f"source {row.source_system!r} has no URL configured")
        with exclusive_extraction(row.source_system, wait=True):
            return service.run_backfill(
                _connector(settings, row.source_system),
                backfill_id,
                row.since,
                page_size=settings.page_size,
                on_staged=_queue,
            )
    except Exception as error:
        with db.transaction() as conn:
            conn.execute(
                backfill_table.update()
                .where(backfill_table.c.backfill_id == backfill_id)
                .values(status="failed", error=str(error)[:2000])
            )
        raise


@shared_task(name="tasks.extract.start_backfill")
def start_backfill(source_system: str, since: str | None = None) -> int:
    """Backfill entry point for Flower: `start_backfill("core", "2026-11-01T00:00:00Z")`. A
    source that is not configured, or a time without its offset, fails the task with a message
    (shown in Flower) before anything is queued."""
    configured = Settings.from_env().source_urls
    if source_system not in configured:
        raise ValueError(
            f"{source_system!r} is not a configured source (configured: {', '.join(configured)})"
        )
    moment = service.parse_since(since) if since else None
    with db.transaction() as conn:
        backfill_id = service.create_backfill(conn, source_system, moment)
    backfill_source.delay(backfill_id)
    return backfill_id


@shared_task(name="tasks.extract.sweep_stalled_batches")
def sweep_stalled_batches() -> int:
    """Queue again the batches whose messages were lost (Redis restarted without persistence)."""
    with db.connect() as conn:
        stalled = service.stalled_batches(conn, Settings.from_env().sweep_after_seconds)
    for batch_id in stalled:
        enqueue_batch(batch_id)
    if stalled:
        with db.transaction() as conn:
            conn.execute(
                text(
                    "UPDATE ingest_batch SET progressed_at = clock_timestamp(), "
                    "attempts = attempts + 1 WHERE batch_id = ANY(:ids)"
                ),
                {"ids": stalled},
            )
        log_event(log, "stalled batches requeued", count=len(stalled))
    return len(stalled)
