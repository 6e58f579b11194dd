"""Golden fields of a profile, chosen from its linked source records with provenance.

Rule, per field: take the records that have a value; prefer the most trusted source
(core > core_v1 > dfs > openbanking > global > channel > others), then the most recently
updated record, then the most complete record (most identifying fields present). The chosen
record's source is stored beside the value.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select

from app.customer import profiles
from app.customer.models import GOLDEN_FIELDS, source_customer
from app.db import in_array

# which source's value a golden field takes first: every source holding people, ranked
SOURCE_TRUST = {"core": 0, "core_v1": 1, "dfs": 2, "openbanking": 3, "global": 4, "channel": 5}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LinkedRecord:
    source_system: str
    source_updated_at: datetime | None
    source_created_at: datetime | None
    full_name: str | None
    national_id: str | None
    phone: str | None
    email: str | None  # the original as typed (trimmed) is what a profile displays
    date_of_birth: date | None
    gender: str | None

    def completeness(self) -> int:
        return sum(getattr(self, f) is not None for f in GOLDEN_FIELDS)


def golden_record(records: list[LinkedRecord]) -> dict[str, Any]:
    """{field: value, field_source: source, created_date: earliest source creation}."""
    ranked = sorted(
        records,
        key=lambda r: (
            SOURCE_TRUST.get(r.source_system, len(SOURCE_TRUST)),
            -(r.source_updated_at or _EPOCH).timestamp(),
            -r.completeness(),
        ),
    )
    golden: dict[str, Any] = {}
    for name in GOLDEN_FIELDS:
        chosen = next((r for r in ranked if getattr(r, name) is not None), None)
        golden[name] = getattr(chosen, name) if chosen else None
        golden[f"{name}_source"] = chosen.source_system if chosen else None
    created = [r.source_created_at for r in records if r.source_created_at]
    golden["created_date"] = min(created) if created else None
    return golden


def refresh_golden_records(conn: Connection, global_ids: list[UUID]) -> None:
    """Recompute the golden fields of these profiles from their linked records (set-based)."""
    if not global_ids:
        return
    sc = source_customer
    rows = conn.execute(
        select(
            sc.c.global_customer_id,
            sc.c.source_system,
            sc.c.source_updated_at,
            sc.c.source_created_at,
            sc.c.full_name,
            sc.c.national_id,
            sc.c.phone,
            sc.c.secondary_phone,
            sc.c.email_raw,
            sc.c.email,
            sc.c.date_of_birth,
            sc.c.gender,
        ).where(in_array(sc.c.global_customer_id, global_ids))
    ).all()
    by_customer: dict[UUID, list[LinkedRecord]] = defaultdict(list)
    for row in rows:
        by_customer[row.global_customer_id].append(
            LinkedRecord(
                source_system=row.source_system,
                source_updated_at=row.source_updated_at,
                source_created_at=row.source_created_at,
                full_name=row.full_name,
                national_id=row.national_id,
                phone=row.phone or row.secondary_phone,  # a second number beats none
                # display the email as typed, but only when it identifies someone
                email=row.email_raw.strip() if row.email and row.email_raw else None,
                date_of_birth=row.date_of_birth,
                gender=row.gender,
            )
        )
    profiles.write_golden(
        conn, {gid: golden_record(records) for gid, records in by_customer.items()}
    )
