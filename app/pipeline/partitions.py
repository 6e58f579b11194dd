"""Facts that grow with time, partitioned by month: transactions by when they happened, logins
by when they began. Past years have a partition each, the current year and the months ahead
one per month, and a default partition takes any other time (a value we have not seen is data:
a transaction dated 1999 lands, and says so in `c360 status`). Queries on one customer's recent
activity read the newest partitions first and stop; old months can be detached and archived
whole. The hourly maintenance task keeps PARTITIONS_AHEAD months made ahead of the clock."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from sqlalchemy import Connection, text

from app.logs import log_event

log = logging.getLogger("c360.pipeline")

PARTITIONED = {"transaction_360": "occurred_at", "channel_login": "login_at"}
FIRST_YEAR = 2010
PARTITIONS_AHEAD = 3


def _month(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _utc(day: date) -> str:
    return f"{day.isoformat()} 00:00+00"  # a bound in UTC, whatever the session's time zone


def ranges(today: date, existing: set[str] = frozenset()) -> list[tuple[str, date, date]]:
    """(suffix, from, to) of every partition a table should have on `today`, given the
    suffixes it has: a past year whole, unless months of it were made while it was current
    (then its other months), and every month from this January to PARTITIONS_AHEAD ahead."""
    wanted = []
    for year in range(FIRST_YEAR, today.year):
        if any(suffix.startswith(f"m{year}") for suffix in existing):
            wanted += _months(date(year, 1, 1), date(year + 1, 1, 1))
        else:
            wanted.append((f"y{year}", date(year, 1, 1), date(year + 1, 1, 1)))
    if f"y{today.year}" not in existing:
        wanted += _months(date(today.year, 1, 1), _month(today, PARTITIONS_AHEAD + 1))
    return wanted


def _months(start: date, end: date) -> list[tuple[str, date, date]]:
    months, month = [], start
    while month < end:
        months.append((f"m{month:%Y%m}", month, _month(month, 1)))
        month = _month(month, 1)
    return months


def ensure_partitions(conn: Connection, now: datetime | None = None) -> list[str]:
    """Make the partitions missing on `now`'s date (and the default); returns those made. A
    range whose times already sit in the default partition is left to the default (logged):
    made, it would have to take them over, which a live table cannot do in one short lock."""
    today = (now or datetime.now(UTC)).date()
    made = []
    for table, column in PARTITIONED.items():
        existing = {
            name.removeprefix(f"{table}_")
            for name in conn.execute(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    " WHERE i.inhparent = CAST(:table AS regclass)"
                ),
                {"table": table},
            ).scalars()
        }
        if "default" not in existing:
            conn.execute(text(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT"))
            made.append(f"{table}_default")
        for suffix, start, end in ranges(today, existing):
            name = f"{table}_{suffix}"
            if suffix in existing:
                continue
            crowded = conn.execute(
                text(
                    f"SELECT EXISTS (SELECT 1 FROM {table}_default"
                    f" WHERE {column} >= :start AND {column} < :end)"
                ),
                {"start": start, "end": end},
            ).scalar()
            if crowded:
                log_event(log, "partition left to the default", table=table, partition=name)
                continue
            conn.execute(
                text(
                    f"CREATE TABLE {name} PARTITION OF {table}"
                    f" FOR VALUES FROM ('{_utc(start)}') TO ('{_utc(end)}')"
                )
            )
            made.append(name)
    if made:
        log_event(log, "partitions made", partitions=made)
    return made
