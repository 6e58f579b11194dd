"""Transforms of the group's three other systems (pure: no database): the formats, markers and
directions their own code writes (docs/sources/core_v1.md, openbanking.md, global.md)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors import get_connector
from connectors.core_v1 import direction
from connectors.records import RecordError

CORE_V1 = get_connector("core_v1", "postgresql+psycopg://nowhere/core_v1")
OPENBANKING = get_connector("openbanking", "postgresql+psycopg://nowhere/ob")
GLOBAL = get_connector("global", "postgresql+psycopg://nowhere/wgi")
READ = {"_observed_at": "2026-11-26T10:00:00+00:00"}


@pytest.mark.parametrize(
    ("kind", "description", "expected"),
    [
        ("Deposit", None, "CREDIT"),
        ("CashWithdrawal", None, "DEBIT"),
        ("Payment", "Airtime 0722000000", "DEBIT"),
        ("Transfer", "Transfer to ACC2503111200001 (TRF-20260311-1)", "DEBIT"),
        ("Transfer", "Transfer from ACC2503111200001 (TRF-20260311-1)", "CREDIT"),
        ("Transfer", "Internal move", "UNKNOWN"),
        ("LoanService", "Mobile loan block", "NONE"),
        ("Crypto", None, "UNKNOWN"),
    ],
)
def test_core_v1_direction_comes_from_the_type_or_the_transfer_description(
    kind, description, expected
):
    assert direction(kind, description) == expected


def test_core_v1_placeholders_identify_nobody_and_times_are_read_as_utc():
    record = CORE_V1.transform(
        "customer",
        {
            "Id": "6f1c0f5e-0000-4000-8000-000000000001",
            "FirstName": "Alice",
            "LastName": "Johnson",
            "Email": "6f1c0f5e000040008000000000000001@vif.local",
            "PhoneNumber": "",
            "IdentificationNumber": "ID12345678",
            "IsActive": True,
            "CreatedAt": "2026-11-26T09:00:00",
            "UpdatedAt": "2026-11-26T09:00:00",
            **READ,
        },
    )
    assert record.email is None and record.phone is None
    assert record.national_id == "ID12345678" and record.full_name == "Alice Johnson"
    assert record.updated_at == datetime(2026, 11, 26, 9, tzinfo=UTC)


def test_openbanking_payment_keeps_its_risk_score_and_status():
    payment = OPENBANKING.transform(
        "payment",
        {
            "id": "p1",
            "payment_ref": "PAY1764150000000ABCDEF01",
            "source_account_id": "a1",
            "customer_id": "c1",
            "amount": "1200.00",
            "currency": "KES",
            "status": "processing",
            "risk_score": "0.46",
            "completed_at": None,
            "created_at": "2026-11-26T09:00:00",
            **READ,
        },
    )
    assert payment.status == "PROCESSING" and payment.risk_score == 0.46
    assert payment.amount == Decimal("1200.00")


def test_global_amounts_keep_four_decimals_and_a_ledger_credit_is_the_receivers():
    wallet = GLOBAL.transform(
        "account",
        {
            "wallet_id": "w1",
            "user_id": "u1",
            "currency": "USD",
            "balance": "1034.4444",
            "created_at": "2026-11-26T09:00:00",
            "updated_at": "2026-11-26T09:05:00",
            **READ,
        },
    )
    assert str(wallet.balance) == "1034.4444" and wallet.currency == "USD"
    leg = GLOBAL.transform(
        "transaction",
        {
            "ledger_entry_id": "l2",
            "transaction_id": "t1",
            "wallet_id": "w2",
            "user_id": "u2",
            "currency": "USD",
            "credit": "200.1234",
            "type": "transfer",
            "from_wallet_id": "w1",
            "created_at": "2026-11-26T09:05:00",
            **READ,
        },
    )
    assert (leg.type, str(leg.amount), leg.source_account_id) == ("CREDIT", "200.1234", "w2")
    assert leg.reference == "t1" and leg.source_transaction_id == "l2"


def test_global_aml_alert_severity_and_status_in_upper_case():
    alert = GLOBAL.transform(
        "aml_alert",
        {
            "aml_alert_id": "x1",
            "transaction_id": "t1",
            "user_id": "u1",
            "type": "large_withdrawal",
            "severity": "high",
            "status": "pending",
            "created_at": "2026-11-26T09:00:00",
            **READ,
        },
    )
    assert (alert.severity, alert.status, alert.alert_type) == (
        "HIGH",
        "PENDING",
        "large_withdrawal",
    )


def test_a_wallet_in_a_currency_that_is_not_a_code_is_refused():
    with pytest.raises(RecordError):
        GLOBAL.transform(
            "account",
            {"wallet_id": "w", "user_id": "u", "currency": "US", "balance": "1", **READ}
            | {"created_at": None, "updated_at": "2026-11-26T09:00:00"},
        )
