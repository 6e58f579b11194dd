"""The planner's statistics (`app/ops/planner_statistics.py`): the tables changed by a tenth
since their last analyze are analyzed, checked every C360_STATISTICS_INTERVAL seconds (beat) and
a moment after every batch large enough to make a table due by itself."""

from __future__ import annotations

from functools import cache

from celery import shared_task

from app import db
from app.ops.outages import skipped_while_database_down
from app.ops.planner_statistics import ANALYZE_BASE_ROWS
from app.ops.planner_statistics import refresh_statistics as refresh
from app.pipeline.batches import record_count
from tasks.settings import current

# PostgreSQL counts a backend's changes within about a second of their commit
COUNTED_AFTER_S = 2.0


# Like the polls, a check that mostly finds nothing sends no task events: its work shows in the
# log ("planner statistics refreshed") and in /health.
@shared_task(name="tasks.statistics.refresh_statistics", send_events=False)
@skipped_while_database_down
def refresh_statistics() -> dict[str, float]:
    return refresh(db.get_engine())


def check_after_batch(batch_id: int) -> None:
    """A done batch that could make a table due by itself asks for a check once its changes
    are counted: a load (a backfill, a replay, a catch-up) is followed batch by batch, and its
    statistics are fresh seconds after its last batch, not one beat interval later."""
    if not _checking():
        return
    with db.connect() as conn:
        records = record_count(conn, batch_id)
    if records >= ANALYZE_BASE_ROWS:
        refresh_statistics.apply_async(countdown=COUNTED_AFTER_S)


@cache
def _checking() -> bool:
    """Whether this deployment lets the Brain analyze (C360_STATISTICS_INTERVAL above 0)."""
    return current().statistics_interval > 0
