"""Every table of the Enterprise Brain, imported so `metadata` knows them all (Alembic, tests)."""

from app.access.models import access_log, api_key
from app.account.models import account_360, loan_360
from app.channel.models import channel_login, security_alert
from app.customer.models import customer_360, merge_history, source_customer
from app.db import metadata
from app.identity.models import identity_rule, match_decision
from app.pipeline.models import (
    backfill,
    ingest_batch,
    ingest_record,
    pipeline_totals,
    quarantine,
    source_checkpoint,
    source_chunk_digest,
    source_row_version,
)
from app.risk.models import fraud_case, risk_profile
from app.stewardship.models import steward_proposal
from app.transaction.models import transaction_360

__all__ = [
    "access_log",
    "api_key",
    "account_360",
    "backfill",
    "channel_login",
    "customer_360",
    "fraud_case",
    "identity_rule",
    "ingest_batch",
    "ingest_record",
    "loan_360",
    "match_decision",
    "merge_history",
    "metadata",
    "pipeline_totals",
    "quarantine",
    "risk_profile",
    "security_alert",
    "source_checkpoint",
    "source_chunk_digest",
    "source_customer",
    "source_row_version",
    "steward_proposal",
    "transaction_360",
]
