"""API keys (scoped, stored as SHA-256 digests) and the append-only access log."""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from app.db import metadata

api_key = Table(
    "api_key",
    metadata,
    Column("key_id", BigInteger, Identity(), primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    # the key itself is never stored: it is 256 random bits, so its SHA-256 is enough
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("scopes", ARRAY(String(16)), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True)),
)

# Append-only for the application (a trigger refuses UPDATE, DELETE and TRUNCATE outside the
# retention purge): who read whose data, through which endpoint, when and from where.
access_log = Table(
    "access_log",
    metadata,
    Column("access_id", BigInteger, Identity(), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=text("clock_timestamp()")),
    Column("key_name", String(80), nullable=False),
    Column("method", String(8), nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("status", SmallInteger, nullable=False),
    Column("customer_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    Column("remote_addr", String(64)),
    Index("ix_access_log_customer_ids", "customer_ids", postgresql_using="gin"),
    Index("ix_access_log_at", "at"),
)
