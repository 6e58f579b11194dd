"""Data stewardship: proposals approved by a second steward (four eyes), the identity rules
stewards decide (two records the same person, or different people), and merge history that
names who merged or unmerged, why, and which records a merge brought

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 18:10:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "steward_proposal",
        sa.Column("proposal_id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("subject", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=80), nullable=False),
        sa.Column(
            "proposed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("decided_by", sa.String(length=80)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision_note", sa.Text()),
        sa.Column("effect", postgresql.JSONB(astext_type=sa.Text())),
        sa.Column("customer_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)), nullable=False),
        sa.PrimaryKeyConstraint("proposal_id", name="pk_steward_proposal"),
    )
    op.create_index(
        "ix_steward_proposal_pending",
        "steward_proposal",
        ["proposed_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "identity_rule",
        sa.Column("system_a", sa.String(length=16), nullable=False),
        sa.Column("customer_a", sa.String(length=64), nullable=False),
        sa.Column("system_b", sa.String(length=16), nullable=False),
        sa.Column("customer_b", sa.String(length=64), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "decided_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "system_a", "customer_a", "system_b", "customer_b", name="pk_identity_rule"
        ),
    )
    op.create_index("ix_identity_rule_b", "identity_rule", ["system_b", "customer_b"])
    op.add_column(
        "merge_history",
        sa.Column("kind", sa.String(length=8), server_default="merge", nullable=False),
    )
    op.create_table(
        "review_item",
        sa.Column("item_id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("system_a", sa.String(length=16), nullable=False),
        sa.Column("customer_a", sa.String(length=64), nullable=False),
        sa.Column("system_b", sa.String(length=16), nullable=False),
        sa.Column("customer_b", sa.String(length=64), nullable=False),
        sa.Column("identifier", sa.String(length=32)),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column(
            "detected_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "last_seen_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("proposal_id", sa.BigInteger()),
        sa.PrimaryKeyConstraint("item_id", name="pk_review_item"),
        sa.UniqueConstraint(
            "kind",
            "system_a",
            "customer_a",
            "system_b",
            "customer_b",
            name="uq_review_item_kind_system_a_customer_a_system_b_customer_b",
        ),
    )
    op.create_index(
        "ix_review_item_open",
        "review_item",
        ["detected_at"],
        postgresql_where=sa.text("status = 'open'"),
    )
    op.add_column("merge_history", sa.Column("actor", sa.String(length=80)))
    op.add_column("merge_history", sa.Column("proposal_id", sa.BigInteger()))
    op.add_column("merge_history", sa.Column("records", postgresql.JSONB(astext_type=sa.Text())))
    op.alter_column("merge_history", "rule", type_=sa.Text())


def downgrade() -> None:
    op.execute("DELETE FROM merge_history WHERE kind <> 'merge'")
    op.alter_column("merge_history", "rule", type_=sa.String(length=64))
    for column in ("records", "proposal_id", "actor", "kind"):
        op.drop_column("merge_history", column)
    op.drop_table("review_item")
    op.drop_table("identity_rule")
    op.drop_table("steward_proposal")
