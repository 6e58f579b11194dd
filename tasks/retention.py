"""The retention purge (beat, hourly by default): raw staged rows, resolved quarantine rows and
access-log entries past their configured windows."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from celery import shared_task

from app import db
from app.access.audit import purge_access_log
from app.config import Settings
from app.logs import log_event
from app.pipeline.retention import purge_raw_rows, purge_resolved_quarantine

log = logging.getLogger("c360.retention")


def purge_expired_at(now: datetime, settings: Settings) -> dict[str, int]:
    """Everything past its window at `now` (a parameter, so a test can move the clock)."""
    batches = 0
    while True:
        with db.transaction() as conn:
            purged = purge_raw_rows(conn, now, settings.raw_retention_days)
        batches += purged
        if not purged:
            break
    with db.transaction() as conn:
        quarantined = purge_resolved_quarantine(conn, now, settings.quarantine_retention_days)
        accesses = purge_access_log(conn, now, settings.access_log_retention_days)
    outcome = {"batches": batches, "quarantine_rows": quarantined, "access_log_entries": accesses}
    if any(outcome.values()):
        log_event(log, "expired data purged", **outcome)
    return outcome


@shared_task(name="tasks.retention.purge_expired")
def purge_expired() -> dict[str, int]:
    return purge_expired_at(datetime.now(UTC), Settings.from_env())
