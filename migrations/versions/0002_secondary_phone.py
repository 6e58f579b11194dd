"""source_customer.secondary_phone: a second number on file matches like the first

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 02:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("source_customer", sa.Column("secondary_phone", sa.String(length=20)))
    op.add_column("source_customer", sa.Column("secondary_phone_raw", sa.Text()))
    op.create_index(
        "ix_source_customer_secondary_phone",
        "source_customer",
        ["secondary_phone"],
        postgresql_where=sa.text("secondary_phone IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_source_customer_secondary_phone", table_name="source_customer")
    op.drop_column("source_customer", "secondary_phone_raw")
    op.drop_column("source_customer", "secondary_phone")
