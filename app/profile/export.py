"""A person's data on request (Kenya's Data Protection Act, s. 26): everything the Enterprise
Brain holds about one customer, every row of every table linked to its IDs (the IDs merged into
it included), as one JSON document."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Table, select

from app.account.models import account_360, loan_360
from app.channel.duress import ordinary_alert, ordinary_login
from app.channel.models import channel_login, security_alert
from app.customer.models import customer_360
from app.customer.service import list_source_records, resolve_customer
from app.identity.service import identity_history
from app.profile.service import list_devices
from app.risk.models import aml_alert, credit_decision, fraud_case, payment
from app.risk.service import get_risk_profile
from app.transaction.models import transaction_360

# section name -> table whose rows carry global_customer_id, and their order
FACTS: dict[str, tuple[Table, str]] = {
    "accounts": (account_360, "source_account_id"),
    "loans": (loan_360, "source_loan_id"),
    "transactions": (transaction_360, "occurred_at"),
    "logins": (channel_login, "login_at"),
    "security_alerts": (security_alert, "raised_at"),
    "fraud_cases": (fraud_case, "opened_at"),
    "credit_decisions": (credit_decision, "decided_at"),
    "payments": (payment, "created_at"),
    "aml_alerts": (aml_alert, "raised_at"),
}


def _jsonable(value: Any) -> Any:
    """Times in ISO 8601 with their offset, money as decimal text (its scale kept), IDs as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def _rows(conn: Connection, table: Table, order: str, ids: Sequence[UUID]) -> list[dict]:
    query = (
        select(table)
        .where(table.c.global_customer_id.in_(ids))
        .order_by(*(table.c[name] for name in (order, *table.primary_key.columns.keys())))
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def export_customer(
    conn: Connection, global_id: UUID, *, reveal_duress: bool = False
) -> dict[str, Any]:
    """Everything held about `global_id`. Duress stays hidden unless `reveal_duress`: a shadow
    login reads as a standard one, a duress alert as a generic security alert."""
    ids = resolve_customer(conn, global_id)
    golden = (
        conn.execute(select(customer_360).where(customer_360.c.global_customer_id == global_id))
        .mappings()
        .one()
    )
    facts = {name: _rows(conn, table, order, ids) for name, (table, order) in FACTS.items()}
    if not reveal_duress:
        facts["logins"] = [ordinary_login(login) for login in facts["logins"]]
        facts["security_alerts"] = [ordinary_alert(alert) for alert in facts["security_alerts"]]
    history = identity_history(conn, ids)
    return _jsonable(
        {
            "global_customer_id": global_id,
            "merged_ids": ids[1:],
            "golden_record": dict(golden),
            "source_records": list_source_records(conn, ids),
            **facts,
            "devices": list_devices(conn, ids),
            "risk_profile": get_risk_profile(conn, global_id, reveal_duress=reveal_duress),
            "identity_decisions": history["decisions"],
            "merges": history["merges"],
        }
    )
