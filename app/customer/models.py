"""Customer_360 (one row per Global Customer ID), its source-record links and merge history."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
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

GOLDEN_FIELDS = ("full_name", "national_id", "phone", "email", "date_of_birth", "gender")

customer_360 = Table(
    "customer_360",
    metadata,
    Column("global_customer_id", UUID(as_uuid=True), primary_key=True),
    # 'active', or 'merged' once folded into merged_into (the ID then answers 308)
    Column("status", String(16), nullable=False, server_default="active"),
    Column("merged_into", UUID(as_uuid=True), ForeignKey("customer_360.global_customer_id")),
    Column("full_name", Text),
    Column("full_name_source", String(16)),
    Column("national_id", String(32)),
    Column("national_id_source", String(16)),
    Column("phone", String(20)),
    Column("phone_source", String(16)),
    Column("email", String(254)),
    Column("email_source", String(16)),
    Column("date_of_birth", Date),
    Column("date_of_birth_source", String(16)),
    Column("gender", String(8)),  # 'male' | 'female'
    Column("gender_source", String(16)),
    Column("created_date", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index(
        "ix_customer_360_merged_into",
        "merged_into",
        postgresql_where=text("merged_into IS NOT NULL"),
    ),
)

# One row per person record in a source system: the link source record -> Global Customer ID.
# Identifiers are stored normalized (for matching and look-ups) beside the raw value as read.
# The one source whose records carry a business key other systems name a person by: core's
# "CustomerNumber", which fraud cases give as their customer (`source_customer.business_key`).
BUSINESS_KEY_SOURCE = "core"
# A fact held by a business key reaches its person through this (one holder: a unique index).
BUSINESS_KEY_OWNER = (
    f"sc.source_system = '{BUSINESS_KEY_SOURCE}' AND sc.business_key = {{row}}.customer_number"
)

source_customer = Table(
    "source_customer",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("source_customer_id", String(64), primary_key=True),
    Column(
        "global_customer_id",
        UUID(as_uuid=True),
        ForeignKey("customer_360.global_customer_id"),
        nullable=False,
    ),
    Column("business_key", String(64)),  # core "CustomerNumber": what fraud cases refer to
    Column("national_id", String(32)),
    Column("national_id_raw", Text),
    Column("id_document_type", String(16)),  # national_id | passport
    Column("phone", String(20)),
    Column("phone_raw", Text),
    Column("secondary_phone", String(20)),
    Column("secondary_phone_raw", Text),
    Column("email", String(254)),
    Column("email_raw", Text),
    Column("full_name", Text),
    Column("date_of_birth", Date),
    Column("gender", String(8)),  # 'male' | 'female' | NULL (absent or not a known value)
    Column("gender_raw", Text),
    # the business this person is a director (signatory) of, in their source (dfs)
    Column("source_business_id", String(64)),
    Column("business_name", Text),
    Column("is_active", Boolean, nullable=False, server_default="true"),
    # KYC as the source states it, lower case (verified, pending, rejected, or the source's own)
    Column("kyc_status", String(32)),
    Column("source_created_at", DateTime(timezone=True)),
    Column("source_updated_at", DateTime(timezone=True)),
    Column("match_rule", String(32), nullable=False),  # how the link was made
    # why: the rule, the record linked with, how the names read (`clustering.why_linked`)
    Column("why", JSONB(none_as_null=True)),  # no why: SQL NULL, not JSON null
    Column("linked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_source_customer_global_customer_id", "global_customer_id"),
    Index(
        "ix_source_customer_national_id",
        "national_id",
        postgresql_where=text("national_id IS NOT NULL"),
    ),
    Index("ix_source_customer_phone", "phone", postgresql_where=text("phone IS NOT NULL")),
    Index(
        "ix_source_customer_secondary_phone",
        "secondary_phone",
        postgresql_where=text("secondary_phone IS NOT NULL"),
    ),
    Index("ix_source_customer_email", "email", postgresql_where=text("email IS NOT NULL")),
    # one holder per business key: backs the rule that quarantines a second claimant
    Index(
        "uq_source_customer_business_key",
        "source_system",
        "business_key",
        unique=True,
        postgresql_where=text("business_key IS NOT NULL"),
    ),
)

merge_history = Table(
    "merge_history",
    metadata,
    Column("merge_id", BigInteger, Identity(), primary_key=True),
    Column("survivor_id", UUID(as_uuid=True), nullable=False),
    Column("merged_id", UUID(as_uuid=True), nullable=False),
    # merge, or unmerge: survivor_id is the profile split from, merged_id the one split out
    Column("kind", String(8), nullable=False, server_default="merge"),
    Column("identifier", String(32), nullable=False),
    Column("rule", Text, nullable=False),
    # the record whose identifier caused it
    Column("source_system", String(16)),
    Column("source_customer_id", String(64)),
    Column("merged_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # a steward's action: who approved it, and the proposal
    Column("actor", String(80)),
    Column("proposal_id", BigInteger),
    # the records the merged-away ID held when it merged ([[system, id], ...]): an unmerge's
    # what to split back out
    Column("records", JSONB),
    Index("ix_merge_history_survivor_id", "survivor_id"),
    Index("ix_merge_history_merged_id", "merged_id"),
)
