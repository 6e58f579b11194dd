"""The planner's statistics kept by the Brain (app/ops/planner_statistics.py): which tables are
analyzed and when, and the operator's hint in /health, /metrics and `c360 status` while a
table's statistics are far older than its contents."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial

import pytest
from sqlalchemy import Engine, text

from app import create_app, db
from app.celeryconfig import celery_config
from app.config import Settings
from app.ops.planner_statistics import (
    ANALYZE_BASE_ROWS,
    TableStatistics,
    refresh_statistics,
    table_statistics,
)
from app.ops.service import health
from app.waiting import wait_until
from tasks.retention import purge_expired_at
from tests.conftest import truncate_all

TRANSACTIONS = """
INSERT INTO transaction_360 (source_system, source_transaction_id, amount, currency, type,
    channel, occurred_at)
SELECT 'core', 'T' || n, 10, 'KES', 'DEBIT', 'MOBILE', now() - n * interval '1 minute'
FROM generate_series(1, CAST(:rows AS int)) AS n
"""
ACCOUNTS = """
INSERT INTO account_360 (source_system, source_account_id, currency, balance, status)
SELECT 'core', 'A' || n, 'KES', 100, 'ACTIVE' FROM generate_series(1, CAST(:rows AS int)) AS n
"""


def statistics_of(engine: Engine, table: str) -> TableStatistics:
    with engine.connect() as conn:
        return next(t for t in table_statistics(conn) if t.table == table)


def counted(engine: Engine, table: str, changed: int) -> None:
    """Wait until PostgreSQL's statistics count the committed changes (each backend reports
    its own within a second or so of its commits)."""
    wait_until(
        lambda: statistics_of(engine, table).changed >= changed,
        timeout=30,
        interval=0.2,
        what=f"{changed} changes of {table} counted",
    )


@pytest.fixture
def settled(engine: Engine) -> Iterator[Engine]:
    """An empty Brain whose every table was analyzed (empty), then emptied again at the end."""
    truncate_all(engine)
    with db.autocommit(engine) as conn:
        conn.execute(text("ANALYZE"))
    yield engine
    truncate_all(engine)


def test_the_rules():
    table = partial(TableStatistics, "t", analyzed_at=None)
    # changed by a tenth of its rows, past the base that keeps small churned tables out
    assert not table(rows_at_analyze=0, rows_now=900, changed=900).due
    assert table(rows_at_analyze=0, rows_now=ANALYZE_BASE_ROWS + 1, changed=1001).due
    assert not table(rows_at_analyze=100_000, rows_now=110_000, changed=10_000).due
    assert table(rows_at_analyze=100_000, rows_now=112_000, changed=12_000).due
    # far behind: more rows changed than the planner was told of, in a table of some size
    assert table(rows_at_analyze=0, rows_now=5000, changed=5000).stale
    assert table(rows_at_analyze=1000, rows_now=2500, changed=1500).stale
    assert not table(rows_at_analyze=0, rows_now=999, changed=999).stale
    assert not table(rows_at_analyze=100_000, rows_now=150_000, changed=50_000).stale
    # a table emptied since its analyze is no longer planned from its old contents' size
    assert not table(rows_at_analyze=50_000, rows_now=0, changed=50_000).stale


def test_a_grown_table_is_analyzed_with_its_partitions_and_an_unchanged_one_is_not(settled):
    with settled.begin() as conn:
        conn.execute(text(TRANSACTIONS), {"rows": 3000})
    counted(settled, "transaction_360", 3000)
    assert statistics_of(settled, "transaction_360").due

    analyzed = refresh_statistics(settled)

    assert "transaction_360" in analyzed
    assert "customer_360" not in analyzed and "account_360" not in analyzed
    grown = statistics_of(settled, "transaction_360")
    assert (grown.rows_at_analyze, grown.changed, grown.due) == (3000, 0, False)
    with settled.connect() as conn:
        partitions = conn.execute(
            text(
                "SELECT sum(c.reltuples) FROM pg_partition_tree('transaction_360') t"
                " JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf"
            )
        ).scalar()
    assert partitions == 3000
    # nothing changed since: the next check analyzes nothing
    assert refresh_statistics(settled) == {}


def test_a_refresh_running_elsewhere_makes_a_second_one_return_at_once(settled):
    with settled.begin() as conn:
        conn.execute(text(ACCOUNTS), {"rows": 2000})
    counted(settled, "account_360", 2000)
    with settled.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(3606, 0)"))
        try:
            assert refresh_statistics(settled) == {}
        finally:
            holder.execute(text("SELECT pg_advisory_unlock(3606, 0)"))
    assert "account_360" in refresh_statistics(settled)


def test_health_status_and_metrics_name_a_table_whose_statistics_are_far_behind(settled):
    settings = Settings.from_env()
    with settled.begin() as conn:
        conn.execute(text(ACCOUNTS), {"rows": 1500})
    counted(settled, "account_360", 1500)

    report = health(settings)
    assert report["statistics"]["status"] == "stale"
    assert report["status"] == "degraded"
    behind = report["statistics"]["stale_tables"]["account_360"]
    assert behind["rows_at_analyze"] == 0 and behind["changed_since_analyze"] == 1500
    assert set(report["statistics"]["stale_tables"]) == {"account_360"}
    status = subprocess.run(
        [sys.executable, "-m", "app.cli", "status"], capture_output=True, text=True, timeout=60
    )
    assert status.returncode == 0, status.stderr
    assert "planner statistics far older than the contents" in status.stdout
    assert "account_360: 1500 rows, 1500 changed since analyzed" in status.stdout
    client = create_app(settings).test_client()
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'c360_planner_statistics_stale{table="account_360"} 1.0' in metrics
    assert client.get("/health").get_json()["statistics"]["status"] == "stale"

    refresh_statistics(settled)

    assert health(settings)["statistics"] == {"status": "ok", "stale_tables": {}}
    assert (
        "planner statistics"
        not in subprocess.run(
            [sys.executable, "-m", "app.cli", "status"], capture_output=True, text=True, timeout=60
        ).stdout
    )


def test_the_hourly_maintenance_analyzes_every_table_changed_at_all(settled):
    with settled.begin() as conn:
        conn.execute(text(ACCOUNTS), {"rows": 20})
    counted(settled, "account_360", 20)
    assert not statistics_of(settled, "account_360").due

    purge_expired_at(datetime.now(UTC), Settings.from_env())

    account = statistics_of(settled, "account_360")
    assert (account.rows_at_analyze, account.changed) == (20, 0)


def test_the_check_is_on_beat_schedule_in_the_maintenance_queue():
    settings = dataclasses.replace(Settings.from_env(), statistics_interval=7.0)
    entry = celery_config(settings)["beat_schedule"]["refresh-statistics"]
    assert entry["task"] == "tasks.statistics.refresh_statistics"
    assert entry["schedule"] == 7.0
    assert entry["options"]["queue"] == "maintenance"


def test_a_deployment_can_leave_the_statistics_to_its_dba(settled):
    left_to_the_dba = dataclasses.replace(Settings.from_env(), statistics_interval=0)
    assert "refresh-statistics" not in celery_config(left_to_the_dba)["beat_schedule"]
    with settled.begin() as conn:
        conn.execute(text(ACCOUNTS), {"rows": 20})
    counted(settled, "account_360", 20)

    purge_expired_at(datetime.now(UTC), left_to_the_dba)

    assert statistics_of(settled, "account_360").changed == 20
