"""The feed: every outbound event in one order, read from a position.

An event's position is stamped after its transaction commits, in commit order, by whoever reads
the feed first (the relay, or `GET /events`): one stamper at a time, each stamping what it sees.
One customer's events are written by transactions that follow each other (the writer holds the
customer's version row), so the later always commits, and is stamped, after the earlier: the
feed is in order per customer, and a reader that has seen a position has seen every smaller one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from app.outbox.types import SOURCE

# the advisory lock one stamper holds while it stamps ("c360 feed" in ASCII)
STAMPING = 0x63333630_66656564
STAMP_AT_MOST = 50_000


def stamp(conn: Connection) -> int:
    """Give the committed events without a position theirs, in the order they were written;
    returns how many. A stamper already at it is not waited for: what it stamps is visible
    once it commits."""
    if not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": STAMPING}).scalar():
        return 0
    return conn.execute(
        text(
            """
            WITH next AS (
                SELECT outbox_id, row_number() OVER (ORDER BY outbox_id) AS n
                FROM outbox_event WHERE position IS NULL
                ORDER BY outbox_id LIMIT :most
            ), base AS (
                SELECT coalesce(max(position), 0) AS last FROM outbox_event
            )
            UPDATE outbox_event o SET position = base.last + next.n
            FROM next, base WHERE o.outbox_id = next.outbox_id
            """
        ),
        {"most": STAMP_AT_MOST},
    ).rowcount


@dataclass(frozen=True)
class Page:
    events: list[dict[str, Any]]
    cursor: int  # read on from here: every position up to it has been seen


def read(conn: Connection, after: int, limit: int, types: Sequence[str] | None = None) -> Page:
    """The events after a position, oldest first (of these types only, if given)."""
    rows = conn.execute(
        text(
            """
            SELECT event_id, position, type, global_customer_id, profile_version, data,
                   occurred_at
            FROM outbox_event
            WHERE position > :after AND (CAST(:types AS text[]) IS NULL OR type = ANY(:types))
            ORDER BY position LIMIT :limit
            """
        ),
        {"after": after, "limit": limit, "types": list(types) if types is not None else None},
    ).all()
    if len(rows) == limit:
        cursor = rows[-1].position
    else:  # the whole rest was read: on from the last position stamped
        cursor = max(after, last_position(conn))
    return Page([envelope(row) for row in rows], cursor)


def behind(conn: Connection, position: int, types: Sequence[str] | None) -> dict[str, Any]:
    """A reader at this position: the events (of these types) it has yet to take, and the
    oldest one's age."""
    row = conn.execute(
        text(
            "SELECT count(*) AS n,"
            " coalesce(extract(epoch FROM clock_timestamp() - min(occurred_at)), 0) AS age"
            " FROM outbox_event WHERE position > :after"
            " AND (CAST(:types AS text[]) IS NULL OR type = ANY(:types))"
        ),
        {"after": position, "types": list(types) if types is not None else None},
    ).one()
    return {"position": position, "undelivered": row.n, "lag_seconds": float(row.age)}


def last_position(conn: Connection) -> int:
    return conn.execute(text("SELECT coalesce(max(position), 0) FROM outbox_event")).scalar_one()


def position_before(conn: Connection, since: datetime) -> int:
    """The position just before the first event at or after this time (a replay's start)."""
    first = conn.execute(
        text("SELECT min(position) FROM outbox_event WHERE occurred_at >= :since"),
        {"since": since},
    ).scalar()
    return (first - 1) if first is not None else last_position(conn)


def envelope(row: Any) -> dict[str, Any]:
    """An outbox row as the CloudEvents 1.0 JSON every consumer gets."""
    return {
        "specversion": "1.0",
        "id": str(row.event_id),
        "source": SOURCE,
        "type": row.type,
        "subject": str(row.global_customer_id),
        "time": row.occurred_at.isoformat(),
        "datacontenttype": "application/json",
        "profileversion": row.profile_version,
        "position": row.position,
        "data": row.data,
    }
