"""Identity resolution: link each source person record to one Global Customer ID.

Rule (in priority order): an already linked source record keeps its ID; else the national ID;
else the phone; else the email; else a new UUID. A false merge shows one person's accounts to
another, so a candidate is refused when it carries a different valid national ID (families
share phones), and a phone or email that already points at several people matches nobody.
Every decision other than "already linked" is recorded with its reason.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import Connection, insert, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.customer.models import customer_360, source_customer
from app.identity import locks, normalize
from app.identity.models import match_decision
from connectors.records import CustomerRecord


@dataclass(frozen=True)
class Identity:
    """A person record with its identifiers normalized (None: identifies nobody)."""

    source_system: str
    source_customer_id: str
    national_id: str | None
    id_document_type: str | None
    phone: str | None
    email: str | None
    record: CustomerRecord | None  # None for a link read back from the database

    @classmethod
    def of(cls, record: CustomerRecord) -> Identity:
        document = normalize.national_id(record.national_id)
        return cls(
            source_system=record.source_system,
            source_customer_id=record.source_customer_id,
            national_id=document[0] if document else None,
            id_document_type=document[1] if document else None,
            phone=normalize.phone(record.phone),
            email=normalize.email(record.email),
            record=record,
        )

    @property
    def key(self) -> tuple[str, str]:
        return (self.source_system, self.source_customer_id)

    def lock_keys(self) -> list[str]:
        keys = [locks.customer_key(*self.key)]
        keys += [f"{kind}:{value}" for kind, value in self.identifiers() if value]
        if self.record is not None and self.record.business_key:
            keys.append(locks.business_key(self.source_system, self.record.business_key))
        return keys

    def identifiers(self) -> list[tuple[str, str | None]]:
        return [("national_id", self.national_id), ("phone", self.phone), ("email", self.email)]


@dataclass(frozen=True)
class Decision:
    identity: Identity
    global_customer_id: UUID
    decision: str  # existing | new | matched
    identifier: str | None
    reason: str
    refusals: tuple[str, ...] = ()  # candidates considered and refused, with why


@dataclass
class _Index:
    """Who holds each identifier: the links already stored plus those decided in this batch."""

    by_source: dict[tuple[str, str], UUID] = field(default_factory=dict)
    holders: dict[tuple[str, str], set[UUID]] = field(default_factory=lambda: defaultdict(set))
    national_ids: dict[UUID, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, gid: UUID, source: tuple[str, str], identifiers, national_id: str | None):
        self.by_source[source] = gid
        for kind, value in identifiers:
            if value:
                self.holders[(kind, value)].add(gid)
        if national_id:
            self.national_ids[gid].add(national_id)


def decide(
    identities: Iterable[Identity], existing: Iterable[tuple[UUID, Identity]]
) -> list[Decision]:
    """Pure matching of a batch, in order, given the stored links as (gid, identity) pairs."""
    index = _Index()
    for gid, known in existing:
        national = known.national_id if known.id_document_type == "national_id" else None
        index.add(gid, known.key, known.identifiers(), national)

    decisions = []
    for identity in identities:
        decision = _decide_one(identity, index)
        national = identity.national_id if identity.id_document_type == "national_id" else None
        index.add(decision.global_customer_id, identity.key, identity.identifiers(), national)
        decisions.append(decision)
    return decisions


def _decide_one(identity: Identity, index: _Index) -> Decision:
    linked = index.by_source.get(identity.key)
    if linked is not None:
        return Decision(identity, linked, "existing", None, "source record already linked")
    own_nid = identity.national_id if identity.id_document_type == "national_id" else None
    refusals: list[str] = []
    for kind, value in identity.identifiers():
        if not value:
            continue
        candidates = index.holders.get((kind, value), set())
        if kind != "national_id" and own_nid:
            conflicting = {g for g in candidates if index.national_ids[g] - {own_nid}}
            if conflicting:
                refusals.append(
                    f"{kind} is held by {len(conflicting)} customer(s) with another national ID"
                )
            candidates = candidates - conflicting
        if len(candidates) == 1:
            (gid,) = candidates
            return Decision(identity, gid, "matched", kind, f"matched on {kind}", tuple(refusals))
        if len(candidates) > 1:
            refusals.append(f"{kind} is shared by {len(candidates)} customers: ambiguous")
    reason = "no identifier matched" if not refusals else "no unambiguous, conflict-free match"
    return Decision(identity, uuid.uuid4(), "new", None, reason, tuple(refusals))


def link_customers(
    conn: Connection, records: list[CustomerRecord], batch_id: int | None = None
) -> list[Decision]:
    """Match and store a batch of person records in the caller's transaction.

    Locks the buckets of every identifier first, so concurrent batches that bring the same
    person serialize and the second sees the first one's links.
    """
    latest: dict[tuple[str, str], CustomerRecord] = {}
    for record in records:  # a batch can hold several versions of a record: keep the newest
        key = (record.source_system, record.source_customer_id)
        if key not in latest or record.updated_at >= latest[key].updated_at:
            latest[key] = record
    identities = [Identity.of(r) for r in latest.values()]
    if not identities:
        return []
    locks.lock_keys(conn, [k for i in identities for k in i.lock_keys()])
    decisions = decide(identities, _stored_links(conn, identities))
    _store(conn, decisions, batch_id)
    return decisions


def _stored_links(conn: Connection, identities: list[Identity]) -> list[tuple[UUID, Identity]]:
    sc = source_customer
    conditions = [
        tuple_(sc.c.source_system, sc.c.source_customer_id).in_([i.key for i in identities])
    ]
    for column, values in (
        (sc.c.national_id, {i.national_id for i in identities if i.national_id}),
        (sc.c.phone, {i.phone for i in identities if i.phone}),
        (sc.c.email, {i.email for i in identities if i.email}),
    ):
        if values:
            conditions.append(column.in_(values))
    rows = conn.execute(
        select(
            sc.c.global_customer_id,
            sc.c.source_system,
            sc.c.source_customer_id,
            sc.c.national_id,
            sc.c.id_document_type,
            sc.c.phone,
            sc.c.email,
        ).where(or_(*conditions))
    ).all()
    return [
        (
            row.global_customer_id,
            Identity(
                row.source_system,
                row.source_customer_id,
                row.national_id,
                row.id_document_type,
                row.phone,
                row.email,
                record=None,
            ),
        )
        for row in rows
    ]


def _store(conn: Connection, decisions: list[Decision], batch_id: int | None) -> None:
    new_ids = [d.global_customer_id for d in decisions if d.decision == "new"]
    if new_ids:
        conn.execute(
            pg_insert(customer_360)
            .values([{"global_customer_id": gid} for gid in new_ids])
            .on_conflict_do_nothing()
        )
    rows = [_link_row(d) for d in decisions]
    stmt = pg_insert(source_customer).values(rows)
    changing = [
        c for c in rows[0] if c not in ("source_system", "source_customer_id", "match_rule")
    ]
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["source_system", "source_customer_id"],
            set_={**{c: stmt.excluded[c] for c in changing}, "updated_at": text("now()")},
            # an older version of the record never overwrites a newer one
            where=source_customer.c.source_updated_at <= stmt.excluded.source_updated_at,
        )
    )
    recorded = [
        {
            "source_system": d.identity.source_system,
            "source_customer_id": d.identity.source_customer_id,
            "global_customer_id": d.global_customer_id,
            "decision": d.decision,
            "identifier": d.identifier,
            "reason": "; ".join((d.reason, *d.refusals)),
            "batch_id": batch_id,
        }
        for d in decisions
        if d.decision != "existing"
    ]
    if recorded:
        conn.execute(insert(match_decision), recorded)


def _link_row(decision: Decision) -> dict:
    identity, record = decision.identity, decision.identity.record
    assert record is not None  # decisions are only made for records read from a source
    return {
        "source_system": identity.source_system,
        "source_customer_id": identity.source_customer_id,
        "global_customer_id": decision.global_customer_id,
        "business_key": record.business_key,
        "national_id": identity.national_id,
        "national_id_raw": record.national_id,
        "id_document_type": identity.id_document_type,
        "phone": identity.phone,
        "phone_raw": record.phone,
        "email": identity.email,
        "email_raw": record.email,
        "full_name": record.full_name,
        "date_of_birth": record.date_of_birth,
        "is_active": record.is_active,
        "source_created_at": record.created_at,
        "source_updated_at": record.updated_at,
        "match_rule": decision.identifier or decision.decision,
    }


def affected_customers(decisions: list[Decision]) -> list[UUID]:
    return sorted({d.global_customer_id for d in decisions}, key=str)
