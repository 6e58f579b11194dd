"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 00:55:03.825955
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_360",
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("source_account_id", sa.String(length=64), nullable=False),
        sa.Column("account_number", sa.String(length=50), nullable=True),
        sa.Column("global_customer_id", sa.UUID(), nullable=True),
        sa.Column("source_customer_id", sa.String(length=64), nullable=True),
        sa.Column("account_type", sa.String(length=50), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("available_balance", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("is_closed", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("source_system", "source_account_id", name=op.f("pk_account_360")),
    )
    op.create_index(
        "ix_account_360_account_number", "account_360", ["account_number"], unique=False
    )
    op.create_index(
        "ix_account_360_global_customer_id", "account_360", ["global_customer_id"], unique=False
    )
    op.create_index(
        "ix_account_360_owner", "account_360", ["source_system", "source_customer_id"], unique=False
    )
    op.create_table(
        "backfill",
        sa.Column("backfill_id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "requested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("extracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("backfill_id", name=op.f("pk_backfill")),
    )
    op.create_table(
        "channel_login",
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("source_session_id", sa.String(length=64), nullable=False),
        sa.Column("global_customer_id", sa.UUID(), nullable=True),
        sa.Column("source_customer_id", sa.String(length=64), nullable=True),
        sa.Column("login_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity", sa.DateTime(timezone=True), nullable=True),
        sa.Column("device_id", sa.String(length=100), nullable=True),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("session_mode", sa.String(length=20), nullable=True),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "source_system", "source_session_id", name=op.f("pk_channel_login")
        ),
    )
    op.create_index(
        "ix_channel_login_customer_time",
        "channel_login",
        ["global_customer_id", sa.literal_column("login_at DESC")],
        unique=False,
    )
    op.create_index(
        "ix_channel_login_owner",
        "channel_login",
        ["source_system", "source_customer_id"],
        unique=False,
    )
    op.create_table(
        "customer_360",
        sa.Column("global_customer_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("merged_into", sa.UUID(), nullable=True),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("full_name_source", sa.String(length=16), nullable=True),
        sa.Column("national_id", sa.String(length=32), nullable=True),
        sa.Column("national_id_source", sa.String(length=16), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("phone_source", sa.String(length=16), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("email_source", sa.String(length=16), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("date_of_birth_source", sa.String(length=16), nullable=True),
        sa.Column("created_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["merged_into"],
            ["customer_360.global_customer_id"],
            name=op.f("fk_customer_360_merged_into_customer_360"),
        ),
        sa.PrimaryKeyConstraint("global_customer_id", name=op.f("pk_customer_360")),
    )
    op.create_index(
        "ix_customer_360_merged_into",
        "customer_360",
        ["merged_into"],
        unique=False,
        postgresql_where=sa.text("merged_into IS NOT NULL"),
    )
    op.create_table(
        "fraud_case",
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("source_case_id", sa.String(length=64), nullable=False),
        sa.Column("global_customer_id", sa.UUID(), nullable=True),
        sa.Column("customer_number", sa.String(length=50), nullable=False),
        sa.Column("transaction_reference", sa.String(length=100), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("merchant_name", sa.String(length=200), nullable=True),
        sa.Column("transaction_type", sa.String(length=50), nullable=True),
        sa.Column("risk_score", sa.Float(), nullable=False),
        sa.Column("risk_level", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("flagged_reason", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("source_system", "source_case_id", name=op.f("pk_fraud_case")),
    )
    op.create_index(
        "ix_fraud_case_customer_number", "fraud_case", ["customer_number"], unique=False
    )
    op.create_index(
        "ix_fraud_case_global_customer_id", "fraud_case", ["global_customer_id"], unique=False
    )
    op.create_table(
        "ingest_batch",
        sa.Column("batch_id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("backfill_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="staged", nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("quarantined_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "progressed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("affected_customers", postgresql.ARRAY(sa.UUID()), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("measure_latency", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("latency_ms_p50", sa.BigInteger(), nullable=True),
        sa.Column("latency_ms_max", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_ingest_batch")),
    )
    op.create_index(
        "ix_ingest_batch_backfill",
        "ingest_batch",
        ["backfill_id"],
        unique=False,
        postgresql_where=sa.text("backfill_id IS NOT NULL"),
    )
    op.create_index(
        "ix_ingest_batch_finished", "ingest_batch", ["source_system", "finished_at"], unique=False
    )
    op.create_index(
        "ix_ingest_batch_unfinished",
        "ingest_batch",
        ["progressed_at"],
        unique=False,
        postgresql_where=sa.text("status NOT IN ('done', 'failed')"),
    )
    op.create_table(
        "ingest_record",
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("source_key", sa.Text(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raw", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "seq", name=op.f("pk_ingest_record")),
    )
    op.create_table(
        "loan_360",
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("source_loan_id", sa.String(length=64), nullable=False),
        sa.Column("loan_number", sa.String(length=50), nullable=True),
        sa.Column("global_customer_id", sa.UUID(), nullable=True),
        sa.Column("source_customer_id", sa.String(length=64), nullable=True),
        sa.Column("source_account_id", sa.String(length=64), nullable=True),
        sa.Column("principal_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("outstanding_balance", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("interest_rate", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("disbursed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("maturity_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("source_system", "source_loan_id", name=op.f("pk_loan_360")),
    )
    op.create_index(
        "ix_loan_360_global_customer_id", "loan_360", ["global_customer_id"], unique=False
    )
    op.create_index(
        "ix_loan_360_owner", "loan_360", ["source_system", "source_customer_id"], unique=False
    )
    op.create_table(
        "match_decision",
        sa.Column("decision_id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("source_customer_id", sa.String(length=64), nullable=False),
        sa.Column("global_customer_id", sa.UUID(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("identifier", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "decided_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_match_decision")),
    )
    op.create_index(
        "ix_match_decision_global_customer_id",
        "match_decision",
        ["global_customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_match_decision_source",
        "match_decision",
        ["source_system", "source_customer_id"],
        unique=False,
    )
    op.create_table(
        "merge_history",
        sa.Column("merge_id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("survivor_id", sa.UUID(), nullable=False),
        sa.Column("merged_id", sa.UUID(), nullable=False),
        sa.Column("identifier", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("source_system", sa.String(length=16), nullable=True),
        sa.Column("source_customer_id", sa.String(length=64), nullable=True),
        sa.Column(
            "merged_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("merge_id", name=op.f("pk_merge_history")),
    )
    op.create_index("ix_merge_history_merged_id", "merge_history", ["merged_id"], unique=False)
    op.create_index("ix_merge_history_survivor_id", "merge_history", ["survivor_id"], unique=False)
    op.create_table(
        "national_id_variant",
        sa.Column("variant", sa.String(length=32), nullable=False),
        sa.Column("national_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("variant", "national_id", name=op.f("pk_national_id_variant")),
    )
    op.create_table(
        "quarantine",
        sa.Column("quarantine_id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("source_key", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=8), server_default="record", nullable=False),
        sa.Column("raw", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("quarantine_id", name=op.f("pk_quarantine")),
    )
    op.create_index(
        "uq_quarantine_open",
        "quarantine",
        ["source_system", "entity", "source_key", "level"],
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_table(
        "risk_profile",
        sa.Column("global_customer_id", sa.UUID(), nullable=False),
        sa.Column("fraud_score", sa.Numeric(precision=4, scale=3), nullable=False),
        sa.Column("risk_level", sa.String(length=10), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("inputs_hash", sa.String(length=64), nullable=False),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("global_customer_id", name=op.f("pk_risk_profile")),
    )
    op.create_table(
        "security_alert",
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("source_alert_id", sa.String(length=64), nullable=False),
        sa.Column("global_customer_id", sa.UUID(), nullable=True),
        sa.Column("source_customer_id", sa.String(length=64), nullable=True),
        sa.Column("alert_type", sa.String(length=50), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("source_system", "source_alert_id", name=op.f("pk_security_alert")),
    )
    op.create_index(
        "ix_security_alert_global_customer_id",
        "security_alert",
        ["global_customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_security_alert_owner",
        "security_alert",
        ["source_system", "source_customer_id"],
        unique=False,
    )
    op.create_table(
        "source_checkpoint",
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("marker", sa.Text(), nullable=False),
        sa.Column("source_key", sa.Text(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("source_system", "stream", name=op.f("pk_source_checkpoint")),
    )
    op.create_table(
        "source_row_version",
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("source_key", sa.Text(), nullable=False),
        sa.Column("marker", sa.Text(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "source_system", "stream", "source_key", name=op.f("pk_source_row_version")
        ),
    )
    op.create_table(
        "suspected_duplicate",
        sa.Column("national_id_a", sa.String(length=32), nullable=False),
        sa.Column("national_id_b", sa.String(length=32), nullable=False),
        sa.Column("global_customer_id_a", sa.UUID(), nullable=True),
        sa.Column("global_customer_id_b", sa.UUID(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column(
            "detected_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "national_id_a", "national_id_b", name=op.f("pk_suspected_duplicate")
        ),
    )
    op.create_index(
        "ix_suspected_duplicate_a", "suspected_duplicate", ["global_customer_id_a"], unique=False
    )
    op.create_index(
        "ix_suspected_duplicate_b", "suspected_duplicate", ["global_customer_id_b"], unique=False
    )
    op.create_table(
        "transaction_360",
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("source_transaction_id", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("global_customer_id", sa.UUID(), nullable=True),
        sa.Column("source_account_id", sa.String(length=64), nullable=True),
        sa.Column("source_customer_id", sa.String(length=64), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "source_system", "source_transaction_id", name=op.f("pk_transaction_360")
        ),
    )
    op.create_index(
        "ix_transaction_360_account",
        "transaction_360",
        ["source_system", "source_account_id"],
        unique=False,
    )
    op.create_index(
        "ix_transaction_360_customer_time",
        "transaction_360",
        [
            "global_customer_id",
            sa.literal_column("occurred_at DESC"),
            sa.literal_column("source_transaction_id DESC"),
        ],
        unique=False,
    )
    op.create_index(
        "ix_transaction_360_owner",
        "transaction_360",
        ["source_system", "source_customer_id"],
        unique=False,
    )
    op.create_index("ix_transaction_360_reference", "transaction_360", ["reference"], unique=False)
    op.create_table(
        "source_chunk_digest",
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("scan", sa.String(length=32), nullable=False),
        sa.Column("chunk", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.Text(), nullable=False),
        sa.Column(
            "scanned_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "source_system", "scan", "chunk", name=op.f("pk_source_chunk_digest")
        ),
    )
    op.create_table(
        "source_customer",
        sa.Column("source_system", sa.String(length=16), nullable=False),
        sa.Column("source_customer_id", sa.String(length=64), nullable=False),
        sa.Column("global_customer_id", sa.UUID(), nullable=False),
        sa.Column("business_key", sa.String(length=64), nullable=True),
        sa.Column("national_id", sa.String(length=32), nullable=True),
        sa.Column("national_id_raw", sa.Text(), nullable=True),
        sa.Column("id_document_type", sa.String(length=16), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("phone_raw", sa.Text(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("email_raw", sa.Text(), nullable=True),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("source_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("match_rule", sa.String(length=32), nullable=False),
        sa.Column(
            "linked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["global_customer_id"],
            ["customer_360.global_customer_id"],
            name=op.f("fk_source_customer_global_customer_id_customer_360"),
        ),
        sa.PrimaryKeyConstraint(
            "source_system", "source_customer_id", name=op.f("pk_source_customer")
        ),
    )
    op.create_index(
        "ix_source_customer_business_key",
        "source_customer",
        ["source_system", "business_key"],
        unique=False,
        postgresql_where=sa.text("business_key IS NOT NULL"),
    )
    op.create_index(
        "ix_source_customer_email",
        "source_customer",
        ["email"],
        unique=False,
        postgresql_where=sa.text("email IS NOT NULL"),
    )
    op.create_index(
        "ix_source_customer_global_customer_id",
        "source_customer",
        ["global_customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_source_customer_national_id",
        "source_customer",
        ["national_id"],
        unique=False,
        postgresql_where=sa.text("national_id IS NOT NULL"),
    )
    op.create_index(
        "ix_source_customer_phone",
        "source_customer",
        ["phone"],
        unique=False,
        postgresql_where=sa.text("phone IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("source_chunk_digest")
    op.drop_index(
        "ix_source_customer_phone",
        table_name="source_customer",
        postgresql_where=sa.text("phone IS NOT NULL"),
    )
    op.drop_index(
        "ix_source_customer_national_id",
        table_name="source_customer",
        postgresql_where=sa.text("national_id IS NOT NULL"),
    )
    op.drop_index("ix_source_customer_global_customer_id", table_name="source_customer")
    op.drop_index(
        "ix_source_customer_email",
        table_name="source_customer",
        postgresql_where=sa.text("email IS NOT NULL"),
    )
    op.drop_index(
        "ix_source_customer_business_key",
        table_name="source_customer",
        postgresql_where=sa.text("business_key IS NOT NULL"),
    )
    op.drop_table("source_customer")
    op.drop_index("ix_transaction_360_reference", table_name="transaction_360")
    op.drop_index("ix_transaction_360_owner", table_name="transaction_360")
    op.drop_index("ix_transaction_360_customer_time", table_name="transaction_360")
    op.drop_index("ix_transaction_360_account", table_name="transaction_360")
    op.drop_table("transaction_360")
    op.drop_index("ix_suspected_duplicate_b", table_name="suspected_duplicate")
    op.drop_index("ix_suspected_duplicate_a", table_name="suspected_duplicate")
    op.drop_table("suspected_duplicate")
    op.drop_table("source_row_version")
    op.drop_table("source_checkpoint")
    op.drop_index("ix_security_alert_owner", table_name="security_alert")
    op.drop_index("ix_security_alert_global_customer_id", table_name="security_alert")
    op.drop_table("security_alert")
    op.drop_table("risk_profile")
    op.drop_index(
        "uq_quarantine_open",
        table_name="quarantine",
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.drop_table("quarantine")
    op.drop_table("national_id_variant")
    op.drop_index("ix_merge_history_survivor_id", table_name="merge_history")
    op.drop_index("ix_merge_history_merged_id", table_name="merge_history")
    op.drop_table("merge_history")
    op.drop_index("ix_match_decision_source", table_name="match_decision")
    op.drop_index("ix_match_decision_global_customer_id", table_name="match_decision")
    op.drop_table("match_decision")
    op.drop_index("ix_loan_360_owner", table_name="loan_360")
    op.drop_index("ix_loan_360_global_customer_id", table_name="loan_360")
    op.drop_table("loan_360")
    op.drop_table("ingest_record")
    op.drop_index(
        "ix_ingest_batch_unfinished",
        table_name="ingest_batch",
        postgresql_where=sa.text("status NOT IN ('done', 'failed')"),
    )
    op.drop_index("ix_ingest_batch_finished", table_name="ingest_batch")
    op.drop_index(
        "ix_ingest_batch_backfill",
        table_name="ingest_batch",
        postgresql_where=sa.text("backfill_id IS NOT NULL"),
    )
    op.drop_table("ingest_batch")
    op.drop_index("ix_fraud_case_global_customer_id", table_name="fraud_case")
    op.drop_index("ix_fraud_case_customer_number", table_name="fraud_case")
    op.drop_table("fraud_case")
    op.drop_index(
        "ix_customer_360_merged_into",
        table_name="customer_360",
        postgresql_where=sa.text("merged_into IS NOT NULL"),
    )
    op.drop_table("customer_360")
    op.drop_index("ix_channel_login_owner", table_name="channel_login")
    op.drop_index("ix_channel_login_customer_time", table_name="channel_login")
    op.drop_table("channel_login")
    op.drop_table("backfill")
    op.drop_index("ix_account_360_owner", table_name="account_360")
    op.drop_index("ix_account_360_global_customer_id", table_name="account_360")
    op.drop_index("ix_account_360_account_number", table_name="account_360")
    op.drop_table("account_360")
