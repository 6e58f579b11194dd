"""Reads of Transaction_360, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Connection, FromClause, Select, func, select

from app.db import among, first_of_each
from app.transaction.models import transaction_360


def count_transactions(conn: Connection, customer_ids: Sequence[UUID]) -> int:
    query = select(func.count()).where(transaction_360.c.global_customer_id.in_(customer_ids))
    return conn.execute(query).scalar_one()


def transactions_query(
    customer_ids: Sequence[UUID] | Select, *, limit: int, offset: int = 0
) -> Select:
    """Newest first, ties broken by ID so pages never overlap (ix_transaction_360_customer_time).
    For a query of IDs (a customer and those merged into it), each ID's are read by themselves
    (db.first_of_each)."""
    if isinstance(customer_ids, Select):
        query = first_of_each(
            customer_ids, transaction_360, "global_customer_id", _newest_first, limit + offset
        )
    else:
        query = (
            select(transaction_360)
            .where(among(transaction_360.c.global_customer_id, customer_ids))
            .order_by(*_newest_first(transaction_360))
        )
    return query.limit(limit).offset(offset)


def _newest_first(rows: FromClause) -> tuple[ColumnElement[Any], ...]:
    return rows.c.occurred_at.desc(), rows.c.source_transaction_id.desc()


def list_transactions(
    conn: Connection, customer_ids: Sequence[UUID], *, limit: int, offset: int = 0
) -> list[dict[str, Any]]:
    """See transactions_query."""
    query = transactions_query(customer_ids, limit=limit, offset=offset)
    return [dict(row) for row in conn.execute(query).mappings()]
