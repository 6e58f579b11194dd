"""`/metrics` and `c360 status` cost the same on day 1 and day 300, but for a page or two per
yearly partition: the facts that grow with time (transactions, logins) are counted through
indexes of the rows that matter (held for an owner not arrived, of a type no rule knows),
never by reading their history."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import text

from app.ops.service import HELD_FACTS
from app.pipeline.vocabulary import TRANSACTION_TYPE

UNKNOWN_TYPES = (
    f"SELECT source_system, '{TRANSACTION_TYPE}', coalesce(source_type, ''), count(*) "
    "FROM transaction_360 WHERE type = 'UNKNOWN' GROUP BY 1, 3"
)


def add_days(conn, first: int, days: int, per_day: int = 1000) -> None:
    """`days` days of linked activity (transactions, logins); on the first day a few rows held
    for an owner not arrived and of a type no rule knows (which later days do not add to)."""
    owner = uuid.uuid4()
    conn.execute(
        text(
            """
            INSERT INTO transaction_360 (source_system, source_transaction_id, global_customer_id,
                source_customer_id, amount, currency, type, source_type, channel, occurred_at)
            SELECT 'core', 'T' || n, CASE WHEN n < 10 THEN NULL ELSE :owner END, 'c' || n,
                10, 'KES', CASE WHEN n < 5 THEN 'UNKNOWN' ELSE 'DEBIT' END, 'x', 'MOBILE',
                now() - n * interval '1 minute'
            FROM generate_series(CAST(:start AS int), CAST(:stop AS int)) AS n
            """
        ),
        {"owner": owner, "start": first * per_day, "stop": (first + days) * per_day - 1},
    )
    conn.execute(
        text(
            """
            INSERT INTO channel_login (source_system, source_session_id, global_customer_id,
                source_customer_id, login_at)
            SELECT 'channel', 'S' || n, CASE WHEN n < 10 THEN NULL ELSE :owner END,
                'u' || n, now() - n * interval '1 minute'
            FROM generate_series(CAST(:start AS int), CAST(:stop AS int)) AS n
            """
        ),
        {"owner": owner, "start": first * per_day, "stop": (first + days) * per_day - 1},
    )
    conn.execute(text("ANALYZE transaction_360"))
    conn.execute(text("ANALYZE channel_login"))


def blocks(conn, query: str) -> int:
    """Buffers the query touches (hit or read), from PostgreSQL's own accounting."""
    plan = conn.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {query}")).scalar()
    top = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    return top["Shared Hit Blocks"] + top["Shared Read Blocks"]


def test_counting_held_and_unknown_facts_does_not_read_their_history(conn):
    before = conn.execute(text("SELECT count(*) FROM transaction_360")).scalar()
    add_days(conn, 0, 10)
    day_one = {query: blocks(conn, query) for query in (HELD_FACTS, UNKNOWN_TYPES)}
    add_days(conn, 10, 290)  # 29 times the activity
    day_300 = {query: blocks(conn, query) for query in (HELD_FACTS, UNKNOWN_TYPES)}
    assert conn.execute(text("SELECT count(*) FROM transaction_360")).scalar() == before + 300_000
    history = conn.execute(
        text(
            "SELECT sum(relpages) FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid"
            " WHERE i.inhparent IN ('transaction_360'::regclass, 'channel_login'::regclass)"
        )
    ).scalar()
    partitions = conn.execute(
        text("SELECT count(DISTINCT tableoid) FROM transaction_360 WHERE ingested_at IS NOT NULL")
    ).scalar()
    for query in (HELD_FACTS, UNKNOWN_TYPES):
        # an index page or two per yearly partition (a fixed cost per year), never the rows:
        # the history is thousands of pages
        assert day_300[query] <= day_one[query] + 2 * partitions, (query, day_one, day_300)
        assert day_300[query] * 50 < history, (query, day_300, history)
