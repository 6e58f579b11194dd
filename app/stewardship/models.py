"""Steward proposals: one steward proposes, a different one approves or rejects; only an
approval changes anything, and what it changed is kept with it."""

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
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from app.db import metadata

steward_proposal = Table(
    "steward_proposal",
    metadata,
    Column("proposal_id", BigInteger, Identity(), primary_key=True),
    # merge | unmerge_record | unmerge_merge | same_person | different_people
    Column("action", String(24), nullable=False),
    Column("subject", JSONB, nullable=False),  # the profiles, records or merge acted on
    Column("reason", Text, nullable=False),
    Column("proposed_by", String(80), nullable=False),  # a key name
    Column("proposed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("status", String(16), nullable=False, server_default="pending"),  # approved, rejected
    Column("decided_by", String(80)),
    Column("decided_at", DateTime(timezone=True)),
    Column("decision_note", Text),
    Column("effect", JSONB),  # what the approval changed: IDs merged, records moved
    # the profiles concerned (the access log, and finding a profile's proposals)
    Column("customer_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Index(
        "ix_steward_proposal_pending", "proposed_at", postgresql_where=text("status = 'pending'")
    ),
)
