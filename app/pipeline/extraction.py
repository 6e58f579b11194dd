"""A source's scheduled reads: the poll (every change stream, then the open rows it watches)
and the slower scan (streams whose marker has no index at the source, and digest scans). Each
stream fails alone (stream_health); each stored batch is handed to `on_staged` (the caller
queues it) as soon as its transaction commits."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from app.config import Settings
from app.logs import log_event
from app.pipeline.extraction_lock import exclusive_extraction
from app.pipeline.polling import poll_stream
from app.pipeline.scans import scan_for_changes
from app.pipeline.sources import source_connector
from app.pipeline.staging import StagedBatch
from app.pipeline.stream_health import stream_attempt
from app.pipeline.watch import recheck_open
from connectors.base import Connector

log = logging.getLogger("c360.extract")

OnStaged = Callable[[StagedBatch], None]


def poll_source(
    source_system: str,
    on_staged: OnStaged,
    settings: Settings,
    max_pages: int | None = None,
) -> int:
    """One poll of every stream of a source (at most `max_pages` pages of each); returns the
    rows staged (0 when another poll of the source still runs, or the source is not configured
    here). `settings`: the process's."""
    if source_system not in settings.source_urls:
        return 0
    with exclusive_extraction(source_system) as mine:
        if not mine:
            return 0
        started = time.monotonic()
        connector = source_connector(source_system, settings)
        staged = _poll_streams(settings, connector, on_staged, slow=False, max_pages=max_pages)
        for watch in connector.watches:
            with stream_attempt(source_system, watch.name, "poll"):
                staged += recheck_open(connector, watch, on_staged=on_staged)
        if staged:
            log_event(
                log,
                "source polled",
                source=source_system,
                records=staged,
                seconds=round(time.monotonic() - started, 3),
            )
        return staged


def scan_source(source_system: str, on_staged: OnStaged, settings: Settings) -> int:
    """The slower schedule: streams whose marker has no index at the source (a full read of
    it), and digest scans of tables that change without a marker."""
    if source_system not in settings.source_urls:
        return 0
    connector = source_connector(source_system, settings)
    with exclusive_extraction(f"{source_system}:scan") as mine:
        if not mine:
            return 0
        started = time.monotonic()
        staged = _poll_streams(settings, connector, on_staged, slow=True)
        for scan in connector.scans:
            with stream_attempt(source_system, scan.name, "scan"):
                staged += scan_for_changes(
                    connector, scan, chunk_size=settings.scan_chunk_size, on_staged=on_staged
                )
        log_event(
            log,
            "source scanned",
            source=source_system,
            changed=staged,
            seconds=round(time.monotonic() - started, 3),
        )
        return staged


def _poll_streams(
    settings: Settings,
    connector: Connector,
    on_staged: OnStaged,
    *,
    slow: bool,
    max_pages: int | None = None,
) -> int:
    """Poll the source's streams of one schedule (every poll, or the slower scan schedule)."""
    staged = 0
    for stream in connector.streams:
        if stream.slow != slow:
            continue
        # one stream's failure (a missing table or column) fails that stream alone
        with stream_attempt(connector.source_system, stream.name, "scan" if slow else "poll"):
            staged += poll_stream(
                connector,
                stream,
                page_size=settings.page_size,
                lookback_seconds=settings.lookback_seconds,
                on_staged=on_staged,
                max_pages=max_pages,
            )
    return staged
