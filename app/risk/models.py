"""Risk inputs (fraud cases, credit decisions, payments with their risk scores, AML alerts) and
the Risk_Profile computed from them."""

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from app.db import held_facts_index, metadata

fraud_case = Table(
    "fraud_case",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("source_case_id", String(64), primary_key=True),
    Column("global_customer_id", UUID(as_uuid=True)),
    Column("customer_number", String(50), nullable=False),  # core "CustomerNumber"
    Column("transaction_reference", String(100)),  # core "Transactions"."Reference"
    Column("amount", Numeric()),
    Column("currency", String(3)),
    Column("merchant_name", String(200)),
    Column("transaction_type", String(50)),
    Column("risk_score", Float, nullable=False),
    Column("risk_level", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("flagged_reason", Text),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("source_updated_at", DateTime(timezone=True), nullable=False),
    # when the row was read: updated_at runs on an unknown clock, so the latest read wins
    Column("observed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("ingested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_fraud_case_global_customer_id", "global_customer_id"),
    Index("ix_fraud_case_customer_number", "customer_number"),
    # the cases a watch re-reads every poll (app/pipeline/watch.py): the open ones
    Index(
        "ix_fraud_case_open",
        "source_system",
        "source_case_id",
        postgresql_where=text("status NOT IN ('BLOCKED', 'CLOSED')"),
    ),
    held_facts_index("fraud_case"),
)

# dfs credit decisions: the score and decision taken at each loan application (risk_scores).
credit_decision = Table(
    "credit_decision",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("source_decision_id", String(64), primary_key=True),
    Column("global_customer_id", UUID(as_uuid=True)),
    Column("source_customer_id", String(64)),
    Column("credit_score", Integer),
    Column("decision", String(20)),
    Column("decided_at", DateTime(timezone=True)),
    Column("ingested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_credit_decision_global_customer_id", "global_customer_id"),
    Index("ix_credit_decision_owner", "source_system", "source_customer_id"),
    held_facts_index("credit_decision"),
)

# openbanking payments: each carries the payment engine's risk score (0..1).
payment = Table(
    "payment",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("source_payment_id", String(64), primary_key=True),
    Column("global_customer_id", UUID(as_uuid=True)),
    Column("source_customer_id", String(64)),
    Column("source_account_id", String(64)),
    Column("payment_ref", String(100)),
    Column("amount", Numeric(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),  # upper case: PROCESSING, COMPLETED, ...
    Column("risk_score", Float),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True)),
    # completion moves no marker at the source: the latest read wins
    Column("observed_at", DateTime(timezone=True), nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_payment_global_customer_id", "global_customer_id"),
    Index("ix_payment_owner", "source_system", "source_customer_id"),
    Index(
        "ix_payment_open",
        "source_system",
        "source_payment_id",
        postgresql_where=text("status NOT IN ('COMPLETED', 'FAILED')"),
    ),
    held_facts_index("payment"),
)

# global AML alerts: raised on a wallet transaction, resolved in place with no timestamp.
aml_alert = Table(
    "aml_alert",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("source_alert_id", String(64), primary_key=True),
    Column("global_customer_id", UUID(as_uuid=True)),
    Column("source_customer_id", String(64)),
    Column("source_transaction_id", String(64)),
    Column("alert_type", String(50), nullable=False),
    Column("severity", String(20), nullable=False),  # upper case: LOW, MEDIUM, HIGH
    Column("status", String(20), nullable=False),  # upper case: PENDING, RESOLVED
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("observed_at", DateTime(timezone=True), nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_aml_alert_global_customer_id", "global_customer_id"),
    Index("ix_aml_alert_owner", "source_system", "source_customer_id"),
    Index(
        "ix_aml_alert_open",
        "source_system",
        "source_alert_id",
        postgresql_where=text("status <> 'RESOLVED'"),
    ),
    held_facts_index("aml_alert"),
)

risk_profile = Table(
    "risk_profile",
    metadata,
    Column("global_customer_id", UUID(as_uuid=True), primary_key=True),
    Column("fraud_score", Numeric(4, 3), nullable=False),
    Column("risk_level", String(10), nullable=False),
    Column("reasons", JSONB, nullable=False),
    Column("result_hash", String(64), nullable=False),
    Column("last_updated", DateTime(timezone=True), nullable=False),
)
