"""The planner's statistics of the Brain's tables, kept fresh by the Brain itself (for its
readers: docs/planner-statistics.md).

PostgreSQL plans every statement from what the last ANALYZE of each table found. A table that
grew from empty to hundreds of thousands of rows, and was not analyzed since, is planned as if
it were still empty, and a profile read that takes a millisecond on fresh statistics takes a
hundred or more. Autovacuum's autoanalyze is what normally refreshes them, but it may be off
(this machine kind's PostgreSQL runs without it), it trails a large load by up to a minute even
where it runs, and it never analyzes a partitioned table's parent, whose statistics plan every
read of the whole table. So the Brain does not wait for it:

- a check analyzes each table changed by a tenth since its last analyze (autoanalyze's rule):
  a moment after every batch large enough to make a table due by itself, so a backfill, a
  replay or a catch-up is followed batch by batch and ends with fresh statistics seconds after
  its last batch; and every C360_STATISTICS_INTERVAL seconds (beat), for what grows by small
  batches or is written by anything else;
- the hourly maintenance analyzes every table changed at all since its last analyze;
- `/health` and `c360 status` name the tables whose statistics are far older than their
  contents: the sign that none of this runs.

C360_STATISTICS_INTERVAL=0 leaves the statistics to the DBA: the Brain then never analyzes, and
still says when they are far behind.

"Changed" is PostgreSQL's own count of rows inserted, updated or deleted since the table's last
analyze (`pg_stat_get_mod_since_analyze`), summed over a partitioned table's partitions; it
reaches this count within a few seconds of the writes' commits, and a crash of the server resets
it (its statistics stay, but a change made just before the crash is no longer counted).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from app import db
from app.logs import log_event

log = logging.getLogger("c360.ops")

# Autoanalyze's rule, with a larger base: a table is due once more rows changed than this base
# plus this share of its rows at the last analyze. The base keeps the small tables that change
# all day (one row per stream, updated every poll) out of it; their plans are the same however
# old their statistics, and the hourly maintenance analyzes them.
ANALYZE_BASE_ROWS = 1000
ANALYZE_SHARE = 0.1
# far behind: a table of at least this many rows, more of which changed since its last analyze
# than the planner was then told it held (it doubled, or was rewritten)
STALE_MIN_ROWS = 1000

# one refresh at a time across workers (3602-3605: extraction, beat, extraction slots)
REFRESH_LOCK = (3606, 0)

# Each table of the Brain's schema that statements plan against: ordinary tables, and the
# parents of partitioned ones (analyzed with their partitions, whose counts they add up). Read
# from the catalogs alone, without locking any table: a check must never wait behind a
# transaction that holds one (making a partition, a TRUNCATE).
TABLE_STATISTICS = """
WITH RECURSIVE tables AS (
    SELECT c.oid AS root, c.oid AS relid, c.relkind
    FROM pg_class c
    WHERE c.relnamespace = CAST(current_schema() AS regnamespace)
      AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    UNION ALL
    SELECT tables.root, part.oid, part.relkind
    FROM tables
    JOIN pg_inherits i ON i.inhparent = tables.relid
    JOIN pg_class part ON part.oid = i.inhrelid
)
SELECT c.relname AS table_name,
       greatest(c.reltuples, 0)::bigint AS rows_at_analyze,
       coalesce(sum(pg_stat_get_live_tuples(t.relid)) FILTER (WHERE t.relkind = 'r'), 0)::bigint
           AS rows_now,
       coalesce(sum(pg_stat_get_mod_since_analyze(t.relid)) FILTER (WHERE t.relkind = 'r'), 0)
           ::bigint AS changed,
       greatest(pg_stat_get_last_analyze_time(c.oid), pg_stat_get_last_autoanalyze_time(c.oid))
           AS analyzed_at
FROM tables t
JOIN pg_class c ON c.oid = t.root
GROUP BY c.oid, c.relname, c.reltuples
ORDER BY c.relname
"""


@dataclass(frozen=True)
class TableStatistics:
    table: str
    rows_at_analyze: int  # what the planner was told at the last analyze (0: never analyzed)
    rows_now: int
    changed: int  # rows inserted, updated or deleted since the last analyze
    analyzed_at: datetime | None

    @property
    def due(self) -> bool:
        """Changed enough since the last analyze to be analyzed again."""
        return self.changed > ANALYZE_BASE_ROWS + ANALYZE_SHARE * self.rows_at_analyze

    @property
    def stale(self) -> bool:
        """Statistics far older than the contents: the operator's hint."""
        return self.rows_now >= STALE_MIN_ROWS and self.changed > self.rows_at_analyze

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows_at_analyze": self.rows_at_analyze,
            "rows_now": self.rows_now,
            "changed_since_analyze": self.changed,
            "analyzed_at": self.analyzed_at,
        }


def table_statistics(conn: Connection) -> list[TableStatistics]:
    return [TableStatistics(*row) for row in conn.execute(text(TABLE_STATISTICS))]


def stale_tables(conn: Connection) -> dict[str, dict[str, Any]]:
    """The tables whose statistics are far older than their contents, by name."""
    return {table.table: table.as_dict() for table in table_statistics(conn) if table.stale}


def refresh_statistics(engine: Engine, *, every_change: bool = False) -> dict[str, float]:
    """ANALYZE the tables due (with `every_change`, every table changed at all since its last
    analyze); returns the seconds each took. Runs on a connection of its own, one table per
    statement, skipping a table another ANALYZE or VACUUM holds (autovacuum's, or the hourly
    maintenance's). A check finding a refresh already running elsewhere returns at once; the
    `every_change` pass (hourly) waits for it, so it is never skipped.

    ANALYZE reads a sample of at most 30,000 rows a table (at the default statistics target)
    whatever its size, and stops no read or write."""
    spent: dict[str, float] = {}
    with db.autocommit(engine) as conn:
        if every_change:
            conn.execute(text("SELECT pg_advisory_lock(:a, :b)"), _lock())
        elif not conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"), _lock()).scalar_one():
            return spent
        try:
            for table in table_statistics(conn):
                if table.due or (every_change and table.changed > 0):
                    started = time.monotonic()
                    conn.execute(text(f'ANALYZE (SKIP_LOCKED) "{table.table}"'))
                    spent[table.table] = round(time.monotonic() - started, 3)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), _lock())
    if spent:
        log_event(log, "planner statistics refreshed", seconds=spent)
    return spent


def _lock() -> dict[str, int]:
    return {"a": REFRESH_LOCK[0], "b": REFRESH_LOCK[1]}
