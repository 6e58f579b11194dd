"""gender on source records and the golden record; evidence on suspected duplicates

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 12:45:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("source_customer", sa.Column("gender", sa.String(length=8)))
    op.add_column("source_customer", sa.Column("gender_raw", sa.Text()))
    op.add_column("customer_360", sa.Column("gender", sa.String(length=8)))
    op.add_column("customer_360", sa.Column("gender_source", sa.String(length=16)))
    op.add_column(
        "suspected_duplicate",
        sa.Column(
            "evidence",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("suspected_duplicate", "evidence")
    op.drop_column("customer_360", "gender_source")
    op.drop_column("customer_360", "gender")
    op.drop_column("source_customer", "gender_raw")
    op.drop_column("source_customer", "gender")
