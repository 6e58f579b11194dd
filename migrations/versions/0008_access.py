"""Access a bank's auditor can sign: scoped API keys (stored hashed), an append-only access log,
and the retention of raw rows (staged batches, resolved quarantine entries)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 17:45:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The application may only add to the access log. Rows leave it through the retention purge
# alone, which says so for its own transaction (SET LOCAL c360.access_log_purge = 'on'); the
# tests' clean-up truncates the same way. (Grants make it binding for a deployment: docs/access.md.)
APPEND_ONLY = """
CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE')
       AND current_setting('c360.access_log_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the access log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER access_log_no_update BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only();
"""


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("key_id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.String(length=16)), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("key_id", name="pk_api_key"),
        sa.UniqueConstraint("name", name="uq_api_key_name"),
        sa.UniqueConstraint("key_hash", name="uq_api_key_key_hash"),
    )
    op.create_table(
        "access_log",
        sa.Column("access_id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column(
            "at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("key_name", sa.String(length=80), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column(
            "customer_ids",
            postgresql.ARRAY(postgresql.UUID(as_uuid=True)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("remote_addr", sa.String(length=64)),
        sa.PrimaryKeyConstraint("access_id", name="pk_access_log"),
    )
    op.create_index(
        "ix_access_log_customer_ids", "access_log", ["customer_ids"], postgresql_using="gin"
    )
    op.create_index("ix_access_log_at", "access_log", ["at"])
    op.execute(APPEND_ONLY)
    op.add_column("ingest_batch", sa.Column("raw_purged_at", sa.DateTime(timezone=True)))
    op.add_column("quarantine", sa.Column("raw_purged_at", sa.DateTime(timezone=True)))
    op.alter_column("quarantine", "raw", nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM quarantine WHERE raw IS NULL")
    op.alter_column("quarantine", "raw", nullable=False)
    op.drop_column("quarantine", "raw_purged_at")
    op.drop_column("ingest_batch", "raw_purged_at")
    op.drop_table("access_log")
    op.execute("DROP FUNCTION access_log_append_only()")
    op.drop_table("api_key")
