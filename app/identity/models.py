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
    UniqueConstraint,
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
    # the rule, the record linked with, how the names read (`clustering.why_linked`)
    Column("why", JSONB(none_as_null=True)),  # no why: SQL NULL, not JSON null
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

# One row per identifier a resolution has locked (`locks.IdentityLocks`), keyed by its digest:
# rows only anchor row locks, so the table is unlogged (nothing to recover after a crash) and
# the retention purge empties it of rows nobody holds.
identity_lock = Table(
    "identity_lock",
    metadata,
    Column("key", BigInteger, primary_key=True),
    prefixes=["UNLOGGED"],
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


# What stewards decided about two records (approved proposals): `same` is a link no rule can
# cut, `different` a pair no rule can join, whatever arrives later. One row per pair, (a < b).
identity_rule = Table(
    "identity_rule",
    metadata,
    Column("system_a", String(16), primary_key=True),
    Column("customer_a", String(64), primary_key=True),
    Column("system_b", String(16), primary_key=True),
    Column("customer_b", String(64), primary_key=True),
    Column("relation", String(16), nullable=False),  # same | different
    Column("proposal_id", BigInteger, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_identity_rule_b", "system_b", "customer_b"),
)


# What the rules held back for a person to decide (`clustering.HeldApart`): two records (each
# the first of its side) and both sides' evidence; the stewards' review queue.
review_item = Table(
    "review_item",
    metadata,
    Column("item_id", BigInteger, Identity(), primary_key=True),
    # national_id_typo | shared_line | contradiction | on_the_line | reversed_names | risk_gate
    Column("kind", String(24), nullable=False),
    Column("system_a", String(16), nullable=False),
    Column("customer_a", String(64), nullable=False),
    Column("system_b", String(16), nullable=False),
    Column("customer_b", String(64), nullable=False),
    Column("identifier", String(32)),
    Column("reason", Text, nullable=False),
    Column("evidence", JSONB, nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),  # open | resolved
    Column("detected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_seen_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("resolved_at", DateTime(timezone=True)),
    Column("proposal_id", BigInteger),  # the approved proposal that settled it
    UniqueConstraint("kind", "system_a", "customer_a", "system_b", "customer_b"),
    Index("ix_review_item_open", "detected_at", postgresql_where=text("status = 'open'")),
)
