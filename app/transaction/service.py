"""Reads of Transaction_360, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Select, func, select

from app.db import among
from app.transaction.models import transaction_360


def count_transactions(conn: Connection, customer_ids: Sequence[UUID]) -> int:
    query = select(func.count()).where(transaction_360.c.global_customer_id.in_(customer_ids))
    return conn.execute(query).scalar_one()


def transactions_query(
    customer_ids: Sequence[UUID] | Select, *, limit: int, offset: int = 0
) -> Select:
    """Newest first, ties broken by ID so pages never overlap (ix_transaction_360_customer_time)."""
    return (
        select(transaction_360)
        .where(among(transaction_360.c.global_customer_id, customer_ids))
        .order_by(
            transaction_360.c.occurred_at.desc(), transaction_360.c.source_transaction_id.desc()
        )
        .limit(limit)
        .offset(offset)
    )


def list_transactions(
    conn: Connection, customer_ids: Sequence[UUID], *, limit: int, offset: int = 0
) -> list[dict[str, Any]]:
    """See transactions_query."""
    query = transactions_query(customer_ids, limit=limit, offset=offset)
    return [dict(row) for row in conn.execute(query).mappings()]
