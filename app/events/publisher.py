"""Events out over AMQP: the durable topic exchange `c360.events`, routing key = type, each
event a persistent message in CloudEvents' structured mode, confirmed by the broker before the
relay's cursor moves past it (kombu, with publisher confirms)."""

from __future__ import annotations

import json
from typing import Any

from kombu import Connection, Exchange, Producer
from sqlalchemy import Connection as Database
from sqlalchemy import text

from app.events import feed

EXCHANGE = Exchange("c360.events", type="topic", durable=True)
CURSOR = "amqp"
BATCH = 1000  # events published between two cursor writes
CONTENT_TYPE = "application/cloudevents+json"


class Publisher:
    """One connection to the broker, opened on first use and again after a failure."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.connection: Connection | None = None
        self.producer: Producer | None = None

    def publish(self, events: list[dict[str, Any]]) -> None:
        """Each event published and confirmed, in order (raises if the broker is gone)."""
        producer = self._producer()
        for event in events:
            producer.publish(
                json.dumps(event, separators=(",", ":")),
                routing_key=event["type"],
                content_type=CONTENT_TYPE,
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=event["id"],
                retry=False,
            )

    def _producer(self) -> Producer:
        if self.producer is None:
            self.connection = Connection(
                self.url, heartbeat=0, transport_options={"confirm_publish": True}
            )
            self.connection.ensure_connection(max_retries=1)
            self.producer = Producer(self.connection.channel(), exchange=EXCHANGE)
            EXCHANGE.bind(self.producer.channel).declare()
        return self.producer

    def close(self) -> None:
        if self.connection is not None:
            self.connection.release()
        self.connection, self.producer = None, None


def cursor(conn: Database) -> int:
    """The last position the exchange has taken (none yet: every event kept is still to go)."""
    found = conn.execute(
        text("SELECT position FROM event_cursor WHERE name = :name"), {"name": CURSOR}
    ).scalar()
    return found if found is not None else 0


def start_cursor(conn: Database) -> None:
    """The exchange's cursor, at the start of what is kept if it has none."""
    conn.execute(
        text("INSERT INTO event_cursor (name, position) VALUES (:name, 0) ON CONFLICT DO NOTHING"),
        {"name": CURSOR},
    )


def rewind_cursor(conn: Database, position: int) -> bool:
    """Back to this position (never forward), for a replay; False if the exchange has no
    cursor yet (nothing was ever published)."""
    moved = conn.execute(
        text(
            "UPDATE event_cursor SET position = least(position, :position), updated_at = now()"
            " WHERE name = :name"
        ),
        {"name": CURSOR, "position": position},
    )
    return moved.rowcount > 0


def publish_next(publisher: Publisher, conn_factory: Any) -> bool:
    """One batch from the cursor to the exchange; True if there may be more."""
    with conn_factory() as conn:
        after = cursor(conn)
        page = feed.read(conn, after, BATCH)
    if page.events:
        publisher.publish(page.events)
    if page.cursor != after:
        with conn_factory() as conn:
            # a replay that moved the cursor meanwhile wins
            conn.execute(
                text(
                    "UPDATE event_cursor SET position = :to, updated_at = now()"
                    " WHERE name = :name AND position = :from"
                ),
                {"name": CURSOR, "to": page.cursor, "from": after},
            )
    return len(page.events) == BATCH
