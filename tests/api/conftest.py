"""API fixtures: an app on the rolled-back test connection, and rows inserted through it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, insert

from app import create_app
from app.access.keys import create_key
from app.channel.models import channel_login
from app.config import Settings
from app.customer.models import customer_360, source_customer
from app.risk.models import fraud_case, risk_profile
from app.transaction.models import transaction_360

API_KEY = "test-key"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # fixed: test data never depends on the clock


@pytest.fixture
def settings(database_url: str) -> Settings:
    return dataclasses.replace(
        Settings.from_env(),
        api_keys=(API_KEY,),
        source_urls={"core": "sqlite://", "channel": "sqlite://"},
        poll_interval=1.0,
    )


@pytest.fixture
def flask_app(settings: Settings) -> Flask:
    app = create_app(settings)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(flask_app: Flask, conn: Connection) -> FlaskClient:
    """Requests read through `conn` (bound by the conn fixture), so they see the test's rows."""
    return flask_app.test_client()


@pytest.fixture
def auth_headers() -> dict[str, str]:
    """The bootstrap key of C360_API_KEYS: the `read` scope."""
    return {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def headers_for(conn: Connection) -> Callable[..., dict[str, str]]:
    """Headers carrying a new stored key (in the test's transaction) holding these scopes."""

    def make(*scopes: str, name: str | None = None) -> dict[str, str]:
        key = create_key(conn, name or f"test-{'-'.join(scopes)}-{uuid4().hex[:6]}", list(scopes))
        return {"Authorization": f"Bearer {key}"}

    return make


@pytest.fixture
def make_customer(conn: Connection) -> Callable[..., UUID]:
    def make(**values: Any) -> UUID:
        global_id = values.pop("global_customer_id", None) or uuid4()
        conn.execute(insert(customer_360).values(global_customer_id=global_id, **values))
        return global_id

    return make


@pytest.fixture
def link_source(conn: Connection) -> Callable[..., None]:
    def link(global_id: UUID, source_system: str, source_customer_id: str, **values: Any) -> None:
        conn.execute(
            insert(source_customer).values(
                global_customer_id=global_id,
                source_system=source_system,
                source_customer_id=source_customer_id,
                match_rule=values.pop("match_rule", "new"),
                **values,
            )
        )

    return link


@pytest.fixture
def add_transaction(conn: Connection) -> Callable[..., None]:
    def add(global_id: UUID | None, source_transaction_id: str, **values: Any) -> None:
        row = {
            "source_system": "core",
            "source_account_id": "ACC-1",
            "amount": Decimal("100.00"),
            "currency": "KES",
            "type": "DEBIT",
            "channel": "MOBILE",
            "occurred_at": NOW,
            **values,
        }
        conn.execute(
            insert(transaction_360).values(
                global_customer_id=global_id, source_transaction_id=source_transaction_id, **row
            )
        )

    return add


@pytest.fixture
def add_login(conn: Connection) -> Callable[..., None]:
    def add(global_id: UUID, session_id: str, login_at: datetime, **values: Any) -> None:
        conn.execute(
            insert(channel_login).values(
                source_system=values.pop("source_system", "channel"),
                source_session_id=session_id,
                global_customer_id=global_id,
                login_at=login_at,
                **values,
            )
        )

    return add


@pytest.fixture
def add_risk(conn: Connection) -> Callable[..., None]:
    def add(global_id: UUID, **values: Any) -> None:
        row = {
            "fraud_score": Decimal("0.850"),
            "risk_level": "HIGH",
            "reasons": ["open fraud case FC-1"],
            "result_hash": "x" * 64,
            "last_updated": NOW,
            **values,
        }
        conn.execute(insert(risk_profile).values(global_customer_id=global_id, **row))

    return add


@pytest.fixture
def add_fraud_case(conn: Connection) -> Callable[..., None]:
    def add(global_id: UUID | None, case_id: str, **values: Any) -> None:
        row = {
            "source_system": "fraud",
            "customer_number": "CUST-001",
            "risk_score": 0.9,
            "risk_level": "HIGH",
            "status": "OPEN",
            "opened_at": NOW,
            "source_updated_at": NOW,
            **values,
        }
        conn.execute(
            insert(fraud_case).values(global_customer_id=global_id, source_case_id=case_id, **row)
        )

    return add


@pytest.fixture
def customer(
    make_customer: Callable[..., UUID],
    link_source: Callable[..., None],
    add_account: Callable[..., None],
    add_transaction: Callable[..., None],
    add_login: Callable[..., None],
) -> UUID:
    """Amina: core + channel records, two accounts, 25 transactions, four logins on two devices."""
    global_id = make_customer(
        full_name="Amina Wanjiku",
        full_name_source="core",
        national_id="12345678",
        national_id_source="core",
        phone="+254712345678",
        phone_source="channel",
        email="amina@wekeza.co.ke",
        email_source="channel",
        date_of_birth=date(1990, 4, 1),
        date_of_birth_source="core",
        gender="female",
        gender_source="core",
        created_date=NOW - timedelta(days=400),
    )
    link_source(
        global_id,
        "core",
        "101",
        national_id="12345678",
        national_id_raw="ID 12 345 678",
        phone="+254712345678",
        full_name="Amina Wanjiku",
        gender="female",
        gender_raw="F",
        match_rule="new",
    )
    link_source(
        global_id,
        "channel",
        "u-7",
        phone="+254712345678",
        email="amina@wekeza.co.ke",
        match_rule="phone",
    )
    add_account(global_id, "ACC-1", account_number="0100200300", balance=Decimal("1500.50"))
    add_account(global_id, "ACC-2", is_closed=True, status="CLOSED")
    for i in range(25):
        add_transaction(global_id, f"T{i:03d}", occurred_at=NOW - timedelta(minutes=25 - i))
    add_login(global_id, "s1", NOW - timedelta(days=3), device_id="phone-A", ip_address="10.0.0.1")
    add_login(global_id, "s2", NOW - timedelta(days=2), device_id="laptop-B")
    add_login(global_id, "s3", NOW - timedelta(days=1), device_id="phone-A")
    add_login(
        global_id,
        "s4",
        NOW - timedelta(hours=1),
        device_id="phone-A",
        ip_address="10.0.0.9",
        session_mode="APP",
    )
    return global_id


@pytest.fixture
def merge_chain(make_customer: Callable[..., UUID]) -> tuple[UUID, UUID, UUID]:
    """(first, middle, survivor): first was merged into middle, middle into survivor."""
    survivor = make_customer(full_name="Survivor")
    middle = make_customer(status="merged", merged_into=survivor)
    first = make_customer(status="merged", merged_into=middle)
    return first, middle, survivor
