"""The outbox: every outbound event, and each customer's profile version."""

from sqlalchemy import BigInteger, Column, DateTime, Index, String, Table, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from app.db import metadata

# Written in the transaction of the change it reports. `position` (its place in the feed) is
# stamped after the commit, in commit order, by `app/events/feed.py`: an ID drawn inside a
# transaction would let a reader pass over one that commits later with a smaller ID.
outbox_event = Table(
    "outbox_event",
    metadata,
    Column("outbox_id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", UUID(as_uuid=True), nullable=False, server_default=func.gen_random_uuid()),
    Column("position", BigInteger, unique=True),
    Column("type", String(40), nullable=False),
    Column("global_customer_id", UUID(as_uuid=True), nullable=False),
    Column("profile_version", BigInteger, nullable=False),
    Column("data", JSONB, nullable=False),
    Column(
        "occurred_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.clock_timestamp(),
    ),
    Index("ix_outbox_event_unstamped", "outbox_id", postgresql_where=text("position IS NULL")),
    Index("ix_outbox_event_occurred", "occurred_at"),
)

# How many events each customer has had: the version every event about them carries, so a
# consumer orders one customer's events whatever way they reached it.
profile_version = Table(
    "profile_version",
    metadata,
    Column("global_customer_id", UUID(as_uuid=True), primary_key=True),
    Column("version", BigInteger, nullable=False),
)
