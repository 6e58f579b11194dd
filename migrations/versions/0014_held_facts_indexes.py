"""`/metrics` costs what is held, not the history: the facts held for an owner not arrived yet
are counted through indexes of only those rows

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 21:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# (table, whether a business's facts, which have no person as owner, are left out)
TABLES = (
    ("account_360", True),
    ("loan_360", True),
    ("transaction_360", True),
    ("channel_login", False),
    ("security_alert", False),
    ("fraud_case", False),
    ("credit_decision", False),
    ("payment", False),
    ("aml_alert", False),
)


def upgrade() -> None:
    for table, businesses in TABLES:
        where = "global_customer_id IS NULL" + (
            " AND source_business_id IS NULL" if businesses else ""
        )
        op.create_index(
            f"ix_{table}_held", table, ["source_system"], postgresql_where=sa.text(where)
        )


def downgrade() -> None:
    for table, _ in TABLES:
        op.drop_index(f"ix_{table}_held", table_name=table)
