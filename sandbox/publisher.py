"""Option B in the demo: core publishes what it changed. Each event goes to RabbitMQ's
`c360.inbound` (routing key `core.<type>`) once the change has committed, its `data` the row as
core's table holds it. A real source team would write the event in the change's transaction
and relay it (docs/events.md, "Publishing from a source: the transactional outbox"); the demo
publishes after the commit, with publisher confirms."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from kombu import Connection, Producer

from app.intake.consumer import EXCHANGE, declare


class SourcePublisher:
    def __init__(self, amqp_url: str, source: str = "core") -> None:
        self.source = source
        self.connection = Connection(amqp_url, transport_options={"confirm_publish": True})
        declare(self.connection)
        self.producer = Producer(self.connection.default_channel, exchange=EXCHANGE)

    def publish(self, event_type: str, subject: str, row: dict[str, Any]) -> dict[str, Any]:
        """One event, confirmed by the broker; returns it."""
        event = {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": self.source,
            "type": event_type,
            "time": datetime.now(UTC).isoformat(),
            "subject": subject,
            "data": row,
        }
        self.producer.publish(
            json.dumps(event, default=str).encode(),
            routing_key=f"{self.source}.{event_type}",
            content_type="application/cloudevents+json",
            delivery_mode=2,
        )
        return event

    def close(self) -> None:
        self.connection.release()
