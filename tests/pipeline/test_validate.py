import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.pipeline.validate import check, unreadable_identifiers
from connectors.records import AccountRecord, CustomerRecord, RecordError

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def customer(**fields):
    base = dict(
        source_system="core",
        source_customer_id="c1",
        full_name="Achieng Otieno",
        national_id="12345678",
        phone="0712345678",
        email="a@mail.com",
        date_of_birth=None,
        is_active=True,
        created_at=NOW,
        updated_at=NOW,
    )
    return CustomerRecord(**{**base, **fields})


def account(**fields):
    base = dict(
        source_system="core",
        source_account_id="a1",
        source_customer_id="c1",
        account_number="ACC1",
        account_type="Savings",
        currency="KES",
        balance=Decimal("10.00"),
        available_balance=None,
        status="Active",
        is_closed=False,
        closed_at=None,
        opened_at=NOW,
        updated_at=NOW,
    )
    return AccountRecord(**{**base, **fields})


def test_good_records_pass():
    check(customer(), now=NOW)
    check(account(), now=NOW)


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (customer(full_name="x" * 10_000), "full_name is 10000 characters long"),
        (account(opened_at=NOW + timedelta(days=365)), "opened_at 2027-11-25"),
        (account(balance=Decimal("1e20")), "balance 1E+20 is out of range"),
    ],
)
def test_rule_breakers_are_refused_with_a_clear_reason(record, reason):
    with pytest.raises(RecordError, match=reason.replace("+", r"\+")):
        check(record, now=NOW)


def test_values_a_source_accepts_are_never_refused():
    # core's three 100-character name parts, an ISO code we have not listed, Salama's widths
    check(customer(full_name=" ".join(["A" * 100] * 3)), now=NOW)
    check(account(currency="ZZZ"), now=NOW)
    check(dataclasses.replace(account(), account_number="9" * 50), now=NOW)


def test_an_unreadable_phone_costs_only_the_phone():
    kept, problems = unreadable_identifiers(customer(phone="call me"))
    assert kept.phone is None and kept.national_id == "12345678"
    assert problems == ["unreadable phone 'call me': field dropped"]


def test_an_unreadable_secondary_phone_costs_only_that_phone():
    record = dataclasses.replace(customer(), secondary_phone="ask at branch")
    kept, problems = unreadable_identifiers(record)
    assert kept.secondary_phone is None and kept.phone == record.phone
    assert problems == ["unreadable secondary phone 'ask at branch': field dropped"]


def test_placeholders_are_not_problems():
    kept, problems = unreadable_identifiers(
        customer(phone="0700000000", national_id="00000000", email="na@na.com")
    )
    assert problems == [] and kept.phone == "0700000000"
