"""what the real source applications write: stream health, widths the sources accept, read
times for changes without a trustworthy marker, source transaction types, business banking,
credit decisions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 12:36:54.035577
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_decision",
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("source_decision_id", sa.String(length=64), nullable=False),
        sa.Column("global_customer_id", sa.UUID(), nullable=True),
        sa.Column("source_customer_id", sa.String(length=64), nullable=True),
        sa.Column("credit_score", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "source_system", "source_decision_id", name=op.f("pk_credit_decision")
        ),
    )
    op.create_index(
        "ix_credit_decision_global_customer_id",
        "credit_decision",
        ["global_customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_credit_decision_owner",
        "credit_decision",
        ["source_system", "source_customer_id"],
        unique=False,
    )
    op.create_table(
        "stream_poll",
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("source_system", "stream", name=op.f("pk_stream_poll")),
    )
    op.add_column(
        "account_360", sa.Column("source_business_id", sa.String(length=64), nullable=True)
    )
    op.add_column("account_360", sa.Column("business_name", sa.Text(), nullable=True))
    op.create_index(
        "ix_account_360_business",
        "account_360",
        ["source_system", "source_business_id"],
        unique=False,
        postgresql_where=sa.text("source_business_id IS NOT NULL"),
    )
    op.alter_column(
        "channel_login",
        "device_id",
        existing_type=sa.VARCHAR(length=100),
        type_=sa.String(length=255),
        existing_nullable=True,
    )
    # rows read before this revision: their ingestion time is when they were read
    op.add_column(
        "fraud_case",
        sa.Column("observed_at", sa.DateTime(timezone=True), server_default=sa.text("now()")),
    )
    op.execute("UPDATE fraud_case SET observed_at = ingested_at")
    op.alter_column("fraud_case", "observed_at", nullable=False)
    op.add_column("loan_360", sa.Column("source_business_id", sa.String(length=64), nullable=True))
    op.add_column("loan_360", sa.Column("business_name", sa.Text(), nullable=True))
    op.add_column(
        "security_alert", sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True)
    )
    # rows read before this revision: their ingestion time is when they were read
    op.add_column(
        "security_alert",
        sa.Column("observed_at", sa.DateTime(timezone=True), server_default=sa.text("now()")),
    )
    op.execute("UPDATE security_alert SET observed_at = ingested_at")
    op.alter_column("security_alert", "observed_at", nullable=False)
    op.alter_column(
        "security_alert",
        "alert_type",
        existing_type=sa.VARCHAR(length=50),
        type_=sa.String(length=100),
        existing_nullable=False,
    )
    op.alter_column(
        "security_alert",
        "severity",
        existing_type=sa.VARCHAR(length=10),
        type_=sa.String(length=20),
        existing_nullable=False,
    )
    op.alter_column(
        "security_alert",
        "status",
        existing_type=sa.VARCHAR(length=20),
        type_=sa.String(length=50),
        existing_nullable=False,
    )
    op.alter_column(
        "security_alert",
        "device_id",
        existing_type=sa.VARCHAR(length=100),
        type_=sa.String(length=255),
        existing_nullable=True,
    )
    op.add_column(
        "source_customer", sa.Column("source_business_id", sa.String(length=64), nullable=True)
    )
    op.add_column("source_customer", sa.Column("business_name", sa.Text(), nullable=True))
    op.add_column("transaction_360", sa.Column("source_type", sa.String(length=50), nullable=True))
    op.add_column(
        "transaction_360", sa.Column("source_business_id", sa.String(length=64), nullable=True)
    )
    op.create_index(
        "ix_transaction_360_unknown_type",
        "transaction_360",
        ["source_system", "source_type"],
        unique=False,
        postgresql_where=sa.text("type = 'UNKNOWN'"),
    )

    op.create_index(
        "ix_security_alert_open",
        "security_alert",
        ["source_system", "source_alert_id"],
        postgresql_where=sa.text("status NOT IN ('CLOSED', 'FALSE_POSITIVE', 'RESOLVED')"),
    )
    op.create_index(
        "ix_fraud_case_open",
        "fraud_case",
        ["source_system", "source_case_id"],
        postgresql_where=sa.text("status NOT IN ('BLOCKED', 'CLOSED')"),
    )


def downgrade() -> None:
    op.drop_index("ix_fraud_case_open", table_name="fraud_case")
    op.drop_index("ix_security_alert_open", table_name="security_alert")
    op.drop_index(
        "ix_transaction_360_unknown_type",
        table_name="transaction_360",
        postgresql_where=sa.text("type = 'UNKNOWN'"),
    )
    op.drop_column("transaction_360", "source_business_id")
    op.drop_column("transaction_360", "source_type")
    op.drop_column("source_customer", "business_name")
    op.drop_column("source_customer", "source_business_id")
    op.alter_column(
        "security_alert",
        "device_id",
        existing_type=sa.String(length=255),
        type_=sa.VARCHAR(length=100),
        existing_nullable=True,
    )
    op.alter_column(
        "security_alert",
        "status",
        existing_type=sa.String(length=50),
        type_=sa.VARCHAR(length=20),
        existing_nullable=False,
    )
    op.alter_column(
        "security_alert",
        "severity",
        existing_type=sa.String(length=20),
        type_=sa.VARCHAR(length=10),
        existing_nullable=False,
    )
    op.alter_column(
        "security_alert",
        "alert_type",
        existing_type=sa.String(length=100),
        type_=sa.VARCHAR(length=50),
        existing_nullable=False,
    )
    op.drop_column("security_alert", "observed_at")
    op.drop_column("security_alert", "acknowledged_at")
    op.drop_column("loan_360", "business_name")
    op.drop_column("loan_360", "source_business_id")
    op.drop_column("fraud_case", "observed_at")
    op.alter_column(
        "channel_login",
        "device_id",
        existing_type=sa.String(length=255),
        type_=sa.VARCHAR(length=100),
        existing_nullable=True,
    )
    op.drop_index(
        "ix_account_360_business",
        table_name="account_360",
        postgresql_where=sa.text("source_business_id IS NOT NULL"),
    )
    op.drop_column("account_360", "business_name")
    op.drop_column("account_360", "source_business_id")
    op.drop_table("stream_poll")
    op.drop_index("ix_credit_decision_owner", table_name="credit_decision")
    op.drop_index("ix_credit_decision_global_customer_id", table_name="credit_decision")
    op.drop_table("credit_decision")
