"""Three more sources of the group (core_v1, openbanking, global): money as each system holds it
(unconstrained numeric keeps the source's own scale: two decimals, or global's four), KYC status
per source record, openbanking payments and global AML alerts as risk inputs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 15:20:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

MONEY = [
    ("account_360", "balance"),
    ("account_360", "available_balance"),
    ("loan_360", "principal_amount"),
    ("loan_360", "outstanding_balance"),
    ("transaction_360", "amount"),
    ("fraud_case", "amount"),
]


def upgrade() -> None:
    for table, column in MONEY:
        op.alter_column(table, column, type_=sa.Numeric())
    op.add_column("source_customer", sa.Column("kyc_status", sa.String(length=32)))
    op.create_table(
        "payment",
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("source_payment_id", sa.String(length=64), nullable=False),
        sa.Column("global_customer_id", postgresql.UUID(as_uuid=True)),
        sa.Column("source_customer_id", sa.String(length=64)),
        sa.Column("source_account_id", sa.String(length=64)),
        sa.Column("payment_ref", sa.String(length=100)),
        sa.Column("amount", sa.Numeric(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("risk_score", sa.Float()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "ingested_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("source_system", "source_payment_id"),
    )
    op.create_index("ix_payment_global_customer_id", "payment", ["global_customer_id"])
    op.create_index("ix_payment_owner", "payment", ["source_system", "source_customer_id"])
    op.create_index(
        "ix_payment_open",
        "payment",
        ["source_system", "source_payment_id"],
        postgresql_where=sa.text("status NOT IN ('COMPLETED', 'FAILED')"),
    )
    op.create_table(
        "aml_alert",
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("source_alert_id", sa.String(length=64), nullable=False),
        sa.Column("global_customer_id", postgresql.UUID(as_uuid=True)),
        sa.Column("source_customer_id", sa.String(length=64)),
        sa.Column("source_transaction_id", sa.String(length=64)),
        sa.Column("alert_type", sa.String(length=50), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "ingested_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("source_system", "source_alert_id"),
    )
    op.create_index("ix_aml_alert_global_customer_id", "aml_alert", ["global_customer_id"])
    op.create_index("ix_aml_alert_owner", "aml_alert", ["source_system", "source_customer_id"])
    op.create_index(
        "ix_aml_alert_open",
        "aml_alert",
        ["source_system", "source_alert_id"],
        postgresql_where=sa.text("status <> 'RESOLVED'"),
    )


def downgrade() -> None:
    op.drop_table("aml_alert")
    op.drop_table("payment")
    op.drop_column("source_customer", "kyc_status")
    for table, column in MONEY:
        op.alter_column(table, column, type_=sa.Numeric(18, 2))
