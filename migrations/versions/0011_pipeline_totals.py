"""Bounded bookkeeping: old done batches fold into per-source totals (records, latency sum,
count and buckets) and leave `ingest_batch`

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 18:45:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipeline_totals",
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("batches", sa.BigInteger(), nullable=False),
        sa.Column("records_processed", sa.BigInteger(), nullable=False),
        sa.Column("latency_sum_seconds", sa.Float(), nullable=False),
        sa.Column("latency_count", sa.BigInteger(), nullable=False),
        sa.Column("latency_buckets", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("source_system", name="pk_pipeline_totals"),
    )


def downgrade() -> None:
    op.drop_table("pipeline_totals")
