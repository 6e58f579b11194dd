"""Our own rules for canonical records, on top of what each connector checks.

Quarantine is for what cannot be read or cannot be true, never for a value we have not listed:
a text as long as the widest column any source declares for it lands (longer, the source broke
its own schema: SQLite enforces none), a code no list of ours holds lands and is counted
(app/pipeline/vocabulary.py), while a time in the future or an amount past what money can hold
is refused. A record that breaks a rule is quarantined whole (it never reaches the Enterprise
Brain); an identifier that cannot be read (a phone 'call me') costs the record only that field:
the record lands without it and a field-level quarantine entry says what was dropped.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.identity import normalize
from connectors.records import CustomerRecord, Record, RecordError

# The widest any source declares: core's three 100-character name parts and two spaces;
# MySQL's TEXT (dfs descriptions); Salama's VARCHAR(255) codes and device ids.
_TEXT_LIMITS = {
    "full_name": 302,
    "merchant_name": 200,  # the fraud engine's VARCHAR(200)
    "alert_type": 100,
    "description": 65_535,
    "flagged_reason": 65_535,
    "user_agent": 65_535,
}
MAX_TEXT = 255  # any other text: Salama's VARCHAR(255) is the widest short column
# Source clocks drift a little; anything later than this is a wrong date, not a fast clock.
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_AMOUNT = Decimal("1e15")
# Dates that are meant to lie ahead (a loan's maturity); every other date records an event.
FUTURE_ALLOWED = frozenset({"maturity_date"})


def check(record: Record, now: datetime | None = None) -> None:
    """Raise RecordError when the record breaks a rule of ours."""
    now = now or datetime.now(UTC)
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        limit = _TEXT_LIMITS.get(field.name, MAX_TEXT)
        if isinstance(value, str) and len(value) > limit:
            raise RecordError(f"{field.name} is {len(value)} characters long (at most {limit})")
        if field.name in FUTURE_ALLOWED:
            continue
        if isinstance(value, datetime) and value > now + FUTURE_TOLERANCE:
            raise RecordError(f"{field.name} {value.isoformat()} is in the future")
        if isinstance(value, date) and not isinstance(value, datetime) and value > now.date():
            raise RecordError(f"{field.name} {value.isoformat()} is in the future")
        if isinstance(value, Decimal) and abs(value) >= MAX_AMOUNT:
            raise RecordError(f"{field.name} {value} is out of range")


def unreadable_identifiers(record: CustomerRecord) -> tuple[CustomerRecord, list[str]]:
    """The record without identifiers that are present but unreadable, and why each went.
    Placeholders are not problems: they identify nobody by design."""
    problems: list[str] = []
    changes: dict[str, Any] = {}
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
