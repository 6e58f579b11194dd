"""Pure unit tests of the connectors: transforms, time rules, cursors and JSON-safe raw rows."""

from __future__ import annotations

import ipaddress
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors import CONNECTORS, get_connector
from connectors._common import MIN_UUID, OBSERVED_AT, json_row, json_safe
from connectors.base import Cursor
from connectors.channel import ChannelConnector
from connectors.core import CoreConnector, channel_of
from connectors.fraud import FraudConnector, fraud_time, shift_stamp
from connectors.records import RecordError
from sandbox.sources import to_msisdn

PG = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # engines are lazy: never connected here


@pytest.fixture(scope="module")
def core() -> CoreConnector:
    return CoreConnector(PG)


@pytest.fixture(scope="module")
def channel() -> ChannelConnector:
    return ChannelConnector(PG)


@pytest.fixture(scope="module")
def fraud() -> FraudConnector:
    return FraudConnector("sqlite:///:memory:")


def stored(row: dict[str, Any]) -> dict[str, Any]:
    """The raw row as the pipeline hands it back: through json.dumps/json.loads (JSONB)."""
    return json.loads(json.dumps(json_row(row)))


def customer_row(**changes: Any) -> dict[str, Any]:
    row = {
        "Id": uuid.UUID("3de695ed-27e8-4103-8e0c-070157675f82"),
        "CustomerNumber": "CUST000028",
        "FirstName": "Alice",
        "MiddleName": "Wanjiku",
        "LastName": "Johnson",
        "Email": " Alice.Johnson@Gmail.com ",
        "IdentificationNumber": "ID12345678",
        "DateOfBirth": datetime(1990, 5, 17),
        "PrimaryPhone": "0712 345 678",
        "Status": "ACTIVE",
        "CreatedAt": datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        "UpdatedAt": datetime(2026, 11, 24, 7, 0, 0, 1, tzinfo=UTC),
    }
    return row | changes


def transaction_row(**changes: Any) -> dict[str, Any]:
    row = {
        "Id": uuid.uuid4(),
        "AccountId": uuid.uuid4(),
        "CustomerId": uuid.uuid4(),
        "Type": "Credit",
        "Amount": Decimal("1500.50"),
        "Currency": "KES",
        "Status": "Completed",
        "Reference": "TX-20261124-00000001",
        "Description": None,
        "ProcessedAt": datetime(2026, 11, 24, 7, 0, tzinfo=UTC),
        "ProcessedBy": "MOBILE",
    }
    return row | changes


def case_row(**changes: Any) -> dict[str, Any]:
    row = {
        "case_id": 42,
        "transaction_id": "TX-20261124-00000001",
        "customer_id": "CUST000028",
        "amount": 1500.0049999999,
        "currency": "KES",
        "merchant_name": "Naivas",
        "transaction_type": "TRANSFER",
        "risk_score": 0.87,
        "risk_level": "high",
        "status": "ESCALATED",
        "flagged_reason": "Unusual amount; New device",
        "created_at": "2026-11-24 07:01:00",
        "updated_at": "2026-11-24 10:00:00.123456",
        OBSERVED_AT: "2026-11-24T08:00:00+00:00",
    }
    return row | changes


def test_registry_and_unknown_source() -> None:
    assert set(CONNECTORS) == {
        "core",
        "channel",
        "fraud",
        "dfs",
        "core_v1",
        "openbanking",
        "global",
    }
    assert isinstance(get_connector("fraud", "sqlite:///:memory:"), FraudConnector)
    with pytest.raises(ValueError, match="unknown source system 'crm'"):
        get_connector("crm", "mysql://x")


def test_core_customer(core: CoreConnector) -> None:
    record = core.transform("customer", stored(customer_row()))
    assert record.source_customer_id == "3de695ed-27e8-4103-8e0c-070157675f82"
    assert record.full_name == "Alice Wanjiku Johnson"
    assert record.national_id == "ID12345678"  # raw: identity resolution normalizes
    assert record.phone == "0712 345 678"
    assert record.email == " Alice.Johnson@Gmail.com "
    assert record.date_of_birth == date(1990, 5, 17)
    assert record.is_active is True
    assert record.business_key == "CUST000028"
    assert record.updated_at == datetime(2026, 11, 24, 7, 0, 0, 1, tzinfo=UTC)


