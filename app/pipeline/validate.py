"""Our own rules for canonical records, on top of what each connector checks.

A record that breaks one is quarantined whole (it never reaches the Enterprise Brain); an
identifier that cannot be read (a phone 'call me') costs the record only that field: the
record lands without it and a field-level quarantine entry says what was dropped.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from app.identity import normalize
from connectors.records import CustomerRecord, Record, RecordError

MAX_NAME = 200
MAX_TEXT = 500
# Source clocks drift a little; anything later than this is a wrong date, not a fast clock.
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_AMOUNT = Decimal("1e15")
# ISO 4217 codes the group's systems transact in (Kenya, the region, and the major ones).
CURRENCIES = frozenset(
    "KES UGX TZS RWF BIF SSP ETB SOS CDF ZAR NGN GHS USD EUR GBP CHF JPY CNY INR AED SAR "
    "CAD AUD".split()
)
# Dates that are meant to lie ahead (a loan's maturity); every other date records an event.
FUTURE_ALLOWED = frozenset({"maturity_date"})
_TEXT_LIMITS = {
    "full_name": MAX_NAME,
    "merchant_name": 200,
    "description": MAX_TEXT,
    "flagged_reason": 2000,
    "user_agent": 1000,
}


def check(record: Record, now: datetime | None = None) -> None:
    """Raise RecordError when the record breaks a rule of ours."""
    now = now or datetime.now(UTC)
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        if isinstance(value, str) and len(value) > _TEXT_LIMITS.get(field.name, MAX_NAME):
            if field.name in _TEXT_LIMITS or not field.name.startswith("source_"):
                raise RecordError(
                    f"{field.name} is {len(value)} characters long "
                    f"(at most {_TEXT_LIMITS.get(field.name, MAX_NAME)})"
                )
        if field.name in FUTURE_ALLOWED:
            continue
        if isinstance(value, datetime) and value > now + FUTURE_TOLERANCE:
            raise RecordError(f"{field.name} {value.isoformat()} is in the future")
        if isinstance(value, date) and not isinstance(value, datetime) and value > now.date():
            raise RecordError(f"{field.name} {value.isoformat()} is in the future")
        if isinstance(value, Decimal) and abs(value) >= MAX_AMOUNT:
            raise RecordError(f"{field.name} {value} is out of range")
        if field.name == "currency" and value is not None and value not in CURRENCIES:
            raise RecordError(f"currency {value!r} is not a known ISO 4217 code")


def unreadable_identifiers(record: CustomerRecord) -> tuple[CustomerRecord, list[str]]:
    """The record without identifiers that are present but unreadable, and why each went.
    Placeholders are not problems: they identify nobody by design."""
    problems = []
    changes = {}
    for name, classify in (
        ("national_id", normalize.classify_national_id),
        ("phone", normalize.classify_phone),
        ("secondary_phone", normalize.classify_phone),
        ("email", normalize.classify_email),
    ):
        raw = getattr(record, name)
        if classify(raw)[1] == normalize.INVALID:
            problems.append(f"unreadable {name.replace('_', ' ')} {raw[:40]!r}: field dropped")
            changes[name] = None
    return (dataclasses.replace(record, **changes) if changes else record), problems
