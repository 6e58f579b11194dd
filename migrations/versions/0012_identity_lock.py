"""Identity locks per identifier instead of one global lock: `identity_lock` anchors the row
locks (unlogged: they only live while a transaction holds them)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 20:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_lock",
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_identity_lock"),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("identity_lock")
