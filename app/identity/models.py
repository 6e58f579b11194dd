"""Identity decisions: why a source record was linked where it was, or kept apart."""

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, String, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from app.db import metadata

match_decision = Table(
    "match_decision",
    metadata,
    Column("decision_id", BigInteger, Identity(), primary_key=True),
    Column("source_system", String(16), nullable=False),
    Column("source_customer_id", String(64), nullable=False),
    Column("global_customer_id", UUID(as_uuid=True)),
    # new | matched | not_matched | merged
    Column("decision", String(16), nullable=False),
    Column("identifier", String(32)),
    Column("reason", Text, nullable=False),
    Column("batch_id", BigInteger),
    Column("decided_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_match_decision_source", "source_system", "source_customer_id"),
    Index("ix_match_decision_global_customer_id", "global_customer_id"),
)
