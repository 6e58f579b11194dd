"""Where delivery stands (for /metrics, /health and `c360 status`), and replays."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, text, update

from app.events import feed, publisher
from app.events.models import ACTIVE, PARKED, event_subscription

PURGE_CHUNK = 10_000  # events deleted per statement
# the outbox waits this long for the relay before /health says events are behind
BEHIND_AFTER_S = 60.0


def delivery_state(conn: Connection, amqp: bool) -> dict[str, Any]:
    """Events not yet stamped into the feed (and the oldest one's age: the outbox lag); per
    destination, events not yet taken and the oldest one's age; parked subscriptions."""
    unstamped = conn.execute(
        text(
            "SELECT count(*) AS n,"
            " coalesce(extract(epoch FROM clock_timestamp() - min(occurred_at)), 0) AS age"
            " FROM outbox_event WHERE position IS NULL"
        )
    ).one()
    destinations = {}
    if amqp:
        destinations["amqp"] = feed.behind(conn, publisher.cursor(conn), None)
    subscriptions = conn.execute(
        select(
            event_subscription.c.subscription_id,
            event_subscription.c.position,
            event_subscription.c.types,
            event_subscription.c.status,
        )
    ).all()
    parked = 0
    for sub in subscriptions:
        state = feed.behind(conn, sub.position, sub.types)
        state["parked"] = sub.status == PARKED
        parked += sub.status == PARKED
        destinations[f"webhook {sub.subscription_id}"] = state
    return {
        "outbox": {"unstamped": unstamped.n, "lag_seconds": float(unstamped.age)},
        "destinations": destinations,
        "parked_subscriptions": parked,
        "undelivered": sum(d["undelivered"] for d in destinations.values()),
    }


def replay(conn: Connection, since: datetime) -> dict[str, Any]:
    """Every destination sends again the events from this time on: the exchange's cursor and
    every subscription's position move back to it (never forward), a parked one resumes."""
    start = feed.position_before(conn, since)
    amqp = ["amqp"] if publisher.rewind_cursor(conn, start) else []
    sub = event_subscription.c
    subscriptions = conn.execute(
        update(event_subscription)
        .values(
            position=func.least(sub.position, start),
            status=ACTIVE,
            attempts=0,
            failing_since=None,
            next_attempt_at=None,
        )
        .returning(sub.subscription_id)
    ).scalars()
    destinations = amqp + [f"webhook {s}" for s in subscriptions]
    return {"from_position": start, "destinations": destinations}


def purge_events(conn: Connection, now: datetime, retention_days: float) -> int:
    """Delete one chunk of the events in the feed older than the window (call again until 0);
    one not yet stamped stays until it is."""
    return conn.execute(
        text(
            "DELETE FROM outbox_event WHERE outbox_id IN ("
            " SELECT outbox_id FROM outbox_event"
            " WHERE occurred_at < :cutoff AND position IS NOT NULL"
            " ORDER BY occurred_at LIMIT :chunk)"
        ),
        {"cutoff": now - timedelta(days=retention_days), "chunk": PURGE_CHUNK},
    ).rowcount
