"""The retention purge (beat, hourly by default): raw staged rows, resolved quarantine rows,
access-log entries and outbound events past their configured windows, old done batches folded
into totals, and identity lock rows nobody holds; the years ahead of the tables partitioned by
time; a VACUUM of the pipeline's own churned tables; and the planner's statistics of every
other table changed since its last analyze."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from celery import shared_task
from sqlalchemy import Connection

from app import db
from app.access.audit import purge_access_log
from app.config import Settings
from app.events.service import purge_events
from app.identity.locks import purge_identity_locks
from app.logs import log_event
from app.ops.outages import skipped_while_database_down
from app.ops.planner_statistics import refresh_statistics
from app.pipeline.ledger import fold_done_batches
from app.pipeline.partitions import ensure_partitions
from app.pipeline.retention import purge_raw_rows, purge_resolved_quarantine, vacuum_churned
from tasks.settings import current

log = logging.getLogger("c360.retention")


def _in_chunks(purge: Callable[[Connection], int]) -> int:
    """Run a chunked purge, one transaction per chunk, until it finds nothing more."""
    total = 0
    while chunk := _one_chunk(purge):
        total += chunk
    return total


def _one_chunk(purge: Callable[[Connection], int]) -> int:
    with db.transaction() as conn:
        return purge(conn)


def purge_expired_at(now: datetime, settings: Settings) -> dict[str, int]:
    """Everything past its window at `now` (a parameter, so a test can move the clock)."""
    batches = _in_chunks(lambda conn: purge_raw_rows(conn, now, settings.raw_retention_days))
    folded = _in_chunks(lambda conn: fold_done_batches(conn, now, settings.batch_retention_days))
    identity_locks = _in_chunks(purge_identity_locks)
    events = _in_chunks(lambda conn: purge_events(conn, now, settings.event_retention_days))
    with db.transaction() as conn:
        partitions = len(ensure_partitions(conn, now))
        quarantined = purge_resolved_quarantine(conn, now, settings.quarantine_retention_days)
        accesses = purge_access_log(conn, now, settings.access_log_retention_days)
    vacuum_churned(db.get_engine())
    if settings.statistics_interval > 0:
        refresh_statistics(db.get_engine(), every_change=True)
    outcome = {
        "batches": batches,
        "batches_folded": folded,
        "quarantine_rows": quarantined,
        "access_log_entries": accesses,
        "identity_locks": identity_locks,
        "events": events,
        "partitions_made": partitions,
    }
    if any(outcome.values()):
        log_event(log, "expired data purged", **outcome)
    return outcome


@shared_task(name="tasks.retention.purge_expired")
@skipped_while_database_down
def purge_expired() -> dict[str, int]:
    return purge_expired_at(datetime.now(UTC), current())
