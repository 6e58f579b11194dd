"""Profiles made directly in an Enterprise Brain database, in SQL (for benchmarks of reads,
where how the profiles got there does not matter): each with its golden record, its core source
record, two accounts and T transactions on the first account.

Then the planner's statistics are refreshed as the product refreshes them after any load (its
own check, app/ops/planner_statistics.py, which beat runs every few seconds), and nothing more:
no VACUUM and no ANALYZE of tables the product would leave alone, so a benchmark reads the
Brain a load of the product would leave."""

from __future__ import annotations

import time

from sqlalchemy import Engine, create_engine, text

from app.ops.planner_statistics import refresh_statistics
from app.waiting import wait_until

# in slices of 100,000 people: each a transaction of its own, so progress shows and no single
# statement holds millions of rows in memory
POPULATION_SLICE = """
INSERT INTO customer_360 (global_customer_id, full_name, full_name_source, national_id,
    national_id_source, phone, phone_source, created_date)
SELECT md5('m' || i)::uuid, 'Customer ' || i, 'core', (30000000 + i)::text, 'core',
    '+2547' || lpad(i::text, 8, '0'), 'core', now() - interval '400 days'
FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS i;
INSERT INTO source_customer (global_customer_id, source_system, source_customer_id, full_name,
    national_id, id_document_type, phone, match_rule)
SELECT md5('m' || i)::uuid, 'core', 'M' || i, 'Customer ' || i, (30000000 + i)::text,
    'national_id', '+2547' || lpad(i::text, 8, '0'), 'new'
FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS i;
INSERT INTO account_360 (source_system, source_account_id, global_customer_id,
    source_customer_id, currency, balance, status)
SELECT 'core', 'M' || i || '-' || a, md5('m' || i)::uuid, 'M' || i, 'KES', 1000 + a, 'ACTIVE'
FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS i, generate_series(1, 2) AS a;
INSERT INTO transaction_360 (source_system, source_transaction_id, source_account_id,
    global_customer_id, source_customer_id, amount, currency, type, channel, occurred_at)
SELECT 'core', 'M' || i || '-' || t, 'M' || i || '-1', md5('m' || i)::uuid, 'M' || i, 10 * t,
    'KES', 'DEBIT', 'MOBILE', now() - t * interval '1 hour'
FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS i,
    generate_series(1, CAST(:transactions AS int)) AS t
"""
SLICE = 100_000


def build(url: str, profiles: int, transactions: int, *, progress: bool = False) -> float:
    """Make `profiles` profiles in the database at `url`, then refresh the planner's statistics
    as the product does; returns the seconds it took."""
    engine = create_engine(url)
    started = time.monotonic()
    for first in range(1, profiles + 1, SLICE):
        last = min(first + SLICE - 1, profiles)
        with engine.begin() as conn:
            for statement in POPULATION_SLICE.split(";"):
                conn.execute(
                    text(statement), {"first": first, "last": last, "transactions": transactions}
                )
        if progress:
            print(f"  {last:,} profiles", flush=True)
    counted(engine)
    refresh_statistics(engine)
    engine.dispose()
    return round(time.monotonic() - started, 1)


def counted(engine: Engine) -> None:
    """Wait until PostgreSQL's statistics count the rows just written (each backend reports its
    own within a second or so of its commits), as the product's next check would find them."""

    def changes() -> int:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT pg_stat_get_mod_since_analyze(CAST('customer_360' AS regclass))")
            ).scalar_one()

    wait_until(changes, timeout=30, interval=0.2, what="the new rows counted")
