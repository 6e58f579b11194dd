"""Codes from systems we do not own: which values each rule knows, and which it meets unknown.

A value no list of ours holds is data, not an error: it lands as written (a fraud status counts
as open, an alert severity as MEDIUM, a dfs transaction type keeps its text with direction
UNKNOWN), is counted per value for `/metrics` and `c360 status`, and is logged once per worker
process when first met.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from app.risk.scoring import ALERT_STATUSES, ALERT_WEIGHT, CASE_STATUSES
from connectors.dfs import ACCOUNT_STATUSES, LOAN_STATUSES
from connectors.records import ENTITY_OF, Record

log = logging.getLogger("c360.pipeline")

# ISO 4217 codes the group's systems transact in (Kenya, the region, and the major ones).
CURRENCIES = frozenset(
    "KES UGX TZS RWF BIF SSP ETB SOS CDF ZAR NGN GHS USD EUR GBP CHF JPY CNY INR AED SAR "
    "CAD AUD".split()
)


@dataclass(frozen=True)
class Vocabulary:
    name: str  # what an operator reads: "fraud case status"
    entity: str
    attribute: str  # of the record, and column of the table
    table: str
    known: frozenset[str]
    source_system: str | None = None  # only this source's values (its own code list)


VOCABULARIES = (
    Vocabulary("fraud case status", "fraud_case", "status", "fraud_case", CASE_STATUSES),
    Vocabulary("alert status", "alert", "status", "security_alert", ALERT_STATUSES),
    Vocabulary("alert severity", "alert", "severity", "security_alert", frozenset(ALERT_WEIGHT)),
    Vocabulary("account status", "account", "status", "account_360", ACCOUNT_STATUSES, "dfs"),
    Vocabulary("account currency", "account", "currency", "account_360", CURRENCIES),
    Vocabulary("fraud case currency", "fraud_case", "currency", "fraud_case", CURRENCIES),
    Vocabulary("loan status", "loan", "status", "loan_360", LOAN_STATUSES, "dfs"),
    Vocabulary(
        "credit decision",
        "credit_decision",
        "decision",
        "credit_decision",
        frozenset({"APPROVED", "REJECTED"}),
    ),
)
TRANSACTION_TYPE = "transaction type"  # unknown when its direction is: type = 'UNKNOWN'

_warned: set[tuple[str, str, str]] = set()


def unknown_values(conn: Connection) -> dict[str, dict[str, dict[str, int]]]:
    """{source: {vocabulary: {value: rows}}} of the values no rule knows, as stored now."""
    parts: list[str] = []
    params: dict[str, object] = {}
    for n, vocabulary in enumerate(VOCABULARIES):
        only = f" AND source_system = :source{n}" if vocabulary.source_system else ""
        parts.append(
            f"SELECT source_system, :name{n} AS vocabulary, {vocabulary.attribute} AS value, "
            f"count(*) FROM {vocabulary.table} WHERE {vocabulary.attribute} IS NOT NULL "
            f"AND {vocabulary.attribute} <> ALL(:known{n}){only} GROUP BY 1, 3"
        )
        params |= {
            f"name{n}": vocabulary.name,
            f"known{n}": sorted(vocabulary.known),
            f"source{n}": vocabulary.source_system,
        }
    parts.append(
        f"SELECT source_system, '{TRANSACTION_TYPE}', coalesce(source_type, ''), count(*) "
        "FROM transaction_360 WHERE type = 'UNKNOWN' GROUP BY 1, 3"
    )
    report: dict[str, dict[str, dict[str, int]]] = {}
    for source, name, value, count in conn.execute(text(" UNION ALL ".join(parts)), params):
        report.setdefault(source, {}).setdefault(name, {})[value] = count
    return report


def warn_unknown(records: Iterable[Record]) -> None:
    """Log each value no rule knows once per process, when it is first met."""
    for record in records:
        entity = ENTITY_OF[type(record)]
        for name, value in _unknown_in(record, entity):
            key = (record.source_system, name, value)
            if key not in _warned:
                _warned.add(key)
                log.warning(
                    "value no rule knows",
                    extra={"fields": {"source": key[0], "vocabulary": name, "value": value}},
                )


def _unknown_in(record: Any, entity: str) -> list[tuple[str, str]]:
    found = []
    for vocabulary in VOCABULARIES:
        if vocabulary.entity != entity:
            continue
        if vocabulary.source_system not in (None, record.source_system):
            continue
        value = getattr(record, vocabulary.attribute)
        if value is not None and value not in vocabulary.known:
            found.append((vocabulary.name, value))
    if entity == "transaction" and record.type == "UNKNOWN":
        found.append((TRANSACTION_TYPE, record.source_type or ""))
    return found
