"""The unified profile: a customer's golden record with its sources, and everything linked to
the ID across the domains (accounts, transactions, logins and devices, risk)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    FromClause,
    Select,
    bindparam,
    case,
    func,
    select,
)

from app.account.schemas import AccountSchema
from app.account.service import accounts_query
from app.channel.duress import generic_reasons_sql, ordinary_mode_sql
from app.channel.models import channel_login
from app.customer.models import GOLDEN_FIELDS, customer_360
from app.customer.service import (
    CustomerNotFound,
    members_query,
    merged_away,
    source_records_query,
)
from app.db import Precompiled, among, first_of_each
from app.profile.schemas import DeviceSchema, LoginSchema, ProfileSchema, SourceRecordSchema
from app.risk.models import risk_profile
from app.risk.schemas import RiskProfileSchema
from app.risk.service import SERVED_RISK
from app.served import as_text, served_first, served_object, served_rows
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


@cache
def _profile_statement() -> Precompiled:
    """The served profile of customer `global_id` (a parameter) as one statement: PostgreSQL
    builds the JSON ProfileSchema describes (app/served.py), duress masked unless the parameter
    `reveal_duress`. Built and compiled once: composing it costs more than running it."""
    members = members_query()
    reveal = bindparam("reveal_duress", type_=Boolean)
    login = last_login_query(members).subquery("newest_login")
    login_served = select(
        *(column for column in login.c if column.key != "session_mode"),
        ordinary_mode_sql(login.c.session_mode, reveal).label("session_mode"),
    )
    risk = risk_profile
    risk_served = {
        **{name: risk.c[name] for name in SERVED_RISK},
        "reasons": generic_reasons_sql(risk.c.reasons, reveal),
    }
    profile = {
        "global_customer_id": customer_360.c.global_customer_id,
        **{
            name: {"value": customer_360.c[name], "source": customer_360.c[f"{name}_source"]}
            for name in GOLDEN_FIELDS
        },
        "created_date": customer_360.c.created_date,
        "source_records": served_rows(
            source_records_query(members), SourceRecordSchema, "source_records"
        ),
        "accounts": served_rows(accounts_query(members), AccountSchema, "accounts"),
        "recent_transactions": served_rows(
            transactions_query(members, limit=RECENT_TRANSACTIONS),
            TransactionSchema,
            "recent_transactions",
        ),
        "last_login": served_first(login_served, LoginSchema, "last_login"),
        "devices": served_rows(devices_query(members), DeviceSchema, "devices"),
        "risk": case(
            (risk.c.global_customer_id.is_not(None), served_object(RiskProfileSchema, risk_served))
        ),
    }
    statement = (
        select(
            customer_360.c.merged_into, as_text(served_object(ProfileSchema, profile), "profile")
        )
        .select_from(
            customer_360.outerjoin(
                risk, risk.c.global_customer_id == customer_360.c.global_customer_id
            )
        )
        .where(customer_360.c.global_customer_id == bindparam("global_id"))
    )
    return Precompiled(statement, "global_id", "reveal_duress")


def get_profile(conn: Connection, global_id: UUID, *, reveal_duress: bool = False) -> str:
    """The unified profile as served (ProfileSchema's JSON): golden fields with their source,
    and everything linked to the ID and to the IDs merged into it. Duress is served only where
    `reveal_duress` (a key with the security scope); a shadow login reads as a standard one
    otherwise.

    One statement: one round trip and one snapshot, however many sections the profile has.
    Raises CustomerNotFound (404) and CustomerMerged (308) as resolve_customer does."""
    row = _profile_statement().first(conn, global_id=global_id, reveal_duress=reveal_duress)
    if row is None:
        raise CustomerNotFound(global_id)
    if row.merged_into is not None:
        raise merged_away(conn, global_id)
    return row.profile
