"""Backfills run in slices: where the next slice reads on from (stream and cursor), and when
one last made progress (the sweeper queues a slice again for a stalled one)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 21:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("backfill", sa.Column("stream", sa.String(length=32), nullable=True))
    op.add_column("backfill", sa.Column("marker", sa.Text(), nullable=True))
    op.add_column("backfill", sa.Column("source_key", sa.Text(), nullable=True))
    op.add_column(
        "backfill",
        sa.Column(
            "progressed_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("backfill", "progressed_at")
    op.drop_column("backfill", "source_key")
    op.drop_column("backfill", "marker")
    op.drop_column("backfill", "stream")
