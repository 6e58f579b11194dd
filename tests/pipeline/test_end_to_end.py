"""The whole pipeline with real parts: sources -> beat/worker (Redis) -> PostgreSQL -> API."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from app import create_app, processes
from app.config import Settings
from sandbox.simulator import Simulator
from sandbox.sources import create_sources

pytestmark = pytest.mark.integration


def source_scalar(url: str, sql: str):
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    engine.dispose()
    return value


def api_client():
    settings = dataclasses.replace(Settings.from_env(), api_keys=("e2e-key",))
    client = create_app(settings).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer e2e-key"
    return client


def test_every_source_lands_in_one_database(pipeline):
    create_sources(pipeline.source_urls, sample=True)
    core, channel, fraud = (pipeline.source_urls[s] for s in ("core", "channel", "fraud"))
    expected = {
        "core customers": source_scalar(core, 'SELECT count(*) FROM "Customers"'),
        "accounts": source_scalar(core, 'SELECT count(*) FROM "Accounts"'),
        "transactions": source_scalar(core, 'SELECT count(*) FROM "Transactions"'),
        "amount": source_scalar(core, 'SELECT sum("Amount") FROM "Transactions"'),
        "balances": source_scalar(core, 'SELECT sum("Balance") FROM "Accounts"'),
        "loans": source_scalar(core, 'SELECT count(*) FROM "Loans"'),
        "channel users": source_scalar(channel, "SELECT count(*) FROM users"),
        "logins": source_scalar(channel, "SELECT count(*) FROM sessions"),
        "alerts": source_scalar(channel, "SELECT count(*) FROM security_alerts"),
        "fraud cases": source_scalar(fraud, "SELECT count(*) FROM analyst_cases"),
    }
    queries = {
        "core customers": "SELECT count(*) FROM source_customer WHERE source_system = 'core'",
        "accounts": "SELECT count(*) FROM account_360",
        "transactions": "SELECT count(*) FROM transaction_360",
        "amount": "SELECT sum(amount) FROM transaction_360",
        "balances": "SELECT sum(balance) FROM account_360",
        "loans": "SELECT count(*) FROM loan_360",
        "channel users": "SELECT count(*) FROM source_customer WHERE source_system = 'channel'",
        "logins": "SELECT count(*) FROM channel_login",
        "alerts": "SELECT count(*) FROM security_alert",
        "fraud cases": "SELECT count(*) FROM fraud_case",
    }

    def landed():
        return pipeline.idle() and all(
            pipeline.scalar(sql) == expected[name] for name, sql in queries.items()
        )

    pipeline.wait_until(landed, timeout=90, what="every source row in the Enterprise Brain")
    # every fact found its owner, and every fraud case its core customer
    for table in ("account_360", "transaction_360", "channel_login", "fraud_case"):
        assert (
            pipeline.scalar(f"SELECT count(*) FROM {table} WHERE global_customer_id IS NULL") == 0
        )
    assert pipeline.scalar("SELECT count(*) FROM risk_profile") == pipeline.scalar(
        "SELECT count(*) FROM customer_360"
    )


def test_one_person_across_core_channel_and_fraud_is_one_profile(pipeline):
    simulator = Simulator(pipeline.source_urls, seed=11)
    try:
        person = simulator.new_customer(
            IdentificationNumber="ID 31 234 567", PrimaryPhone="0722 123 456"
        )
        simulator.login("254722123456", device_id="android-7f3a")
        posting = simulator.post_transaction(person["account_id"], "120000", "Credit", "MOBILE")
        case = simulator.open_fraud_case(
            person["customer_number"], posting["reference"], 0.87, ["Unusual amount"]
        )
    finally:
        simulator.close()

    def unified():
        return pipeline.scalar(
            """
            SELECT count(DISTINCT global_customer_id) = 1 AND count(*) = 3
            FROM (SELECT global_customer_id FROM source_customer
                  UNION ALL SELECT global_customer_id FROM fraud_case) AS ids
            WHERE global_customer_id IS NOT NULL
            """
        ) and pipeline.scalar(
            "SELECT (SELECT count(*) FROM risk_profile WHERE risk_level = 'HIGH') = 1"
            " AND (SELECT count(global_customer_id) FROM channel_login) = 1"
            " AND (SELECT count(global_customer_id) FROM transaction_360) = 1"
        )

    pipeline.wait_until(unified, timeout=60, what="one Global Customer ID for all three")
    gid = pipeline.scalar("SELECT global_customer_id FROM customer_360")

    response = api_client().get(f"/customer/{gid}")
    assert response.status_code == 200
    profile = response.get_json()
    assert profile["national_id"] == {"value": "31234567", "source": "core"}
    assert profile["phone"]["value"] == "+254722123456"
    assert {s["source_system"] for s in profile["source_records"]} == {"core", "channel"}
    assert [a["account_number"] for a in profile["accounts"]] == [person["account_number"]]
    assert profile["recent_transactions"][0]["reference"] == posting["reference"]
    assert profile["last_login"]["device_id"] == "android-7f3a"
    assert profile["risk"]["risk_level"] == "HIGH"
    assert [r["ref"] for r in profile["risk"]["reasons"]] == [str(case["case_id"])]


def test_family_sharing_a_phone_stays_apart(pipeline):
    def landed(count):
        return lambda: (
            pipeline.idle() and pipeline.scalar("SELECT count(*) FROM source_customer") == count
        )

    simulator = Simulator(pipeline.source_urls, seed=12)
    try:
        simulator.new_customer(IdentificationNumber="21345678", PrimaryPhone="0733555666")
        simulator.new_customer(IdentificationNumber="22345678", PrimaryPhone="+254733555666")
        pipeline.wait_until(landed(2), what="two core customers sharing a phone")
        assert (
            pipeline.scalar("SELECT count(DISTINCT global_customer_id) FROM source_customer") == 2
        )
        simulator.login("254733555666")
        pipeline.wait_until(landed(3), what="the shared phone's channel user")
    finally:
        simulator.close()
    # a login from the family phone cannot be told apart: it joins neither parent nor child
    assert pipeline.scalar("SELECT count(DISTINCT global_customer_id) FROM source_customer") == 3
    refusal = pipeline.scalar("SELECT reason FROM match_decision WHERE source_system = 'channel'")
    assert "ambiguous" in refusal


def test_restart_resumes_from_checkpoints_without_reinserting(pipeline):
    simulator = Simulator(pipeline.source_urls, seed=13)
    try:
        person = simulator.new_customer()
        for amount in (100, 200, 300):
            simulator.post_transaction(person["account_id"], amount, "Credit", "ATM")
        pipeline.wait_until(
            lambda: (
                pipeline.idle() and pipeline.scalar("SELECT count(*) FROM transaction_360") == 3
            ),
            what="the first three transactions",
        )
        pipeline.stop("worker", "beat")
        staged_before = pipeline.scalar(
            "SELECT count(*) FROM ingest_record WHERE entity = 'transaction'"
        )
        for amount in (400, 500):
            simulator.post_transaction(person["account_id"], amount, "Credit", "ATM")
    finally:
        simulator.close()

    pipeline.start(
        worker=processes.worker_command(concurrency=2),
        beat=processes.beat_command(pipeline.workdir / "beat-state"),
    )
    pipeline.wait_until(
        lambda: pipeline.idle() and pipeline.scalar("SELECT count(*) FROM transaction_360") == 5,
        what="the two transactions written while the pipeline was down",
    )
    assert pipeline.scalar("SELECT sum(amount) FROM transaction_360") == 1500
    # only the two new rows were read again: the checkpoint survived the restart
    assert (
        pipeline.scalar("SELECT count(*) FROM ingest_record WHERE entity = 'transaction'")
        == staged_before + 2
    )
    assert pipeline.scalar("SELECT balance FROM account_360") == 1500


def test_backfill_rereads_a_source_and_doubles_nothing(pipeline):
    create_sources(pipeline.source_urls, sample=True)
    core = pipeline.source_urls["core"]
    transactions = source_scalar(core, 'SELECT count(*) FROM "Transactions"')
    pipeline.wait_until(
        lambda: (
            pipeline.idle()
            and pipeline.scalar("SELECT count(*) FROM transaction_360") == transactions
        ),
        timeout=90,
        what="the initial load",
    )
    total = pipeline.scalar("SELECT sum(amount) FROM transaction_360")
    staged = pipeline.scalar("SELECT count(*) FROM ingest_record")

    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "backfill", "core", "--wait", "--timeout", "120"],
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "records" in result.stdout  # the progress display
    core_rows = sum(
        source_scalar(core, f'SELECT count(*) FROM "{table}"')
        for table in ("Customers", "Accounts", "Transactions", "Loans")
    )
    # every core row was staged again by the backfill ...
    assert pipeline.scalar("SELECT count(*) FROM ingest_record") >= staged + core_rows
    assert pipeline.scalar("SELECT count(*) FROM backfill WHERE status = 'extracted'") == 1
    # ... and nothing landed twice
    assert pipeline.scalar("SELECT count(*) FROM transaction_360") == transactions
    assert pipeline.scalar("SELECT sum(amount) FROM transaction_360") == total


def test_backfill_rejects_an_unknown_source(pipeline):
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "backfill", "ledger"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "'ledger' is not a configured source" in result.stderr
