"""Events out, through the real worker, `c360 relay`, RabbitMQ and a real HTTP receiver: every
event reaches the exchange and a webhook at least once and in order per customer, though the
relay is killed with -9 and the receiver fails for a while; one that never answers is parked,
and shown so; the pull feed gives the same events from a cursor."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from kombu import Connection, Queue
from sqlalchemy import create_engine, text

from app import create_app, db, processes
from app.access.keys import create_key
from app.config import Settings
from app.events.publisher import EXCHANGE
from tests.conftest import environment, free_port
from tests.pipeline.conftest import AMQP_URL

pytestmark = pytest.mark.integration

SECRET = "a-receiver-secret-of-ours"
PEOPLE = 40


class Receiver:
    """A webhook receiver on a free port: answers 503 to its first `failures` deliveries, then
    keeps each batch whose signature is right."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.events: list[dict] = []
        self.refused = 0
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                if self.headers.get("X-C360-Signature") != expected:
                    receiver.bad_signatures += 1
                    status = 401
                elif receiver.refused < receiver.failures:
                    receiver.refused += 1
                    status = 503
                else:
                    receiver.events.extend(json.loads(body))
                    status = 204
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def broker(amqp):
    queue = Queue(f"test.c360.events.{uuid.uuid4().hex[:8]}", EXCHANGE, routing_key="#")
    queue.bind(amqp.default_channel).declare()
    yield amqp, queue
    queue.bind(amqp.default_channel).delete()


def received_from(connection: Connection, queue: Queue) -> list[dict]:
    bound = queue.bind(connection.default_channel)
    bodies = []
    while (message := bound.get(no_ack=True)) is not None:
        bodies.append(json.loads(message.body))
    return bodies


def first_of_each(events: list[dict]) -> list[dict]:
    """At least once: a consumer keeps the first of each event ID."""
    seen: set[str] = set()
    kept = []
    for event in events:
        if event["id"] not in seen:
            seen.add(event["id"])
            kept.append(event)
    return kept


def assert_in_order_per_customer(events: list[dict]) -> None:
    versions: dict[str, list[int]] = {}
    for event in events:
        versions.setdefault(event["subject"], []).append(event["profileversion"])
    for subject, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), (subject, seen)


def add_people(source_url: str, first: int, count: int) -> None:
    core = create_engine(source_url)
    now = datetime.now(UTC)
    with core.begin() as conn:
        for n in range(first, first + count):
            conn.execute(
                text(
                    'INSERT INTO "Customers" ("Id", "CustomerNumber", "FirstName", "LastName",'
                    ' "IdentificationNumber", "PrimaryPhone", "CreatedAt", "UpdatedAt")'
                    " VALUES (:id, :number, 'Akinyi', :last, :national_id, :phone, :t, :t)"
                ),
                {
                    "id": str(uuid.uuid4()),
                    "number": f"CUST-{n:05d}",
                    "last": f"Otieno{chr(65 + n % 26)}{n}",
                    "national_id": f"{30000000 + n}",
                    "phone": f"+2547{20000000 + n}",
                    "t": now,
                },
            )
    core.dispose()


def test_the_relay_delivers_everything_in_order_through_a_kill_and_a_failing_receiver(
    pipeline, broker, tmp_path
):
    connection, queue = broker
    flaky, dead = Receiver(failures=2), Receiver(failures=10**6)
    with db.transaction() as conn:
        admin = create_key(conn, f"events-admin-{uuid.uuid4().hex[:6]}", ["admin", "read"])
    api = create_app(Settings.from_env()).test_client()
    auth = {"Authorization": f"Bearer {admin}"}
    every_type = [
        "CustomerProfileCreated",
        "CustomerProfileUpdated",
        "CustomersMerged",
        "CustomerUnmerged",
        "RiskLevelChanged",
        "LinkedRecordAdded",
    ]
    for receiver in (flaky, dead):
        made = api.post(
            "/subscriptions",
            json={"url": receiver.url, "types": every_type, "secret": SECRET},
            headers=auth,
        )
        assert made.status_code == 201, made.get_json()
    relay_env = {
        "C360_AMQP_URL": AMQP_URL,
        "C360_WEBHOOK_RETRY_SECONDS": "6",
        "C360_WEBHOOK_LONGEST_WAIT_SECONDS": "2",
    }
    with environment(**relay_env):
        relay = processes.start(processes.relay_command(), tmp_path / "relay.log")
    try:
        add_people(pipeline.source_urls["core"], 0, PEOPLE // 2)
        pipeline.wait_until(
            lambda: pipeline.scalar("SELECT count(*) FROM event_cursor WHERE position > 0"),
            timeout=60,
            what="the relay publishing",
        )
        os.kill(relay.pid, signal.SIGKILL)
        relay.wait(timeout=10)
        add_people(pipeline.source_urls["core"], PEOPLE // 2, PEOPLE // 2)
        with environment(**relay_env):
            relay = processes.start(processes.relay_command(), tmp_path / "relay2.log")
        written = "SELECT count(*) FROM outbox_event"
        pipeline.wait_until(
            lambda: (
                pipeline.scalar("SELECT count(*) FROM source_customer") == PEOPLE
                and pipeline.idle()
            ),
            timeout=90,
            what="every person in the Enterprise Brain",
        )
        total = pipeline.scalar(written)
        pipeline.wait_until(
            lambda: (
                len(first_of_each(flaky.events)) == total
                and pipeline.scalar("SELECT position FROM event_cursor WHERE name = 'amqp'")
                == pipeline.scalar("SELECT max(position) FROM outbox_event")
                and pipeline.scalar(
                    "SELECT status FROM event_subscription WHERE url = :u", u=dead.url
                )
                == "parked"
            ),
            timeout=60,
            what="every event delivered, and the dead receiver parked",
        )
    finally:
        processes.stop(relay)

    with pipeline.engine.connect() as conn:
        ids = {str(i) for i in conn.execute(text("SELECT event_id FROM outbox_event")).scalars()}
    published = first_of_each(received_from(connection, queue))
    assert {e["id"] for e in published} == ids
    assert_in_order_per_customer(published)
    assert flaky.refused == 2 and flaky.bad_signatures == 0
    assert {e["id"] for e in flaky.events} == ids
    assert_in_order_per_customer(first_of_each(flaky.events))
    assert [e["position"] for e in flaky.events] == sorted(e["position"] for e in flaky.events)
    assert dead.events == []

    # the parked receiver is visible to operators, and resumes on demand
    listed = {s["url"]: s for s in api.get("/subscriptions", headers=auth).get_json()}
    assert listed[dead.url]["status"] == "parked"
    assert listed[dead.url]["undelivered"] == total
    assert listed[dead.url]["last_error"] == "HTTP 503"
    assert listed[flaky.url]["undelivered"] == 0
    health = api.get("/health").get_json()
    assert health["events"]["status"] == "parked"
    assert health["events"]["parked_subscriptions"] == 1
    metrics = api.get("/metrics").get_data(as_text=True)
    assert "c360_webhook_subscriptions_parked 1.0" in metrics

    # the pull feed: the same events, page by page from a cursor
    pulled, cursor = [], 0
    while page := api.get(f"/events?after={cursor}&limit=25", headers=auth).get_json():
        pulled += page["events"]
        if page["cursor"] == cursor:
            break
        cursor = page["cursor"]
    assert [e["id"] for e in pulled] == [e["id"] for e in first_of_each(flaky.events)]
