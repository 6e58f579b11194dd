"""Webhook subscriptions and the relay's cursors over the feed."""

from sqlalchemy import BigInteger, Column, DateTime, Identity, Integer, String, Table, Text, func
from sqlalchemy.dialects.postgresql import ARRAY

from app.db import metadata

ACTIVE = "active"
PARKED = "parked"  # failed past the retry window: nothing is sent until it is resumed

# A receiver of the types it asked for, in feed order: `position` is the last event it took.
event_subscription = Table(
    "event_subscription",
    metadata,
    Column("subscription_id", BigInteger, Identity(), primary_key=True),
    Column("url", Text, nullable=False),
    Column("types", ARRAY(Text), nullable=False),
    Column("secret", Text, nullable=False),  # signs each delivery; never served back
    Column("status", String(16), nullable=False, server_default=ACTIVE),
    Column("position", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("failing_since", DateTime(timezone=True)),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("delivered_at", DateTime(timezone=True)),
    Column("created_by", String(80)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The last position a destination has durably taken (the RabbitMQ exchange: "amqp")
event_cursor = Table(
    "event_cursor",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
