"""Reads of Account_360."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Select, and_, case, literal, or_, select, tuple_

from app.account.models import account_360, loan_360
from app.customer.models import source_customer
from app.db import among

# A business's account is held by the business and shown to each of its directors.
OWNER, DIRECTOR = "owner", "director"


def accounts_query(customer_ids: Sequence[UUID] | Select) -> Select:
    """Every account of the customer, and of each business the customer is a director of (with
    the business's name and the customer's role), open first, then oldest first."""
    sc = source_customer
    businesses = select(sc.c.source_system, sc.c.source_business_id).where(
        among(sc.c.global_customer_id, customer_ids), sc.c.source_business_id.is_not(None)
    )
    held_by_a_business = and_(
        account_360.c.source_customer_id.is_(None), account_360.c.source_business_id.is_not(None)
    )
    business_held = and_(
        held_by_a_business,
        tuple_(account_360.c.source_system, account_360.c.source_business_id).in_(businesses),
    )
    role = case((held_by_a_business, literal(DIRECTOR)), else_=OWNER)
    return (
        select(account_360, role.label("holder_role"))
        .where(or_(among(account_360.c.global_customer_id, customer_ids), business_held))
        .order_by(
            account_360.c.is_closed,
            account_360.c.opened_at.nulls_last(),
            account_360.c.source_system,
            account_360.c.source_account_id,
        )
    )


def list_accounts(conn: Connection, customer_ids: Sequence[UUID]) -> list[dict[str, Any]]:
    """See accounts_query."""
    return [dict(row) for row in conn.execute(accounts_query(customer_ids)).mappings()]


def list_loans(conn: Connection, customer_ids: Sequence[UUID]) -> list[dict[str, Any]]:
    """Every loan of the customer, core and dfs alike (newest first); a business loan, booked
    on its director's record, names the business."""
    query = (
        select(loan_360)
        .where(loan_360.c.global_customer_id.in_(customer_ids))
        .order_by(
            loan_360.c.source_created_at.desc().nulls_last(),
            loan_360.c.source_system,
            loan_360.c.source_loan_id,
        )
    )
    return [dict(row) for row in conn.execute(query).mappings()]