def test_core_customer_without_middle_name_and_inactive(core: CoreConnector) -> None:
    raw = stored(customer_row(MiddleName=None, Status="Dormant", DateOfBirth=None))
    record = core.transform("customer", raw)
    assert record.full_name == "Alice Johnson"
    assert record.is_active is False
    assert record.date_of_birth is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"Id": None}, "customer Id is NULL"),
        ({"CustomerNumber": "  "}, "customer CustomerNumber is empty"),
        ({"UpdatedAt": "yesterday"}, "customer UpdatedAt is not a timestamp"),
        ({"DateOfBirth": "17/05/1990"}, "customer DateOfBirth is not a date"),
    ],
)
def test_core_customer_errors(core: CoreConnector, changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        core.transform("customer", stored(customer_row(**changes)))


def test_core_account(core: CoreConnector) -> None:
    raw = {
        "Id": str(uuid.uuid4()),
        "AccountNumber": "ACC0000000001",
        "CustomerId": str(uuid.uuid4()),
        "AccountType": "Savings",
        "Currency": "kes",
        "Balance": "1234.50",
        "AvailableBalance": "1200.00",
        "Status": "Closed",
        "IsClosed": True,
        "ClosedAt": "2026-11-01T00:00:00+00:00",
        "CreatedAt": "2025-01-01T00:00:00+00:00",
        "UpdatedAt": "2026-11-01T00:00:00+00:00",
    }
    record = core.transform("account", raw)
    assert record.balance == Decimal("1234.50")
    assert record.available_balance == Decimal("1200.00")
    assert record.currency == "KES"
    assert record.is_closed is True
    assert record.closed_at == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(RecordError, match="account Currency is not a 3-letter currency code"):
        core.transform("account", raw | {"Currency": "KSH1"})
    with pytest.raises(RecordError, match="account Balance is not a number: 'n/a'"):
        core.transform("account", raw | {"Balance": "n/a"})
    with pytest.raises(RecordError, match="account IsClosed is not a boolean"):
        core.transform("account", raw | {"IsClosed": "maybe"})


def test_core_transaction(core: CoreConnector) -> None:
    row = transaction_row(Type="debit", ProcessedBy="jkamau")
    record = core.transform("transaction", stored(row))
    assert record.type == "DEBIT"
    assert record.channel == "BRANCH"
    assert record.amount == Decimal("1500.50")
    assert record.source_customer_id == str(row["CustomerId"])
    assert record.occurred_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("processed_by", "channel"),
    [
        ("BRANCH", "BRANCH"),
        ("mobile", "MOBILE"),
        (" ATM ", "ATM"),
        ("USSD", "USSD"),
        ("INTERNET", "INTERNET"),
        ("AGENT", "AGENT"),
        ("teller.wanjiru", "BRANCH"),
        (None, "OTHER"),
        ("", "OTHER"),
    ],
)
def test_transaction_channel(processed_by: str | None, channel: str) -> None:
    assert channel_of(processed_by) == channel


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"Amount": "12,50"}, "transaction Amount is not a number"),
        ({"Amount": "NaN"}, "transaction Amount is not a finite number"),
        ({"Currency": "KE"}, "transaction Currency is not a 3-letter currency code"),
        ({"CustomerId": None}, "transaction CustomerId is NULL"),
    ],
)
def test_core_transaction_errors(core: CoreConnector, changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        core.transform("transaction", stored(transaction_row(**changes)))


def test_a_core_type_no_rule_knows_lands_as_written(core: CoreConnector) -> None:
    record = core.transform("transaction", stored(transaction_row(Type="Reversal")))
    assert (record.type, record.source_type) == ("UNKNOWN", "Reversal")
    known = core.transform("transaction", stored(transaction_row(Type="debit")))
    assert (known.type, known.source_type) == ("DEBIT", "debit")


def test_core_loan(core: CoreConnector) -> None:
    raw = {
        "Id": str(uuid.uuid4()),
        "LoanNumber": "LN00000001",
        "CustomerId": str(uuid.uuid4()),
        "AccountId": None,
        "PrincipalAmount": "50000.00",
        "OutstandingBalance": "30000.00",
        "InterestRate": "13.50",
        "TermInMonths": 12,
        "Currency": "KES",
        "Status": "Active",
        "DisbursedAt": "2026-01-01T00:00:00+00:00",
        "MaturityDate": None,
        "CreatedAt": "2025-12-20T00:00:00+00:00",
        "UpdatedAt": "2026-01-01T00:00:00+00:00",
    }
    record = core.transform("loan", raw)
    assert (record.principal_amount, record.interest_rate) == (
        Decimal("50000.00"),
        Decimal("13.50"),
    )
    assert record.term_months == 12
    assert record.source_account_id is None
    with pytest.raises(RecordError, match="loan TermInMonths is not a whole number"):
        core.transform("loan", raw | {"TermInMonths": "12.5"})


def test_unknown_entity_and_non_mapping_raw(core: CoreConnector, fraud: FraudConnector) -> None:
    with pytest.raises(RecordError, match="core has no 'login' entity"):
        core.transform("login", {})
    with pytest.raises(RecordError, match="fraud has no 'customer' entity"):
        fraud.transform("customer", {})
    with pytest.raises(RecordError, match="customer row is a list"):
        core.transform("customer", [])  # type: ignore[arg-type]


def test_channel_user(channel: ChannelConnector) -> None:
    raw = {
        "user_id": str(uuid.uuid4()),
        "account_id": "254712345678",
        "account_name": " ALICE JOHNSON ",
        "created_at": "2026-11-01T00:00:00+00:00",
        "updated_at": "2026-11-24T07:00:00+00:00",
    }
    record = channel.transform("customer", raw)
    assert record.phone == "254712345678"
    assert record.full_name == "ALICE JOHNSON"
    assert (record.national_id, record.email, record.date_of_birth) == (None, None, None)
    assert record.is_active is True
    assert channel.transform("customer", raw | {"account_name": None}).full_name is None
    with pytest.raises(RecordError, match="customer account_id is NULL"):
        channel.transform("customer", raw | {"account_id": None})


def test_channel_login_and_alert(channel: ChannelConnector) -> None:
    session = {
        "session_id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "session_mode": "shadow",
        "device_id": "android-7f3a",
        "ip_address": ipaddress.IPv4Address("41.90.1.2"),
        "user_agent": "WekezaMobile/4.2.1",
        "created_at": datetime(2026, 11, 24, 7, 0, tzinfo=UTC),
        "last_activity": datetime(2026, 11, 24, 7, 5, tzinfo=UTC),
    }
    login = channel.transform("login", stored(session))
    assert login.login_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert login.last_activity == datetime(2026, 11, 24, 7, 5, tzinfo=UTC)
    assert (login.ip_address, login.device_id, login.session_mode) == (
        "41.90.1.2",
        "android-7f3a",
        "shadow",
    )
    # Salama's times are naive: read in the source's zone (UTC by default)
    alert = {
        "alert_id": str(uuid.uuid4()),
        "user_id": None,
        "alert_type": "sim_swap",
        "severity": "HIGH",
        "alert_status": "Acknowledged",
        "device_id": None,
        "created_at": "2026-11-24T07:00:00",
        "acknowledged_at": "2026-11-24T07:10:00",
        "resolved_at": None,
        OBSERVED_AT: "2026-11-24T08:00:00+00:00",
    }
    record = channel.transform("alert", alert)
    assert (record.alert_type, record.source_customer_id) == ("SIM_SWAP", None)
    assert record.status == "ACKNOWLEDGED"
    assert record.raised_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert record.acknowledged_at == datetime(2026, 11, 24, 7, 10, tzinfo=UTC)
    assert record.observed_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    # the source's default status, and no created_at: placed when it was read
    bare = channel.transform("alert", alert | {"alert_status": None, "created_at": None})
    assert (bare.status, bare.raised_at) == ("OPEN", record.observed_at)


def test_channel_naive_times_in_the_configured_zone() -> None:
    nairobi = ChannelConnector("sqlite://", time_zone=ZoneInfo("Africa/Nairobi"))
    raw = {
        "alert_id": "a1",
        "alert_type": "SUSPICIOUS_ACTIVITY",
        "severity": "LOW",
        "alert_status": "Open",
        "created_at": "2026-11-24T10:00:00",
        OBSERVED_AT: "2026-11-24T08:00:00+00:00",
    }
    assert nairobi.transform("alert", raw).raised_at == datetime(2026, 11, 24, 7, tzinfo=UTC)
    # read as UTC, a Nairobi server default lies after the read: the read time bounds it
    utc = ChannelConnector("sqlite://")
    assert utc.transform("alert", raw).raised_at == datetime(2026, 11, 24, 8, tzinfo=UTC)
    # a date years ahead is a wrong date, left for validation to refuse
    ahead = utc.transform("alert", raw | {"created_at": "2099-01-01T00:00:00"})
    assert ahead.raised_at == datetime(2099, 1, 1, tzinfo=UTC)


def test_channel_never_selects_session_token(channel: ChannelConnector) -> None:
    for name, query in channel.queries.items():
        for sql in (query.sql(True, True), query.sql(False, True), query.sql_keys()):
            assert "token" not in sql.lower(), name
            assert "pin" not in sql.lower(), name
    assert "session_id" in channel.queries["sessions"].columns


def test_fraud_two_clocks() -> None:
    # Seconds only: CURRENT_TIMESTAMP, UTC.
    assert fraud_time("2026-11-24 07:01:00") == datetime(2026, 11, 24, 7, 1, tzinfo=UTC)
    # Microseconds: the workbench's Nairobi clock, UTC+3.
    assert fraud_time("2026-11-24 10:00:00.123456") == datetime(
        2026, 11, 24, 7, 0, 0, 123456, tzinfo=UTC
    )
    assert fraud_time("2026-01-01 01:30:00.5") == datetime(2025, 12, 31, 22, 30, 0, 500000, UTC)
    # a workbench on a UTC host
    assert fraud_time("2026-11-24 10:00:00.5", UTC) == datetime(2026, 11, 24, 10, 0, 0, 500000, UTC)
    for bad in ("2026-11-24T07:01:00", "24/11/2026 07:01", "", "2026-11-24 07:01:00+03"):
        with pytest.raises(ValueError):
            fraud_time(bad)


def test_fraud_case(fraud: FraudConnector) -> None:
    record = fraud.transform("fraud_case", stored(case_row()))
    assert record.source_case_id == "42"
    assert record.customer_number == "CUST000028"
    assert record.transaction_reference == "TX-20261124-00000001"
    assert record.amount == Decimal("1500.00")
    assert record.risk_score == 0.87
    assert record.risk_level == "HIGH"
    assert record.opened_at == datetime(2026, 11, 24, 7, 1, tzinfo=UTC)
    # Escalated at 10:00 EAT, i.e. before the case was opened at 07:01 UTC reads in text.
    assert record.updated_at == datetime(2026, 11, 24, 7, 0, 0, 123456, tzinfo=UTC)
    assert record.observed_at == datetime(2026, 11, 24, 8, tzinfo=UTC)
    # configured for UTC hosts, the same stamp would lie after the read: the read time bounds it
    utc_host = FraudConnector("sqlite://", time_zone=UTC).transform("fraud_case", case_row())
    assert utc_host.updated_at == datetime(2026, 11, 24, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        (1500.005, "1500.00"),  # half-even: the tie goes to the even cent
        (1500.015, "1500.02"),
        (20000.200000000004, "20000.20"),
        (2500.8200000000006, "2500.82"),
        ("99.999", "100.00"),
        (7, "7.00"),
    ],
)
def test_fraud_amount_is_cents_half_even(
    fraud: FraudConnector, amount: float | str, cents: str
) -> None:
    assert fraud.transform("fraud_case", case_row(amount=amount)).amount == Decimal(cents)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"amount": "twelve"}, "fraud_case amount is not a number: 'twelve'"),
        ({"risk_score": "high"}, "fraud_case risk_score is not a number: 'high'"),
        ({"risk_score": 1.2}, "risk_score 1.2 is outside 0..1"),
        ({"risk_score": -0.1}, "outside 0..1"),
        ({"risk_score": None}, "fraud_case risk_score is NULL"),
        ({"customer_id": None}, "fraud_case customer_id is NULL"),
        ({"updated_at": "2026-11-24T10:00:00Z"}, "updated_at is not a fraud-engine timestamp"),
        ({"currency": "shillings"}, "currency is not a 3-letter currency code"),
    ],
)
def test_fraud_case_errors(fraud: FraudConnector, changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        fraud.transform("fraud_case", case_row(**changes))


def test_fraud_rewind_spans_the_two_clocks(fraud: FraudConnector) -> None:
    updated, new = fraud.stream("cases_updated"), fraud.stream("cases_new")
    assert shift_stamp("2026-11-24 10:00:00.123456", 5) == "2026-11-24 09:59:55.123456"
    assert shift_stamp("2026-11-24 00:00:02", 5) == "2026-11-23 23:59:57"
    # after a Nairobi stamp, a later change stamped on a UTC host reads up to 3 h behind
    cursor = Cursor("2026-11-24 10:00:00.000001", "17")
    assert fraud.rewind(updated, cursor, 1) == Cursor("2026-11-24 06:59:59.000001", "0")
    utc_host = FraudConnector("sqlite://", time_zone=UTC)
    assert utc_host.rewind(updated, cursor, 1) == Cursor("2026-11-24 09:59:59.000001", "0")
    assert fraud.rewind(new, Cursor("17", "17"), 10) == Cursor("17", "17")
    # A marker no clock writes cannot be rewound; the position is kept.
    assert fraud.rewind(updated, Cursor("garbage", "3"), 10) == Cursor("garbage", "3")


def test_fraud_cursor_since_for_updates(fraud: FraudConnector) -> None:
    since = datetime(2026, 11, 24, 10, 0, 0, 999999, tzinfo=UTC)
    assert fraud.cursor_since(fraud.stream("cases_updated"), since) == Cursor(
        "2026-11-24 10:00:00", "0"
    )
    assert fraud.cursor_since(fraud.stream("cases_updated"), None) is None


def test_timestamp_cursor_rewind_and_since(core: CoreConnector) -> None:
    stream = core.stream("customers")
    cursor = Cursor("2026-11-24T07:00:00.000001+00:00", str(uuid.uuid4()))
    assert core.rewind(stream, cursor, 10) == Cursor("2026-11-24T06:59:50.000001+00:00", MIN_UUID)
    since = datetime(2026, 11, 24, 13, 0, tzinfo=ZoneInfo("Africa/Nairobi"))
    assert core.cursor_since(stream, since) == Cursor("2026-11-24T10:00:00.000000+00:00", MIN_UUID)
    assert core.cursor_since(stream, None) is None
    with pytest.raises(KeyError):
        core.stream("audit_logs")


def test_json_safe() -> None:
    eat = datetime(2026, 11, 24, 13, 0, tzinfo=ZoneInfo("Africa/Nairobi"))
    assert json_safe(eat) == "2026-11-24T10:00:00+00:00"
    assert json_safe(datetime(1990, 5, 17)) == "1990-05-17T00:00:00"
    assert json_safe(Decimal("1.10")) == "1.10"
    assert json_safe(ipaddress.IPv4Interface("10.0.0.1/32")) == "10.0.0.1"
    assert json_safe(float("nan")) == "nan"
    assert json_safe(uuid.UUID(int=0)) == MIN_UUID
    with pytest.raises(TypeError, match="cannot store a bytes column value"):
        json_safe(b"secret")


@pytest.mark.parametrize(
    ("phone", "msisdn"),
    [
        ("+254712345678", "254712345678"),
        ("254712345678", "254712345678"),
        ("0712 345 678", "254712345678"),
        ("712345678", "254712345678"),
        ("0110345678", "254110345678"),
        ("00254712345678", "254712345678"),
        ("12345", None),
        (None, None),
    ],
)
def test_to_msisdn(phone: str | None, msisdn: str | None) -> None:
    assert to_msisdn(phone) == msisdn


def test_core_reads_a_naive_time_in_its_configured_zone_like_every_connector() -> None:
    """The zone is applied where records are built, for every connector alike: a core
    configured with Nairobi's clock reads a naive time as Nairobi's."""
    row = stored(transaction_row(ProcessedAt=datetime(2026, 11, 24, 10, 0)))
    nairobi = CoreConnector("sqlite://", time_zone=ZoneInfo("Africa/Nairobi"))
    assert nairobi.transform("transaction", row).occurred_at == datetime(
        2026, 11, 24, 7, tzinfo=UTC
    )
    assert CoreConnector("sqlite://").transform("transaction", row).occurred_at == datetime(
        2026, 11, 24, 10, tzinfo=UTC
    )
