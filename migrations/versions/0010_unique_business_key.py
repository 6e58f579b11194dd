"""A business key (core's CustomerNumber) names one person: a unique index backs the rule that
quarantines a second record claiming one. Should an earlier race have left two holders, the
earliest linked keeps it (what the rule decides) and the others lose it here

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 18:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE source_customer sc SET business_key = NULL
        FROM (
            SELECT source_system, source_customer_id,
                   row_number() OVER (PARTITION BY source_system, business_key
                                      ORDER BY linked_at, source_customer_id) AS holder
            FROM source_customer WHERE business_key IS NOT NULL
        ) ranked
        WHERE ranked.holder > 1
          AND sc.source_system = ranked.source_system
          AND sc.source_customer_id = ranked.source_customer_id
        """
    )
    op.drop_index("ix_source_customer_business_key", table_name="source_customer")
    op.create_index(
        "uq_source_customer_business_key",
        "source_customer",
        ["source_system", "business_key"],
        unique=True,
        postgresql_where=sa.text("business_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_source_customer_business_key", table_name="source_customer")
    op.create_index(
        "ix_source_customer_business_key",
        "source_customer",
        ["source_system", "business_key"],
        postgresql_where=sa.text("business_key IS NOT NULL"),
    )
