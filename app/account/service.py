"""Reads of Account_360."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select

from app.account.models import account_360, loan_360


def list_accounts(conn: Connection, customer_ids: Sequence[UUID]) -> list[dict[str, Any]]:
    """Every account of the customer (open first, then oldest first)."""
    query = (
        select(account_360)
        .where(account_360.c.global_customer_id.in_(customer_ids))
        .order_by(
            account_360.c.is_closed,
            account_360.c.opened_at.nulls_last(),
            account_360.c.source_system,
            account_360.c.source_account_id,
        )
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def list_loans(conn: Connection, customer_ids: Sequence[UUID]) -> list[dict[str, Any]]:
    """Every loan of the customer, core and dfs alike (newest first)."""
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
