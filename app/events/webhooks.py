"""Webhooks: each subscription gets the types it asked for, in feed order, a batch per POST
(CloudEvents' JSON batch format), signed with its secret. A failing receiver is tried again
after a wait that doubles, up to the longest wait, for the retry window (24 hours by default);
then the subscription is parked, visible in `GET /subscriptions`, /metrics, /health and
`c360 status`, and sends nothing until resumed (`POST /subscriptions/{id}/resume`, or a replay).
Nothing is skipped: a receiver gets every event after its position, in order, at least once."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from sqlalchemy import Connection, func, insert, select, update

from app import db
from app.config import Settings
from app.events import feed
from app.events.models import ACTIVE, PARKED, event_subscription

log = logging.getLogger("c360.events")

BATCH = 100  # events in one POST
CONTENT_TYPE = "application/cloudevents-batch+json"
SIGNATURE_HEADER = "X-C360-Signature"
TIMEOUT_S = (3.05, 10)  # connect, read
SERVED = [c for c in event_subscription.c if c.name != "secret"]
_sessions = threading.local()


def signature(secret: str, body: bytes) -> str:
    """The header value a receiver checks: the hex HMAC-SHA256 of the body under the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def subscribe(
    conn: Connection, url: str, types: Sequence[str], secret: str, created_by: str | None
) -> dict[str, Any]:
    """A new subscription, from the feed's end: it gets the events written from now on."""
    row = conn.execute(
        insert(event_subscription)
        .values(
            url=url,
            types=sorted(set(types)),
            secret=secret,
            position=feed.last_position(conn),
            created_by=created_by,
        )
        .returning(*SERVED)
    ).one()
    return with_backlog(conn, row._asdict())


def subscriptions(conn: Connection, subscription_id: int | None = None) -> list[dict[str, Any]]:
    query = select(*SERVED).order_by(event_subscription.c.subscription_id)
    if subscription_id is not None:
        query = query.where(event_subscription.c.subscription_id == subscription_id)
    return [with_backlog(conn, row._asdict()) for row in conn.execute(query)]


def with_backlog(conn: Connection, subscription: dict[str, Any]) -> dict[str, Any]:
    """A subscription with the events of its types it has yet to take."""
    subscription["undelivered"] = feed.behind(
        conn, subscription["position"], subscription["types"]
    )["undelivered"]
    return subscription


def unsubscribe(conn: Connection, subscription_id: int) -> bool:
    deleted = conn.execute(
        event_subscription.delete().where(event_subscription.c.subscription_id == subscription_id)
    )
    return deleted.rowcount > 0


def resume(conn: Connection, subscription_id: int, position: int | None = None) -> bool:
    """Send again, now: from where it stopped, or from this position (a replay)."""
    values: dict[str, Any] = {
        "status": ACTIVE,
        "attempts": 0,
        "failing_since": None,
        "next_attempt_at": None,
    }
    if position is not None:
        values["position"] = position
    resumed = conn.execute(
        update(event_subscription)
        .where(event_subscription.c.subscription_id == subscription_id)
        .values(values)
    )
    return resumed.rowcount > 0


def due() -> list[int]:
    """The active subscriptions whose next attempt is due."""
    with db.transaction() as conn:
        return list(
            conn.execute(
                select(event_subscription.c.subscription_id).where(
                    event_subscription.c.status == ACTIVE,
                    (event_subscription.c.next_attempt_at.is_(None))
                    | (event_subscription.c.next_attempt_at <= func.now()),
                )
            ).scalars()
        )


@dataclass(frozen=True)
class Attempt:
    subscription_id: int
    url: str
    secret: str
    after: int
    page: feed.Page


def deliver(subscription_id: int, settings: Settings) -> bool:
    """One batch to one subscription; True if there may be more to send now."""
    attempt = _next_batch(subscription_id)
    if attempt is None:
        return False
    if not attempt.page.events:
        _delivered(attempt)
        return False
    body = json.dumps(attempt.page.events, separators=(",", ":")).encode()
    try:
        answer = _session().post(
            attempt.url,
            data=body,
            headers={
                "Content-Type": CONTENT_TYPE,
                SIGNATURE_HEADER: signature(attempt.secret, body),
                "X-C360-Subscription": str(subscription_id),
            },
            timeout=TIMEOUT_S,
            allow_redirects=False,
        )
        error = None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"
    except requests.RequestException as failure:
        error = f"{type(failure).__name__}: the receiver could not be reached"
    if error is None:
        _delivered(attempt)
        return len(attempt.page.events) == BATCH
    _failed(attempt, error, settings)
    return False


def _session() -> requests.Session:
    """This thread's session: a receiver's connection is kept open between deliveries."""
    if not hasattr(_sessions, "session"):
        _sessions.session = requests.Session()
    session: requests.Session = _sessions.session
    return session


def _next_batch(subscription_id: int) -> Attempt | None:
    with db.transaction() as conn:
        row = conn.execute(
            select(event_subscription).where(
                event_subscription.c.subscription_id == subscription_id,
                event_subscription.c.status == ACTIVE,
            )
        ).first()
        if row is None:
            return None
        page = feed.read(conn, row.position, BATCH, row.types)
        return Attempt(subscription_id, row.url, row.secret, row.position, page)


def _delivered(attempt: Attempt) -> None:
    """Taken: on from the page's cursor (unless a replay or resume moved it meanwhile)."""
    sub = event_subscription.c
    with db.transaction() as conn:
        conn.execute(
            update(event_subscription)
            .where(sub.subscription_id == attempt.subscription_id, sub.position == attempt.after)
            .values(
                position=attempt.page.cursor,
                attempts=0,
                failing_since=None,
                next_attempt_at=None,
                last_error=None,
                delivered_at=func.now() if attempt.page.events else sub.delivered_at,
            )
        )


def _failed(attempt: Attempt, error: str, settings: Settings) -> None:
    """Tried again after a wait that doubles; parked once failing for the retry window."""
    sub = event_subscription.c
    with db.transaction() as conn:
        row = conn.execute(
            update(event_subscription)
            .where(sub.subscription_id == attempt.subscription_id, sub.position == attempt.after)
            .values(
                attempts=sub.attempts + 1,
                failing_since=func.coalesce(sub.failing_since, func.now()),
                last_error=error,
            )
            .returning(sub.attempts, sub.failing_since, func.now().label("now"))
        ).first()
        if row is None:
            return
        wait = min(2.0 ** (row.attempts - 1), settings.webhook_longest_wait_seconds)
        failing_for = (row.now - row.failing_since).total_seconds()
        parked = failing_for >= settings.webhook_retry_seconds
        conn.execute(
            update(event_subscription)
            .where(sub.subscription_id == attempt.subscription_id)
            .values(
                status=PARKED if parked else ACTIVE,
                next_attempt_at=row.now + timedelta(seconds=wait),
            )
        )
    if parked:
        fields = {"subscription": attempt.subscription_id, "error": error}
        log.warning("webhook subscription parked", extra={"fields": fields})
