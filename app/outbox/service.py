"""Recording outbound events: one statement per call, in the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, text

# The outbound types (the contract's names)
PROFILE_CREATED = "CustomerProfileCreated"
PROFILE_UPDATED = "CustomerProfileUpdated"
MERGED = "CustomersMerged"
UNMERGED = "CustomerUnmerged"
RISK_LEVEL_CHANGED = "RiskLevelChanged"
LINKED_RECORD_ADDED = "LinkedRecordAdded"
OUTBOUND_TYPES = (
    PROFILE_CREATED,
    PROFILE_UPDATED,
    MERGED,
    UNMERGED,
    RISK_LEVEL_CHANGED,
    LINKED_RECORD_ADDED,
)
# the relay listens here: a commit that wrote events wakes it (NOTIFY is sent on commit only)
NOTIFY_CHANNEL = "c360_outbox"


@dataclass(frozen=True)
class Outgoing:
    """An event about one customer (its subject): IDs, levels and field names only."""

    type: str
    global_customer_id: UUID
    data: Mapping[str, Any]


# Each customer's version moves by the number of its events, in the order of their IDs, in one
# statement; the version rows are taken in ID order, so two writers cannot deadlock on them,
# and a customer's next events are drawn only once the last writer about them has committed.
_RECORD = """
WITH e AS (
    SELECT * FROM jsonb_to_recordset(CAST(:events AS jsonb))
        AS e(n int, type text, gid uuid, data jsonb)
), counted AS (
    SELECT gid, count(*) AS n FROM e GROUP BY gid
), bumped AS (
    INSERT INTO profile_version AS pv (global_customer_id, version)
    SELECT gid, n FROM counted ORDER BY gid
    ON CONFLICT (global_customer_id) DO UPDATE SET version = pv.version + EXCLUDED.version
    RETURNING pv.global_customer_id AS gid, pv.version AS last
), numbered AS (
    SELECT e.n, e.type, e.gid, e.data,
           b.last - c.n + row_number() OVER (PARTITION BY e.gid ORDER BY e.n) AS version
    FROM e JOIN counted c USING (gid) JOIN bumped b USING (gid)
)
INSERT INTO outbox_event (type, global_customer_id, profile_version, data)
SELECT type, gid, version,
       jsonb_build_object('global_customer_id', gid) || data
FROM numbered ORDER BY n
"""


def record(conn: Connection, events: Iterable[Outgoing]) -> int:
    """Write these events to the outbox, in this order, in the caller's transaction: they are
    delivered if and only if it commits."""
    rows = [
        {"n": n, "type": e.type, "gid": str(e.global_customer_id), "data": dict(e.data)}
        for n, e in enumerate(events)
    ]
    if not rows:
        return 0
    conn.execute(text(_RECORD), {"events": json.dumps(rows, default=str)})
    conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    return len(rows)


def about_each(kind: str, ids: Iterable[UUID], **data: Any) -> list[Outgoing]:
    """One event of this kind for each of these customers."""
    return [Outgoing(kind, gid, data) for gid in ids]


def reasons_without_detail(reasons: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A risk profile's reasons as an event carries them: what kind, from where, which record
    and how much, never the detail (a case's words, an alert's type: a duress alert among
    them)."""
    kept = ("kind", "source", "ref", "level", "contribution")
    return [{k: reason.get(k) for k in kept} for reason in reasons if isinstance(reason, Mapping)]
