"""Transactions and logins are partitioned by year: a row lands in its year's partition, a
time outside every range in the default one (kept, never refused), and the maintenance task
makes the years ahead, once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from app.pipeline.partitions import FIRST_YEAR, ensure_partitions

TRANSACTION = """
INSERT INTO transaction_360 (source_system, source_transaction_id, amount, currency, type,
    channel, occurred_at)
VALUES ('core', :id, 10, 'KES', 'DEBIT', 'MOBILE', :at)
"""


def partition_of(conn, transaction_id: str) -> str:
    return conn.execute(
        text(
            "SELECT tableoid::regclass::text FROM transaction_360 WHERE source_transaction_id = :id"
        ),
        {"id": transaction_id},
    ).scalar_one()


def test_a_transaction_lands_in_its_years_partition_and_an_odd_time_in_the_default(conn):
    now = datetime.now(UTC)
    conn.execute(text(TRANSACTION), {"id": "now", "at": now})
    conn.execute(text(TRANSACTION), {"id": "first", "at": datetime(FIRST_YEAR, 6, 1, tzinfo=UTC)})
    conn.execute(text(TRANSACTION), {"id": "1999", "at": datetime(1999, 12, 31, tzinfo=UTC)})
    assert partition_of(conn, "now") == f"transaction_360_y{now:%Y}"
    assert partition_of(conn, "first") == f"transaction_360_y{FIRST_YEAR}"
    assert partition_of(conn, "1999") == "transaction_360_default"
    # the key still says one row per source transaction: read again, it is not doubled
    conn.execute(
        text(TRANSACTION + " ON CONFLICT (source_system, source_transaction_id, occurred_at)"
             " DO NOTHING"),
        {"id": "now", "at": now},
    )  # fmt: skip
    assert conn.execute(text("SELECT count(*) FROM transaction_360")).scalar() == 3


def test_the_maintenance_task_makes_the_years_ahead_once(conn):
    later = datetime(2031, 2, 10, tzinfo=UTC)
    made = ensure_partitions(conn, later)
    assert {"transaction_360_y2031", "transaction_360_y2032", "channel_login_y2032"} <= set(made)
    assert ensure_partitions(conn, later) == []
    conn.execute(text(TRANSACTION), {"id": "ahead", "at": datetime(2032, 5, 2, tzinfo=UTC)})
    assert partition_of(conn, "ahead") == "transaction_360_y2032"


def test_a_year_already_holding_rows_in_the_default_is_left_to_it(conn):
    conn.execute(text(TRANSACTION), {"id": "early", "at": datetime(2041, 3, 3, tzinfo=UTC)})
    made = ensure_partitions(conn, datetime(2040, 1, 15, tzinfo=UTC))
    assert "transaction_360_y2041" not in made and "transaction_360_y2040" in made
    assert partition_of(conn, "early") == "transaction_360_default"
