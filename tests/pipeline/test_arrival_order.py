"""The final state does not depend on the order in which sources are polled: fraud cases and
logins that arrive before their customer are held and completed when the customer arrives."""

import pytest
from sqlalchemy import text

from app.config import Settings
from app.pipeline import polling
from app.pipeline.sources import source_connector
from sandbox.sources import create_sources, drop_sources
from tests.conftest import truncate_all
from tests.pipeline.conftest import run_steps

pytestmark = pytest.mark.integration


def poll_in_order(order):
    def process(batch):
        run_steps(batch.batch_id)

    for source in order:
        connector = source_connector(source, Settings.from_env())
        for stream in connector.streams:
            polling.poll_stream(
                connector, stream, page_size=500, lookback_seconds=10, on_staged=process
            )


def state(conn):
    """Everything a profile shows, keyed by source keys (the UUIDs themselves may differ)."""
    groups = conn.execute(
        text(
            "SELECT string_agg(source_system || ':' || source_customer_id, ','"
            " ORDER BY source_system, source_customer_id)"
            " FROM source_customer GROUP BY global_customer_id ORDER BY 1"
        )
    ).scalars()
    owner = (
        "(SELECT min(sc.source_system || ':' || sc.source_customer_id) FROM source_customer sc"
        " WHERE sc.global_customer_id = f.global_customer_id)"
    )
    facts = {
        table: conn.execute(text(f"SELECT {key}, {owner} FROM {table} f ORDER BY 1")).all()
        for table, key in (
            ("account_360", "source_account_id"),
            ("transaction_360", "source_transaction_id"),
            ("channel_login", "source_session_id"),
            ("fraud_case", "source_case_id"),
        )
    }
    risk = conn.execute(
        text(
            f"SELECT {owner.replace('f.', 'r.')}, fraud_score, risk_level FROM risk_profile r"
            " ORDER BY 1"
        )
    ).all()
    return list(groups), facts, risk


def test_fraud_first_or_core_first_end_the_same(engine, source_urls, monkeypatch, conn):
    truncate_all(engine)  # start from an empty Enterprise Brain (this test rolls back after)
    drop_sources(source_urls)
    create_sources(source_urls, sample=True)
    for source, url in source_urls.items():
        monkeypatch.setenv(f"C360_SOURCE_{source.upper()}_URL", url)
    try:
        with conn.begin_nested() as first:
            poll_in_order(["core", "channel", "fraud"])
            expected = state(conn)
            first.rollback()
        with conn.begin_nested() as second:
            poll_in_order(["fraud", "channel", "core"])
            held = conn.execute(
                text("SELECT count(*) FROM fraud_case WHERE global_customer_id IS NULL")
            ).scalar()
            assert held == 0  # the cases that came first were completed when core arrived
            assert state(conn) == expected
            second.rollback()
    finally:
        drop_sources(source_urls)
