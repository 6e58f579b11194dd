"""Facts that grow with time, partitioned by year: transactions by when they happened, logins
by when they began, one partition per year from FIRST_YEAR to the next, and a default partition
for any other time (a value we have not seen is data: a transaction dated 1999 lands). Old
years can be detached and archived whole. Years, not months: a customer's newest rows can sit in
any partition, so every read of one customer's activity plans and locks every partition (and
its indexes; docs/scale.md, "Measurements behind the code") — and a year is what a bank
archives by. The hourly maintenance task makes next year's partition ahead.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from sqlalchemy import Connection, text

from app.logs import log_event

log = logging.getLogger("c360.pipeline")

PARTITIONED = {"transaction_360": "occurred_at", "channel_login": "login_at"}
FIRST_YEAR = 2020


def _utc(day: date) -> str:
    return f"{day.isoformat()} 00:00+00"  # a bound in UTC, whatever the session's time zone


def ranges(today: date) -> list[tuple[str, date, date]]:
    """(suffix, from, to) of every partition a table should have on `today`: each year from
    FIRST_YEAR to the next one."""
    return [
        (f"y{year}", date(year, 1, 1), date(year + 1, 1, 1))
        for year in range(FIRST_YEAR, today.year + 2)
    ]


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
        for suffix, start, end in ranges(today):
            name = f"{table}_{suffix}"
            if suffix in existing:
                continue
            crowded = conn.execute(
                text(
                    f"SELECT EXISTS (SELECT 1 FROM {table}_default"
                    f" WHERE {column} >= CAST(:start AS timestamptz)"
                    f" AND {column} < CAST(:end AS timestamptz))"
                ),
                {"start": _utc(start), "end": _utc(end)},
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
