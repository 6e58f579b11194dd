"""Customer reads: merge resolution shared by every per-customer endpoint, profile, look-up."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Select, bindparam, func, or_, select, text
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from app.customer.models import customer_360, source_customer
from app.db import among, array_literal

logger = logging.getLogger("c360.api")


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


_SPLIT_FROM = """
WITH RECURSIVE earlier(gid, until) AS (
    SELECT survivor_id, merged_at FROM merge_history
    WHERE kind = 'unmerge' AND merged_id = ANY(CAST(:ids AS uuid[]))
    UNION
    SELECT h.survivor_id, least(h.merged_at, e.until)
    FROM merge_history h JOIN earlier e ON h.merged_id = e.gid
    WHERE h.kind = 'unmerge' AND h.merged_at < e.until
)
SELECT gid, max(until) FROM earlier GROUP BY gid
"""


def split_from(conn: Connection, ids: list[UUID]) -> list[tuple[UUID, datetime]]:
    """The profiles these were split out of (a steward's unmerge), and those were split out of
    before that, each with the moment the records left it."""
    return [tuple(row) for row in conn.execute(text(_SPLIT_FROM), {"ids": array_literal(ids)})]


def members_query(global_id: UUID | None = None) -> Select:
    """`global_id` and every ID merged into it, directly or not, as a query of one column
    (`id`): rows still carrying a merged-away ID (not yet re-pointed) belong to the survivor
    too. Without `global_id`, the query takes it at execution, as parameter `global_id`."""
    start = bindparam("global_id", global_id, type_=PG_UUID(as_uuid=True))
    members = select(start.label("id")).cte("members", recursive=True)
    members = members.union(
        select(customer_360.c.global_customer_id).where(customer_360.c.merged_into == members.c.id)
    )
    return select(members.c.id)


def member_ids(conn: Connection, global_id: UUID) -> list[UUID]:
    """The IDs of members_query, `global_id` first."""
    return _itself_first(global_id, conn.execute(members_query(global_id)).scalars())


def resolve_customer(conn: Connection, global_id: UUID) -> list[UUID]:
    """The IDs whose rows make up active customer `global_id` (see members_query), itself
    first, read with its merge state in one statement.

    Raises CustomerNotFound (404) for an unknown ID and CustomerMerged (308) for a merged one.
    """
    row = conn.execute(_resolution_statement(), {"global_id": global_id}).first()
    if row is None:
        raise CustomerNotFound(global_id)
    if row.merged_into is not None:
        raise merged_away(conn, global_id)
    return _itself_first(global_id, row.members)


def _itself_first(global_id: UUID, members: Iterable[UUID]) -> list[UUID]:
    return [global_id, *(i for i in members if i != global_id)]


def merged_away(conn: Connection, global_id: UUID) -> CustomerMerged | CustomerNotFound:
    """What to answer for an ID merged into another: its survivor (308), or 404 where the
    chain of merges loops."""
    survivor = survivor_id(conn, global_id)
    return CustomerMerged(global_id, survivor) if survivor else CustomerNotFound(global_id)


@cache
def _resolution_statement() -> Select:
    members = func.array(members_query().scalar_subquery())
    return select(customer_360.c.merged_into, members.label("members")).where(
        customer_360.c.global_customer_id == bindparam("global_id")
    )


def source_records_query(customer_ids: Sequence[UUID] | Select) -> Select:
    return (
        select(source_customer)
        .where(among(source_customer.c.global_customer_id, customer_ids))
        .order_by(source_customer.c.source_system, source_customer.c.source_customer_id)
    )


def list_source_records(conn: Connection, customer_ids: Sequence[UUID]) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(source_records_query(customer_ids)).mappings()]


def find_customers(conn: Connection, criteria: Mapping[str, str]) -> list[dict[str, Any]]:
    """Active customers linked to a source record with these already-normalized column values
    (`national_id`, `phone`, `email`, or `source_system` + `source_customer_id`)."""
    query = _lookup_statement(tuple(sorted(criteria)))
    matched_on = "source_customer_id" if "source_customer_id" in criteria else ",".join(criteria)
    rows = conn.execute(query, dict(criteria)).mappings()
    return [{**row, "matched_on": matched_on} for row in rows]


@cache
def _lookup_statement(columns: tuple[str, ...]) -> Select:
    """The look-up by these columns (each a parameter of its name) as one statement: the
    linked IDs, followed along their merges (UNION stops at a loop) to the survivors, where
    the chains end. Built once per set of columns: composing it costs more than running it."""
    sc = source_customer
    conditions = [
        # a phone finds its holder whether it is their primary or their secondary number
        or_(sc.c.phone == bindparam(name), sc.c.secondary_phone == bindparam(name))
        if name == "phone"
        else sc.c[name] == bindparam(name)
        for name in columns
    ]
    linked = select(sc.c.global_customer_id.label("id")).where(*conditions)
    chain = linked.cte("chain", recursive=True)
    chain = chain.union(
        select(customer_360.c.merged_into).where(
            customer_360.c.global_customer_id == chain.c.id, customer_360.c.merged_into.is_not(None)
        )
    )
    return (
        select(customer_360.c.global_customer_id, customer_360.c.full_name)
        .where(
            among(customer_360.c.global_customer_id, select(chain.c.id)),
            customer_360.c.merged_into.is_(None),
        )
        .order_by(customer_360.c.full_name, customer_360.c.global_customer_id)
    )
