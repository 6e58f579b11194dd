"""What follows when records change profile, whoever changed them (a batch's resolution or a
steward's action): their facts follow them, and every profile concerned gets its golden record
made anew. One flow, so the two never drift apart."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import Connection

from app.customer.survivorship import refresh_golden_records
from app.identity.clustering import Key
from app.pipeline.facts import repoint_owners


def settle(
    conn: Connection,
    moved: Iterable[Key],
    business_keys: Iterable[str],
    concerned: Iterable[UUID],
) -> list[UUID]:
    """Repoint the facts of the `moved` records (and those reached by core `business_keys`) to
    their profiles now, and refresh the golden records of the profiles `concerned` and of those
    the facts left or reached. Returns every profile affected."""
    touched = repoint_owners(conn, list(moved), list(business_keys))
    affected = sorted({*concerned, *touched}, key=str)
    refresh_golden_records(conn, affected)
    return affected
