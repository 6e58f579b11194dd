"""ingest_batch: its records' latencies as a histogram, for c360_processing_latency_seconds

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 13:50:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ingest_batch", sa.Column("latency_buckets", postgresql.ARRAY(sa.BigInteger())))
    op.add_column("ingest_batch", sa.Column("latency_sum_seconds", sa.Float()))
    op.add_column("ingest_batch", sa.Column("latency_count", sa.BigInteger()))


def downgrade() -> None:
    op.drop_column("ingest_batch", "latency_count")
    op.drop_column("ingest_batch", "latency_sum_seconds")
    op.drop_column("ingest_batch", "latency_buckets")
