"""Events in, through the real API, worker and beat: a source's events become one profile with
its facts; the same rows polled afterwards change nothing; an event seen again or an older
version arriving late changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from app import create_app, db
from app.access.keys import create_key
from app.config import Settings

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def envelope(event_type, key, data, at, event_id=None):
    return {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": "core",
        "type": event_type,
        "time": at.isoformat(),
        "subject": key,
        "data": data,
    }


def person(customer_id):
    return {
        "Id": customer_id,
        "CustomerNumber": "CUST7001",
        "FirstName": "Wanjiru",
        "LastName": "Kamau",
        "Email": "wanjiru.kamau@example.co.ke",
        "IdentificationNumber": "23456789",
        "PrimaryPhone": "+254722456789",
        "Status": "Active",
        "KYCStatus": "Verified",
        "CreatedAt": T0.isoformat(),
        "UpdatedAt": T0.isoformat(),
    }


def account(account_id, customer_id, balance, at):
    return {
        "Id": account_id,
        "AccountNumber": "ACC-7001",
        "CustomerId": customer_id,
        "AccountType": "Savings",
        "Currency": "KES",
        "Balance": balance,
        "AvailableBalance": balance,
        "Status": "Active",
        "IsClosed": False,
        "CreatedAt": T0.isoformat(),
        "UpdatedAt": at.isoformat(),
    }


@pytest.fixture
def deliver(pipeline):
    with db.transaction() as conn:
        key = create_key(conn, f"core-events-{uuid.uuid4().hex[:6]}", ["ingest"])
    client = create_app(Settings.from_env()).test_client()

    def send(*events, status=202):
        response = client.post(
            "/ingest/events", json=list(events), headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == status, response.get_json()
        return response.get_json()

    return send


def test_events_become_a_profile_and_the_same_rows_polled_change_nothing(pipeline, deliver):
    customer, acct, txn = (str(uuid.uuid4()) for _ in range(3))
    deliver(
        envelope("CustomerCreated", customer, person(customer), T0),
        envelope("AccountOpened", acct, account(acct, customer, 1500, T0), T0),
        envelope(
            "TransactionPosted",
            txn,
            {
                "Id": txn,
                "AccountId": acct,
                "CustomerId": customer,
                "Type": "Credit",
                "Amount": 1500,
                "Currency": "KES",
                "Status": "Completed",
                "Reference": "TX-EVT-7001",
                "ProcessedAt": T0.isoformat(),
            },
            T0,
        ),
    )
    landed = (
        "SELECT (SELECT count(*) FROM source_customer) = 1"
        " AND (SELECT count(*) FROM account_360) = 1"
        " AND (SELECT count(*) FROM transaction_360) = 1"
    )
    pipeline.wait_until(lambda: pipeline.scalar(landed), timeout=60, what="the events landed")
    profile = pipeline.scalar("SELECT global_customer_id FROM source_customer")

    # the same rows, written in core and polled: one person, one account, one transaction
    core = create_engine(pipeline.source_urls["core"])
    with core.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO "Customers" ("Id", "CustomerNumber", "FirstName", "LastName", "Email",'
                ' "IdentificationNumber", "PrimaryPhone", "Status", "KYCStatus", "CreatedAt",'
                ' "UpdatedAt") VALUES (:Id, :CustomerNumber, :FirstName, :LastName, :Email,'
                " :IdentificationNumber, :PrimaryPhone, :Status, :KYCStatus, :CreatedAt,"
                " :UpdatedAt)"
            ),
            person(customer),
        )
        conn.execute(
            text(
                'INSERT INTO "Accounts" ("Id", "AccountNumber", "CustomerId", "Balance",'
                ' "AvailableBalance", "CreatedAt", "UpdatedAt")'
                " VALUES (:a, 'ACC-7001', :c, 1500, 1500, :t, :t)"
            ),
            {"a": acct, "c": customer, "t": T0},
        )
    core.dispose()
    polled = "SELECT count(*) FROM ingest_batch WHERE source_system = 'core' AND stream <> 'events'"
    pipeline.wait_until(lambda: pipeline.scalar(polled) >= 2, timeout=30, what="core polled")
    pipeline.wait_until(pipeline.idle, timeout=60, what="the polled batches done")
    assert pipeline.scalar(landed)
    assert pipeline.scalar("SELECT count(*) FROM customer_360 WHERE status = 'active'") == 1
    assert pipeline.scalar("SELECT global_customer_id FROM account_360") == profile


def test_a_repeated_event_and_an_older_version_arriving_late_change_nothing(pipeline, deliver):
    customer, acct = str(uuid.uuid4()), str(uuid.uuid4())
    opened = envelope("AccountOpened", acct, account(acct, customer, 100, T0), T0)
    newer = T0 + timedelta(minutes=5)
    deliver(
        envelope("CustomerCreated", customer, person(customer), T0),
        opened,
        envelope("AccountUpdated", acct, account(acct, customer, 900, newer), newer),
    )
    pipeline.wait_until(
        lambda: pipeline.scalar("SELECT balance FROM account_360") == 900,
        timeout=60,
        what="the newest balance",
    )

    again = deliver(opened)
    older = T0 + timedelta(minutes=2)
    late = deliver(envelope("AccountUpdated", acct, account(acct, customer, 400, older), older))

    assert again == {"staged": 0, "duplicates": 1, "refused": []}
    assert late["staged"] == 1
    pipeline.wait_until(pipeline.idle, timeout=60, what="the late version processed")
    assert pipeline.scalar("SELECT balance FROM account_360") == 900
