"""Reads for identity review: suspected duplicates, and how a profile came to be."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, or_, select, tuple_

from app.customer.models import merge_history, source_customer
from app.identity.models import match_decision, suspected_duplicate


def list_suspected_duplicates(conn: Connection, status: str, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(suspected_duplicate)
        .where(suspected_duplicate.c.status == status)
        .order_by(suspected_duplicate.c.detected_at.desc(), suspected_duplicate.c.national_id_a)
        .limit(limit)
    ).mappings()
    return [dict(row) for row in rows]


def identity_history(conn: Connection, customer_ids: Sequence[UUID]) -> dict[str, Any]:
    """Merges into (or of) the customer, its source records with why each is linked, and the
    decisions about them."""
    merges = conn.execute(
        select(merge_history)
        .where(
            or_(
                merge_history.c.survivor_id.in_(customer_ids),
                merge_history.c.merged_id.in_(customer_ids),
            )
        )
        .order_by(merge_history.c.merged_at)
    ).mappings()
    sc = source_customer
    rows = conn.execute(
        select(
            sc.c.source_system,
            sc.c.source_customer_id,
            sc.c.full_name,
            sc.c.match_rule,
            sc.c.why,
            sc.c.linked_at,
        )
        .where(sc.c.global_customer_id.in_(customer_ids))
        .order_by(sc.c.source_system, sc.c.source_customer_id)
    ).mappings()
    links = [dict(row) for row in rows]
    records = [(link["source_system"], link["source_customer_id"]) for link in links]
    decisions = conn.execute(
        select(match_decision)
        .where(
            tuple_(match_decision.c.source_system, match_decision.c.source_customer_id).in_(records)
        )
        .order_by(match_decision.c.decided_at, match_decision.c.decision_id)
    ).mappings()
    return {
        "global_customer_id": customer_ids[0],
        "merges": [dict(m) for m in merges],
        "links": links,
        "decisions": [dict(d) for d in decisions],
    }
