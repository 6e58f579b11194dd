"""risk_profile.inputs_hash -> result_hash: it is, and always was, the digest of the result
(score, level, reasons), which decides whether a recomputed profile is written

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 15:40:00.000000
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("risk_profile", "inputs_hash", new_column_name="result_hash")


def downgrade() -> None:
    op.alter_column("risk_profile", "result_hash", new_column_name="inputs_hash")
