"""The unified profile: a customer's golden record with its sources, and everything linked to
the ID across the domains (accounts, transactions, logins and devices, risk)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, func, select

from app.account.service import list_accounts
from app.channel.duress import ordinary_login
from app.channel.models import channel_login
from app.customer.models import GOLDEN_FIELDS, customer_360
from app.customer.service import list_source_records, resolve_customer
from app.risk.service import get_risk_profile
from app.transaction.service import list_transactions

RECENT_TRANSACTIONS = 10


def last_login(
    conn: Connection, customer_ids: Sequence[UUID], *, reveal_duress: bool = False
) -> dict[str, Any] | None:
    """The newest login; a shadow (duress) session reads as a standard one unless
    `reveal_duress`."""
    query = (
        select(channel_login)
        .where(channel_login.c.global_customer_id.in_(customer_ids))
        .order_by(channel_login.c.login_at.desc(), channel_login.c.source_session_id.desc())
        .limit(1)
    )
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    return dict(row) if reveal_duress else ordinary_login(dict(row))


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


def get_profile(
    conn: Connection, global_id: UUID, *, reveal_duress: bool = False
) -> dict[str, Any]:
    """The unified profile: golden fields with their source, and everything linked to the ID.
    Duress is served only where `reveal_duress` (a key with the security scope)."""
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
        "last_login": last_login(conn, ids, reveal_duress=reveal_duress),
        "devices": list_devices(conn, ids),
        "risk": get_risk_profile(conn, global_id, reveal_duress=reveal_duress),
    }
