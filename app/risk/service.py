"""Risk: reads for the API first; the risk computation follows below them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select

from app.channel.duress import generic_reasons
from app.risk.models import fraud_case, risk_profile

# --- Reads (API) -------------------------------------------------------------------------------


SERVED_RISK = ("fraud_score", "risk_level", "reasons", "last_updated")


def get_risk_profile(
    conn: Connection, global_id: UUID, *, reveal_duress: bool = False
) -> dict[str, Any] | None:
    """The customer's Risk_Profile, or None while it has not been computed (see served_risk)."""
    query = select(*(risk_profile.c[name] for name in SERVED_RISK)).where(
        risk_profile.c.global_customer_id == global_id
    )
    return served_risk(conn.execute(query).mappings().first(), reveal_duress=reveal_duress)


def served_risk(
    row: Mapping[str, Any] | None, *, reveal_duress: bool = False
) -> dict[str, Any] | None:
    """A risk_profile row (the SERVED_RISK columns) as served: a duress alert among its reasons
    reads as a generic security alert unless `reveal_duress`."""
    if row is None:
        return None
    reasons = row["reasons"] if reveal_duress else generic_reasons(row["reasons"])
    return {**{name: row[name] for name in SERVED_RISK}, "reasons": reasons}


def list_fraud_cases(conn: Connection, customer_ids: Sequence[UUID]) -> list[dict[str, Any]]:
    """The fraud cases opened on the customer, newest first."""
    query = (
        select(fraud_case)
        .where(fraud_case.c.global_customer_id.in_(customer_ids))
        .order_by(fraud_case.c.opened_at.desc(), fraud_case.c.source_case_id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


# --- Risk computation --------------------------------------------------------------------------
