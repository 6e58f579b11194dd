"""Identity decisions: why a source record was linked where it was, or kept apart."""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

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


# Every national ID with its one-deletion variants: IDs one edit apart share a variant, so a
# typo's neighbours are found by an index look-up instead of comparing every pair.
national_id_variant = Table(
    "national_id_variant",
    metadata,
    Column("variant", String(32), primary_key=True),
    Column("national_id", String(32), primary_key=True),
)

# National IDs one edit apart that the typo rule did not confirm: for a person to review, with the
# evidence (each side's records, and the outcome of each check of the rule).
suspected_duplicate = Table(
    "suspected_duplicate",
    metadata,
    Column("national_id_a", String(32), primary_key=True),
    Column("national_id_b", String(32), primary_key=True),
    Column("global_customer_id_a", UUID(as_uuid=True)),
    Column("global_customer_id_b", UUID(as_uuid=True)),
    Column("reason", Text, nullable=False),
    Column("evidence", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("detected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_suspected_duplicate_a", "global_customer_id_a"),
    Index("ix_suspected_duplicate_b", "global_customer_id_b"),
)
