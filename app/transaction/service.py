"""Reads of Transaction_360, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Connection, FromClause, Select, func, select, true

from app.db import among
from app.transaction.models import transaction_360


def count_transactions(conn: Connection, customer_ids: Sequence[UUID]) -> int:
    query = select(func.count()).where(transaction_360.c.global_customer_id.in_(customer_ids))
    return conn.execute(query).scalar_one()


def transactions_query(
    customer_ids: Sequence[UUID] | Select, *, limit: int, offset: int = 0
) -> Select:
    """Newest first, ties broken by ID so pages never overlap (ix_transaction_360_customer_time).

    For a query of IDs (a customer and those merged into it), each ID's newest are read by
    themselves, then merged: one index look-up each, where a filter on all of them at once is
    planned for the ten IDs PostgreSQL guesses such a query returns, and reads a small
    partition (a new year's) whole on every request."""
    t = transaction_360
    if isinstance(customer_ids, Select):
        member = customer_ids.subquery("member")
        t = (
            select(transaction_360)
            .where(transaction_360.c.global_customer_id == member.c[0])
            .order_by(*_newest_first(transaction_360))
            .limit(limit + offset)
            .lateral("newest_of_member")
        )
        query = select(t).select_from(member.join(t, true()))
    else:
        query = select(t).where(among(t.c.global_customer_id, customer_ids))
    return query.order_by(*_newest_first(t)).limit(limit).offset(offset)


def _newest_first(rows: FromClause) -> tuple[ColumnElement[Any], ...]:
    return rows.c.occurred_at.desc(), rows.c.source_transaction_id.desc()


def list_transactions(
    conn: Connection, customer_ids: Sequence[UUID], *, limit: int, offset: int = 0
) -> list[dict[str, Any]]:
    """See transactions_query."""
    query = transactions_query(customer_ids, limit=limit, offset=offset)
    return [dict(row) for row in conn.execute(query).mappings()]
