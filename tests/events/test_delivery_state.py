"""Replays and where delivery stands, against the real database (one transaction, rolled
back): a replay moves every destination back to a time, never forward, and resumes parked
subscriptions; the state /health, /metrics and `c360 status` report."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from sqlalchemy import text

from app.customer import profiles
from app.events import feed, publisher, webhooks
from app.events.service import delivery_state, replay
from app.ops.service import events_health


def make_events(conn, count: int) -> None:
    for _ in range(count):
        profiles.new_profile(conn)
    feed.stamp(conn)


def test_a_replay_moves_every_destination_back_to_a_time_and_resumes_the_parked(conn):
    make_events(conn, 3)
    middle = conn.execute(text("SELECT clock_timestamp()")).scalar()
    make_events(conn, 2)
    publisher.start_cursor(conn)
    conn.execute(text("UPDATE event_cursor SET position = :p"), {"p": feed.last_position(conn)})
    hook = webhooks.subscribe(
        conn, "http://127.0.0.1:9/hook", ["CustomerProfileCreated"], "s" * 16, "ops"
    )
    conn.execute(text("UPDATE event_subscription SET status = 'parked', attempts = 40"))
    state = delivery_state(conn, amqp=True)
    assert state["parked_subscriptions"] == 1
    assert events_health(state)["status"] == "parked"
    assert state["destinations"]["amqp"]["undelivered"] == 0

    done = replay(conn, middle)

    assert done["from_position"] == 3
    assert set(done["destinations"]) == {"amqp", f"webhook {hook['subscription_id']}"}
    assert publisher.cursor(conn) == 3
    (again,) = webhooks.subscriptions(conn)
    assert (again["status"], again["position"], again["attempts"]) == ("active", 3, 0)
    assert again["undelivered"] == 2
    state = delivery_state(conn, amqp=True)
    assert state["destinations"]["amqp"]["undelivered"] == 2
    assert state["undelivered"] == 4
    # never forward: a replay from later leaves them where they are
    replay(conn, conn.execute(text("SELECT clock_timestamp()")).scalar())
    assert publisher.cursor(conn) == 3


def test_a_new_subscription_starts_at_the_end_of_the_feed(conn):
    make_events(conn, 2)
    hook = webhooks.subscribe(conn, "https://x.example/h", ["RiskLevelChanged"], "s" * 16, None)
    assert hook["position"] == feed.last_position(conn)
    assert hook["undelivered"] == 0
    assert "secret" not in hook


def test_the_signature_is_the_hex_hmac_sha256_of_the_body_under_the_secret():
    secret, body = uuid.uuid4().hex, b'[{"id":"1"}]'
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert webhooks.signature(secret, body) == f"sha256={expected}"
    assert webhooks.signature(secret + "x", body) != f"sha256={expected}"
