"""Customer reads: merge resolution shared by every per-customer endpoint, profile, look-up."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, func, literal, or_, select
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from app.account.service import list_accounts
from app.channel.models import channel_login
from app.customer.models import GOLDEN_FIELDS, customer_360, source_customer
from app.risk.service import get_risk_profile
from app.transaction.service import list_transactions

logger = logging.getLogger("c360.api")

RECENT_TRANSACTIONS = 10


class CustomerNotFound(Exception):
    def __init__(self, global_id: UUID) -> None:
        super().__init__(f"no customer {global_id}")
        self.global_id = global_id


class CustomerMerged(Exception):
    """The ID was folded into another customer: clients are sent to the survivor (308)."""

    def __init__(self, global_id: UUID, survivor_id: UUID) -> None:
        super().__init__(f"customer {global_id} was merged into {survivor_id}")
        self.global_id = global_id
        self.survivor_id = survivor_id


def survivor_id(conn: Connection, global_id: UUID) -> UUID | None:
    """The customer `global_id` ended up as after its merges (itself if active); None if unknown."""
    seen: set[UUID] = set()
    current = global_id
    while current not in seen:
        seen.add(current)
        query = select(customer_360.c.merged_into).where(
            customer_360.c.global_customer_id == current
        )
        row = conn.execute(query).first()
        if row is None:
            return None
        if row.merged_into is None:
            return current
        current = row.merged_into
    logger.warning("merge chain of %s loops; treating it as unknown", global_id)
    return None


def member_ids(conn: Connection, global_id: UUID) -> list[UUID]:
    """`global_id` and every ID merged into it, directly or not: rows still carrying a merged-away
    ID (not yet re-pointed) belong to the survivor too."""
    members = select(literal(global_id, PG_UUID(as_uuid=True)).label("id")).cte(
        "members", recursive=True
    )
    members = members.union(
        select(customer_360.c.global_customer_id).where(customer_360.c.merged_into == members.c.id)
    )
    ids = conn.execute(select(members.c.id)).scalars().all()
    return [global_id, *(i for i in ids if i != global_id)]


def resolve_customer(conn: Connection, global_id: UUID) -> list[UUID]:
    """The IDs whose rows make up active customer `global_id` (see member_ids).

    Raises CustomerNotFound (404) for an unknown ID and CustomerMerged (308) for a merged one.
    """
    survivor = survivor_id(conn, global_id)
    if survivor is None:
        raise CustomerNotFound(global_id)
    if survivor != global_id:
        raise CustomerMerged(global_id, survivor)
    return member_ids(conn, global_id)


def list_source_records(conn: Connection, customer_ids: Sequence[UUID]) -> list[dict[str, Any]]:
    query = (
        select(source_customer)
        .where(source_customer.c.global_customer_id.in_(customer_ids))
        .order_by(source_customer.c.source_system, source_customer.c.source_customer_id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def last_login(conn: Connection, customer_ids: Sequence[UUID]) -> dict[str, Any] | None:
    query = (
        select(channel_login)
        .where(channel_login.c.global_customer_id.in_(customer_ids))
        .order_by(channel_login.c.login_at.desc(), channel_login.c.source_session_id.desc())
        .limit(1)
    )
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def list_devices(conn: Connection, customer_ids: Sequence[UUID]) -> list[dict[str, Any]]:
    """The devices the customer logged in from, most recently used first."""
    last_seen = func.max(channel_login.c.login_at)
    query = (
        select(
            channel_login.c.device_id,
            func.min(channel_login.c.login_at).label("first_seen"),
            last_seen.label("last_seen"),
            func.count().label("logins"),
        )
        .where(
            channel_login.c.global_customer_id.in_(customer_ids),
            channel_login.c.device_id.is_not(None),
        )
        .group_by(channel_login.c.device_id)
        .order_by(last_seen.desc(), channel_login.c.device_id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def get_profile(conn: Connection, global_id: UUID) -> dict[str, Any]:
    """The unified profile: golden fields with their source, and everything linked to the ID."""
    ids = resolve_customer(conn, global_id)
    query = select(customer_360).where(customer_360.c.global_customer_id == global_id)
    customer = conn.execute(query).mappings().one()
    return {
        "global_customer_id": global_id,
        **{
            name: {"value": customer[name], "source": customer[f"{name}_source"]}
            for name in GOLDEN_FIELDS
        },
        "created_date": customer["created_date"],
        "source_records": list_source_records(conn, ids),
        "accounts": list_accounts(conn, ids),
        "recent_transactions": list_transactions(conn, ids, limit=RECENT_TRANSACTIONS),
        "last_login": last_login(conn, ids),
        "devices": list_devices(conn, ids),
        "risk": get_risk_profile(conn, global_id),
    }


def find_customers(conn: Connection, criteria: Mapping[str, str]) -> list[dict[str, Any]]:
    """Active customers linked to a source record with these already-normalized column values
    (`national_id`, `phone`, `email`, or `source_system` + `source_customer_id`)."""
    sc = source_customer
    conditions = [
        # a phone finds its holder whether it is their primary or their secondary number
        or_(sc.c.phone == value, sc.c.secondary_phone == value)
        if name == "phone"
        else sc.c[name] == value
        for name, value in criteria.items()
    ]
    linked = select(source_customer.c.global_customer_id).where(*conditions).distinct()
    survivors = {survivor_id(conn, gid) for gid in conn.execute(linked).scalars()} - {None}
    query = (
        select(customer_360.c.global_customer_id, customer_360.c.full_name)
        .where(customer_360.c.global_customer_id.in_(survivors))
        .order_by(customer_360.c.full_name, customer_360.c.global_customer_id)
    )
    matched_on = "source_customer_id" if "source_customer_id" in criteria else ",".join(criteria)
    return [{**row, "matched_on": matched_on} for row in conn.execute(query).mappings()]
