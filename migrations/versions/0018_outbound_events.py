"""Events out: the outbox every change writes its events to, each customer's profile version,
the webhook subscriptions and the delivery cursors.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 03:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_event",
        sa.Column("outbox_id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "event_id", UUID(as_uuid=True), nullable=False, server_default=sa.func.gen_random_uuid()
        ),
        sa.Column("position", sa.BigInteger, unique=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("global_customer_id", UUID(as_uuid=True), nullable=False),
        sa.Column("profile_version", sa.BigInteger, nullable=False),
        sa.Column("data", JSONB, nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.clock_timestamp(),
        ),
    )
    op.create_index(
        "ix_outbox_event_unstamped",
        "outbox_event",
        ["outbox_id"],
        postgresql_where=sa.text("position IS NULL"),
    )
    op.create_index("ix_outbox_event_occurred", "outbox_event", ["occurred_at"])
    op.create_table(
        "profile_version",
        sa.Column("global_customer_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "event_subscription",
        sa.Column("subscription_id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("types", ARRAY(sa.Text), nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failing_since", sa.DateTime(timezone=True)),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("created_by", sa.String(80)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "event_cursor",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_table("event_cursor")
    op.drop_table("event_subscription")
    op.drop_table("profile_version")
    op.drop_index("ix_outbox_event_occurred", table_name="outbox_event")
    op.drop_index("ix_outbox_event_unstamped", table_name="outbox_event")
    op.drop_table("outbox_event")
