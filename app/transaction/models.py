"""Transaction_360: insert-only facts keyed by (source_system, source_transaction_id), partitioned
by year of `occurred_at` (`app/pipeline/partitions.py`), which is therefore part of the key:
every source writes a transaction's time once, when it is made."""

from sqlalchemy import Column, DateTime, Index, Numeric, String, Table, Text, func, text
from sqlalchemy.dialects.postgresql import UUID

from app.db import held_facts_index, metadata

transaction_360 = Table(
    "transaction_360",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("source_transaction_id", String(64), primary_key=True),
    Column("reference", String(100)),
    Column("global_customer_id", UUID(as_uuid=True)),
    Column("source_account_id", String(64)),
    Column("source_customer_id", String(64)),
    # the scale its source holds it in (two decimals, or four in global wallets)
    Column("amount", Numeric(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("type", String(20), nullable=False),  # CREDIT | DEBIT | NONE (moves no money) | UNKNOWN
    Column("source_type", String(50)),  # the source's own type, as written (dfs txn_type)
    Column("source_business_id", String(64)),  # on a business's account (a dfs business wallet)
    Column("channel", String(20), nullable=False),
    Column("status", String(20)),
    Column("description", Text),
    Column("occurred_at", DateTime(timezone=True), primary_key=True),
    Column("ingested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # newest-first pages per customer with a stable tie-break
    Index(
        "ix_transaction_360_customer_time",
        "global_customer_id",
        text("occurred_at DESC"),
        text("source_transaction_id DESC"),
    ),
    Index("ix_transaction_360_reference", "reference"),
    # types no rule knows yet, counted per value for operators (small: a partial index)
    Index(
        "ix_transaction_360_unknown_type",
        "source_system",
        "source_type",
        postgresql_where=text("type = 'UNKNOWN'"),
    ),
    Index("ix_transaction_360_account", "source_system", "source_account_id"),
    # facts are re-pointed by owner when a merge or split moves their source record
    Index("ix_transaction_360_owner", "source_system", "source_customer_id"),
    held_facts_index("transaction_360", businesses=True),
    postgresql_partition_by="RANGE (occurred_at)",
)
