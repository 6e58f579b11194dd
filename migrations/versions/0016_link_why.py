"""Why each automatic link was made: the rule, the record it was linked with, and how the two
names read against each other, kept with the link (`source_customer.why`) and with each
identity decision (`match_decision.why`).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 21:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("source_customer", sa.Column("why", JSONB))
    op.add_column("match_decision", sa.Column("why", JSONB))


def downgrade() -> None:
    op.drop_column("match_decision", "why")
    op.drop_column("source_customer", "why")
