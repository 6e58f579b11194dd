"""Every table of the Enterprise Brain, imported so `metadata` knows them all (Alembic, tests)."""

from app.access.models import access_log, api_key
from app.account.models import account_360, loan_360
from app.channel.models import channel_login, security_alert
from app.customer.models import customer_360, merge_history, source_customer
from app.db import metadata
from app.events.models import event_cursor, event_subscription
from app.identity.models import identity_rule, match_decision
from app.outbox.models import outbox_event, profile_version
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
    "event_cursor",
    "event_subscription",
    "fraud_case",
    "identity_rule",
    "ingest_batch",
    "ingest_record",
    "loan_360",
    "match_decision",
    "merge_history",
    "metadata",
    "outbox_event",
    "pipeline_totals",
    "profile_version",
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
