"""The planner's statistics (beat, every C360_STATISTICS_INTERVAL seconds): the tables changed
by autoanalyze's rule since their last analyze are analyzed (`app/ops/planner_statistics.py`)."""

from __future__ import annotations

from celery import shared_task

from app import db
from app.ops.planner_statistics import refresh_statistics as refresh


# Like the polls, a check every few seconds that mostly finds nothing sends no task events: its
# work shows in the log ("planner statistics refreshed") and in /health.
@shared_task(name="tasks.statistics.refresh_statistics", send_events=False)
def refresh_statistics() -> dict[str, float]:
    return refresh(db.get_engine())
