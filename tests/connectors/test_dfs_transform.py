"""Pure unit tests of the dfs connector: transforms, enums, amounts, streams and digests SQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors import CONNECTORS, get_connector
from connectors._common import OBSERVED_AT, json_row
from connectors.base import Cursor
from connectors.dfs import DfsConnector
from connectors.records import RecordError
from sandbox.sources import SampleData, id_digits

MYSQL = "mysql+pymysql://nobody@127.0.0.1:1/none"  # engines are lazy: never connected here
OBSERVED = "2026-11-24T07:00:00.123456+00:00"


@pytest.fixture(scope="module")
def dfs() -> DfsConnector:
    return DfsConnector(MYSQL)


def stored(row: dict[str, Any]) -> dict[str, Any]:
    """The raw row as the pipeline hands it back: through json.dumps/json.loads (JSONB)."""
    return json.loads(json.dumps(json_row(row) | {OBSERVED_AT: OBSERVED}))


def user_row(**changes: Any) -> dict[str, Any]:
    row = {
        "user_id": 7,
        "full_name": " John Doe ",
        "email": "JOHN.DOE@gmail.com",
        "phone_number": None,
        "national_id": "12 345 678",
        "is_active": 1,
        "created_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    return row | changes


def account_row(**changes: Any) -> dict[str, Any]:
    row = {
        "account_id": 11,
        "account_number": "ACC1000001",
        "user_id": 7,
        "balance": Decimal("1500.50"),
        "currency": "KES",
        "status": "ACTIVE",
        "created_at": datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC),
    }
    return row | changes


def loan_row(**changes: Any) -> dict[str, Any]:
    row = {
        "loan_id": 3,
        "user_id": 7,
        "principal_amount": Decimal("5000.00"),
        "balance_remaining": Decimal("2750.00"),
        "status": "ACTIVE",
        "created_at": datetime(2026, 2, 1, 0, 0, 0, tzinfo=UTC),
    }
    return row | changes


def transaction_row(**changes: Any) -> dict[str, Any]:
    row = {
        "transaction_id": 99,
        "account_id": 11,
        "user_id": 7,
        "currency": "KES",
        "txn_type": "DEPOSIT",
        "amount": Decimal("1000.00"),
        "reference_code": "DFS20260201000099",
        "description": "Deposit",
        "created_at": datetime(2026, 2, 1, 8, 30, 0, tzinfo=UTC),
    }
    return row | changes


def test_registered() -> None:
    assert CONNECTORS["dfs"] is DfsConnector
    assert isinstance(get_connector("dfs", MYSQL), DfsConnector)


def test_streams_and_scans(dfs: DfsConnector) -> None:
    scans = {scan.name: scan.entity for scan in dfs.scans}
    assert scans == {"users_scan": "customer", "accounts_scan": "account", "loans_scan": "loan"}
    for stream in dfs.streams:
        if stream.name in ("transactions", "risk_scores"):
            assert stream.scan is None  # insert-only
        else:
            assert scans[stream.scan] == stream.entity  # type: ignore[index]
    # Id cursors compare as numbers, as MySQL orders the integer key.
    assert dfs.order_key(Cursor("10", "10")) > dfs.order_key(Cursor("9", "9"))


def test_customer(dfs: DfsConnector) -> None:
    record = dfs.transform("customer", stored(user_row()))
    assert record.source_system == "dfs"
    assert record.source_customer_id == "7"
    assert record.full_name == "John Doe"
    assert record.national_id == "12 345 678"  # raw, as typed
    assert record.phone is None
    assert record.email == "JOHN.DOE@gmail.com"
    assert record.date_of_birth is None and record.business_key is None
    assert record.is_active is True
    assert record.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    # No update time in dfs: the latest observation wins.
    assert record.updated_at == datetime.fromisoformat(OBSERVED)
    phoned = dfs.transform("customer", stored(user_row(phone_number="0712345678", is_active=0)))
    assert phoned.phone == "0712345678" and phoned.is_active is False


def test_account(dfs: DfsConnector) -> None:
    record = dfs.transform("account", stored(account_row()))
    assert (record.source_account_id, record.source_customer_id) == ("11", "7")
    assert record.account_number == "ACC1000001"
    assert record.balance == Decimal("1500.50") and record.currency == "KES"
    assert record.status == "ACTIVE" and not record.is_closed and record.closed_at is None
    assert record.opened_at == datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC)
    assert record.updated_at == datetime.fromisoformat(OBSERVED)
    assert dfs.transform("account", stored(account_row(status="DISABLED"))).is_closed


def test_loan(dfs: DfsConnector) -> None:
    record = dfs.transform("loan", stored(loan_row()))
    assert (record.source_loan_id, record.source_customer_id) == ("3", "7")
    assert record.principal_amount == Decimal("5000.00")
    assert record.outstanding_balance == Decimal("2750.00")
    assert record.currency == "KES" and record.status == "ACTIVE"
    assert record.source_account_id is None and record.term_months is None
    assert record.updated_at == datetime.fromisoformat(OBSERVED)


@pytest.mark.parametrize(
    ("txn_type", "kind"),
    [
        ("DEPOSIT", "CREDIT"),
        ("WITHDRAWAL", "DEBIT"),
        ("TRANSFER", "DEBIT"),
        ("REPAYMENT", "DEBIT"),
        ("FEE", "DEBIT"),
        ("INSURANCE_PAYMENT", "DEBIT"),
        (" deposit ", "CREDIT"),
    ],
)
def test_transaction_types(dfs: DfsConnector, txn_type: str, kind: str) -> None:
    record = dfs.transform("transaction", stored(transaction_row(txn_type=txn_type)))
    assert record.type == kind
    assert record.channel == "MOBILE" and record.status == "Completed"
    assert record.reference == "DFS20260201000099"
    assert record.source_customer_id == "7" and record.source_account_id == "11"
    assert record.occurred_at == datetime(2026, 2, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("entity", "row", "reason"),
    [
        ("customer", user_row(user_id=None), "customer user_id is NULL"),
        ("customer", user_row(is_active=None), "customer is_active is NULL"),
        ("customer", user_row(is_active=2), "customer is_active is not a boolean"),
        ("customer", user_row(created_at="yesterday"), "customer created_at is not a timestamp"),
        ("account", account_row(user_id=None), "has neither a user nor a business"),
        ("account", account_row(balance=None), "account balance is NULL"),
        ("account", account_row(balance="1,500"), "account balance is not a number"),
        ("account", account_row(currency="shilling"), "not a 3-letter currency code"),
        ("loan", loan_row(principal_amount=Decimal(0)), "principal_amount is not positive"),
        ("loan", loan_row(balance_remaining=Decimal(-1)), "balance_remaining is negative"),
        ("loan", loan_row(user_id=None), "loan user_id is NULL"),
        ("transaction", transaction_row(user_id=None), "account 11 is missing or has no owner"),
        ("transaction", transaction_row(amount=Decimal(-5)), "amount is negative"),
        ("transaction", transaction_row(amount=None), "transaction amount is NULL"),
        ("transaction", transaction_row(created_at=None), "transaction created_at is NULL"),
    ],
)
def test_bad_rows_are_quarantined(
    dfs: DfsConnector, entity: str, row: dict[str, Any], reason: str
) -> None:
    with pytest.raises(RecordError, match=reason):
        dfs.transform(entity, stored(row))


def test_missing_observation_and_unknown_entity(dfs: DfsConnector) -> None:
    raw = json.loads(json.dumps(json_row(user_row())))
    with pytest.raises(RecordError, match="customer _observed_at is NULL"):
        dfs.transform("customer", raw)
    with pytest.raises(RecordError, match="dfs has no 'login' entity"):
        dfs.transform("login", raw)


def test_fetch_and_scan_arguments_are_checked(dfs: DfsConnector) -> None:
    with pytest.raises(ValueError, match="limit must be positive"):
        dfs.fetch(dfs.stream("users"), None, 0)
    with pytest.raises(ValueError, match="chunk_size must be positive"):
        dfs.chunk_digests(dfs.scans[0], 0)
    with pytest.raises(ValueError, match="has no time zone"):
        dfs.cursor_since(dfs.stream("users"), datetime(2026, 1, 1))
    assert dfs.cursor_since(dfs.stream("users"), None) is None


@pytest.mark.parametrize(
    ("core_id", "digits"),
    [
        ("12345678", "12345678"),
        ("ID12345678", "12345678"),
        ("12 345 678", "12345678"),
        ("12.345.678", "12345678"),
        (" 1234567 ", "1234567"),
        ("KE-ID-00001", None),
        ("A1234567", None),  # a passport
        ("00000000", None),  # the placeholder
        (None, None),
    ],
)
def test_core_ids_dfs_shares(core_id: str | None, digits: str | None) -> None:
    assert id_digits(core_id) == digits


def test_sample_dfs_people_overlap_core() -> None:
    data = SampleData.generate(7)
    core = dict(data.rows["core"])["Customers"]
    dfs = dict(data.rows["dfs"])
    users = dfs["users"]
    assert 120 <= len(users) <= 180
    core_digits = {id_digits(c["IdentificationNumber"]) for c in core} - {None}
    shared = [u for u in users if u["national_id"].replace(" ", "") in core_digits]
    assert len(shared) >= 30
    assert any(" " in u["national_id"].strip() for u in shared)  # typed with spaces
    phones = [u["phone_number"] for u in users]
    assert sum(p is None for p in phones) > len(users) / 2
    assert all(p is None or (len(p) == 10 and p[0] == "0") for p in phones)
    core_emails = {c["Email"].strip() for c in core if c["Email"]}
    other_case = [
        u["email"]
        for u in users
        if u["email"]
        and u["email"] not in core_emails
        and u["email"].lower() in {e.lower() for e in core_emails}
    ]
    assert other_case
    assert {a["account_number"] for a in dfs["accounts"]} >= {"ACC1000001"}
    assert len({loan["status"] for loan in dfs["loans"]}) >= 4
    assert dfs["transactions"]


# What WekezaDFS's own code writes (docs/sources/dfs.md): direction and channel of each.
WRITTEN_TYPES = {
    "DEPOSIT": ("CREDIT", "MOBILE"),
    "WITHDRAWAL": ("DEBIT", "MOBILE"),
    "INITIAL_DEPOSIT": ("CREDIT", "MOBILE"),
    "INITIAL_CREDIT": ("CREDIT", "MOBILE"),
    "TRANSFER_IN": ("CREDIT", "MOBILE"),
    "TRANSFER_OUT": ("DEBIT", "MOBILE"),
    "TRANSFER_FEE": ("DEBIT", "MOBILE"),
    "BANK_TRANSFER": ("DEBIT", "MOBILE"),
    "CASH_DEPOSIT": ("CREDIT", "BRANCH"),
    "CASH_WITHDRAWAL": ("DEBIT", "BRANCH"),
    "CASH_IN": ("CREDIT", "BRANCH"),
    "CASH_OUT": ("DEBIT", "BRANCH"),
    "CHEQUE_DEPOSIT": ("CREDIT", "BRANCH"),
    "LOAN_DISBURSEMENT": ("CREDIT", "MOBILE"),
    "LOAN_REPAYMENT": ("DEBIT", "MOBILE"),
    "INSURANCE_PREMIUM": ("DEBIT", "MOBILE"),
    "BILL_PAYMENT": ("DEBIT", "MOBILE"),
    "MOBILE_MONEY_OUT": ("DEBIT", "MOBILE"),
    "MOBILE_MONEY_TRANSFER": ("DEBIT", "MOBILE"),
    "CDSC_TRANSFER": ("DEBIT", "MOBILE"),
    "FIXED_DEPOSIT": ("DEBIT", "MOBILE"),
}


@pytest.mark.parametrize(("txn_type", "expected"), sorted(WRITTEN_TYPES.items()))
def test_every_type_dfs_writes_lands_with_its_direction_and_channel(
    dfs: DfsConnector, txn_type: str, expected: tuple[str, str]
) -> None:
    record = dfs.transform("transaction", stored(transaction_row(txn_type=txn_type)))
    assert (record.type, record.channel) == expected
    assert record.source_type == txn_type


def test_a_teller_posting_is_a_branch_operation(dfs: DfsConnector) -> None:
    row = transaction_row(txn_type="DEPOSIT", description="Teller deposit at Kisumu")
    assert dfs.transform("transaction", stored(row)).channel == "BRANCH"


def test_values_no_list_holds_land_as_written(dfs: DfsConnector) -> None:
    refund = dfs.transform("transaction", stored(transaction_row(txn_type="Refund ")))
    assert (refund.type, refund.channel, refund.source_type) == ("UNKNOWN", "OTHER", "Refund")
    untyped = dfs.transform("transaction", stored(transaction_row(txn_type=None)))
    assert (untyped.type, untyped.source_type) == ("UNKNOWN", None)
    closed = dfs.transform("account", stored(account_row(status="CLOSED")))
    assert (closed.status, closed.is_closed) == ("CLOSED", True)
    # a non-strict MySQL stores '' for a value outside its ENUM
    assert dfs.transform("account", stored(account_row(status=""))).status == "UNKNOWN"
    assert dfs.transform("loan", stored(loan_row(status="WRITTEN_OFF"))).status == "WRITTEN_OFF"


def test_a_business_wallet_is_the_business_s_account(dfs: DfsConnector) -> None:
    wallet = account_row(
        user_id=None, account_number="B-2D1148", business_id=3, business_name="Mama Mboga Ltd"
    )
    record = dfs.transform("account", stored(wallet))
    assert record.source_customer_id is None
    assert (record.source_business_id, record.business_name) == ("3", "Mama Mboga Ltd")
    assert record.account_type == "Business wallet"
    director = dfs.transform("customer", stored(user_row(business_id=3, business_name="Mama")))
    assert director.source_business_id == "3"
    payment = transaction_row(user_id=None, business_id=3)
    assert dfs.transform("transaction", stored(payment)).source_business_id == "3"


def test_a_credit_decision(dfs: DfsConnector) -> None:
    row = {
        "score_id": 4,
        "user_id": 7,
        "credit_score": 412,
        "decision": "rejected",
        "created_at": datetime(2026, 2, 1, tzinfo=UTC),
    }
    record = dfs.transform("credit_decision", stored(row))
    assert (record.source_customer_id, record.credit_score, record.decision) == (
        "7",
        412,
        "REJECTED",
    )
