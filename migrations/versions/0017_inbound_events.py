"""Events in: the ID of every inbound event staged (an event seen before changes nothing), and
quarantine entries for events that were never staged (no batch to name).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 01:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_event",
        sa.Column("source_system", sa.String(16), primary_key=True),
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("batch_id", sa.BigInteger, nullable=False),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_ingest_event_batch", "ingest_event", ["batch_id"])
    op.alter_column("quarantine", "batch_id", nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM quarantine WHERE batch_id IS NULL")
    op.alter_column("quarantine", "batch_id", nullable=False)
    op.drop_index("ix_ingest_event_batch", table_name="ingest_event")
    op.drop_table("ingest_event")
