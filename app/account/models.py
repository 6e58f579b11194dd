"""Account_360 and loans, keyed by their source's own key so re-reads upsert in place."""

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from app.db import held_facts_index, metadata

account_360 = Table(
    "account_360",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("source_account_id", String(64), primary_key=True),
    Column("account_number", String(50)),
    # NULL until the owner's person record has been matched (filled in then)
    Column("global_customer_id", UUID(as_uuid=True)),
    Column("source_customer_id", String(64)),
    Column("account_type", String(50)),
    Column("currency", String(3), nullable=False),
    # money keeps the scale its source holds it in (two decimals, or four in global wallets)
    Column("balance", Numeric(), nullable=False),
    Column("available_balance", Numeric()),
    Column("status", String(20), nullable=False),
    Column("is_closed", Boolean, nullable=False, server_default="false"),
    Column("closed_at", DateTime(timezone=True)),
    Column("opened_at", DateTime(timezone=True)),
    Column("source_updated_at", DateTime(timezone=True)),
    # a business's account (dfs business wallet): held by the business, shown to its directors
    Column("source_business_id", String(64)),
    Column("business_name", Text),
    Column("ingested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_account_360_global_customer_id", "global_customer_id"),
    Index(
        "ix_account_360_business",
        "source_system",
        "source_business_id",
        postgresql_where=text("source_business_id IS NOT NULL"),
    ),
    Index("ix_account_360_account_number", "account_number"),
    # facts are re-pointed by owner when a merge or split moves their source record
    Index("ix_account_360_owner", "source_system", "source_customer_id"),
    held_facts_index("account_360", businesses=True),
)

loan_360 = Table(
    "loan_360",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("source_loan_id", String(64), primary_key=True),
    Column("loan_number", String(50)),
    Column("global_customer_id", UUID(as_uuid=True)),
    Column("source_customer_id", String(64)),
    Column("source_account_id", String(64)),
    Column("principal_amount", Numeric(), nullable=False),
    Column("outstanding_balance", Numeric()),
    Column("interest_rate", Numeric(7, 2)),
    Column("term_months", Integer),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),
    Column("disbursed_at", DateTime(timezone=True)),
    Column("maturity_date", DateTime(timezone=True)),
    Column("source_created_at", DateTime(timezone=True)),
    Column("source_updated_at", DateTime(timezone=True)),
    # a business loan: booked on the director's record, taken for the business
    Column("source_business_id", String(64)),
    Column("business_name", Text),
    Column("ingested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_loan_360_global_customer_id", "global_customer_id"),
    Index("ix_loan_360_owner", "source_system", "source_customer_id"),
    held_facts_index("loan_360", businesses=True),
)
