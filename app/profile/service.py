"""The unified profile: a customer's golden record with its sources, and everything linked to
the ID across the domains (accounts, transactions, logins and devices, risk)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any
from uuid import UUID

from marshmallow import Schema
from sqlalchemy import ColumnElement, Connection, FromClause, Select, bindparam, func, select

from app.account.schemas import AccountSchema
from app.account.service import accounts_query
from app.channel.duress import ordinary_login
from app.channel.models import channel_login
from app.customer.models import GOLDEN_FIELDS, customer_360
from app.customer.service import (
    CustomerNotFound,
    members_query,
    merged_away,
    source_records_query,
)
from app.db import JsonRows, among, first_of_each
from app.profile.schemas import DeviceSchema, LoginSchema, SourceRecordSchema
from app.risk.models import risk_profile
from app.risk.service import SERVED_RISK, served_risk
from app.transaction.schemas import TransactionSchema
from app.transaction.service import transactions_query

RECENT_TRANSACTIONS = 10


def last_login_query(customer_ids: Sequence[UUID] | Select) -> Select:
    """The newest login (of a query of IDs: each ID's newest first, db.first_of_each)."""
    if isinstance(customer_ids, Select):
        return first_of_each(customer_ids, channel_login, "global_customer_id", _newest_first, 1)
    return (
        select(channel_login)
        .where(among(channel_login.c.global_customer_id, customer_ids))
        .order_by(*_newest_first(channel_login))
        .limit(1)
    )


def _newest_first(logins: FromClause) -> tuple[ColumnElement[Any], ...]:
    return logins.c.login_at.desc(), logins.c.source_session_id.desc()


def devices_query(customer_ids: Sequence[UUID] | Select) -> Select:
    """The devices the customer logged in from, most recently used first."""
    last_seen = func.max(channel_login.c.login_at)
    return (
        select(
            channel_login.c.device_id,
            func.min(channel_login.c.login_at).label("first_seen"),
            last_seen.label("last_seen"),
            func.count().label("logins"),
        )
        .where(
            among(channel_login.c.global_customer_id, customer_ids),
            channel_login.c.device_id.is_not(None),
        )
        .group_by(channel_login.c.device_id)
        .order_by(last_seen.desc(), channel_login.c.device_id)
    )


def list_devices(conn: Connection, customer_ids: Sequence[UUID]) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(devices_query(customer_ids)).mappings()]


def _served(schema: type[Schema]) -> frozenset[str]:
    """The row keys a schema serves (a field's attribute, where it names one)."""
    return frozenset(field.attribute or name for name, field in schema().fields.items())


@cache
def _profile_statement() -> tuple[Select, dict[str, JsonRows]]:
    """The profile of customer `global_id` (a parameter) as one statement, and its sections,
    each holding only the columns the profile serves (built once: composing it costs more than
    running it)."""
    members = members_query()
    sections = {
        "source_records": JsonRows(
            source_records_query(members), "source_records", _served(SourceRecordSchema)
        ),
        "accounts": JsonRows(accounts_query(members), "accounts", _served(AccountSchema)),
        "recent_transactions": JsonRows(
            transactions_query(members, limit=RECENT_TRANSACTIONS),
            "recent_transactions",
            _served(TransactionSchema),
        ),
        "last_login": JsonRows(last_login_query(members), "last_login", _served(LoginSchema)),
        "devices": JsonRows(devices_query(members), "devices", _served(DeviceSchema)),
    }
    golden = [customer_360.c[name] for name in GOLDEN_FIELDS]
    golden += [customer_360.c[f"{name}_source"] for name in GOLDEN_FIELDS]
    risk = risk_profile
    query = (
        select(
            customer_360.c.merged_into,
            customer_360.c.created_date,
            *golden,
            *(section.column for section in sections.values()),
            *(risk.c[name].label(f"risk_{name}") for name in SERVED_RISK),
        )
        .select_from(
            customer_360.outerjoin(
                risk, risk.c.global_customer_id == customer_360.c.global_customer_id
            )
        )
        .where(customer_360.c.global_customer_id == bindparam("global_id"))
    )
    return query, sections


def get_profile(
    conn: Connection, global_id: UUID, *, reveal_duress: bool = False
) -> dict[str, Any]:
    """The unified profile: golden fields with their source, and everything linked to the ID
    and to the IDs merged into it. Duress is served only where `reveal_duress` (a key with
    the security scope); a shadow login reads as a standard one otherwise.

    One statement: one round trip and one snapshot, however many sections the profile has.
    Raises CustomerNotFound (404) and CustomerMerged (308) as resolve_customer does."""
    query, sections = _profile_statement()
    row = conn.execute(query, {"global_id": global_id}).mappings().first()
    if row is None:
        raise CustomerNotFound(global_id)
    if row["merged_into"] is not None:
        raise merged_away(conn, global_id)
    found = {name: section.load(row[name]) for name, section in sections.items()}
    logins = found.pop("last_login")
    scored = row["risk_risk_level"] is not None
    return {
        "global_customer_id": global_id,
        **{name: {"value": row[name], "source": row[f"{name}_source"]} for name in GOLDEN_FIELDS},
        "created_date": row["created_date"],
        **found,
        "last_login": (logins[0] if reveal_duress else ordinary_login(logins[0]))
        if logins
        else None,
        "risk": served_risk(
            {name: row[f"risk_{name}"] for name in SERVED_RISK} if scored else None,
            reveal_duress=reveal_duress,
        ),
    }
