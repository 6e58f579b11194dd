"""Set-based upserts of facts (accounts, transactions, loans, logins, alerts, fraud cases).

Each batch of one entity becomes one `INSERT ... SELECT FROM jsonb_to_recordset(...) ON CONFLICT`
keyed by the source's own key, so re-running a batch changes nothing and an older version of a
row never overwrites a newer one. The owner's Global Customer ID is looked up in the same
statement; a fact whose owner is not linked yet keeps NULL until `repoint_owners` finds the link.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Table, text
from sqlalchemy.dialects import postgresql

from app.account.models import account_360, loan_360
from app.channel.models import channel_login, security_alert
from app.customer.models import BUSINESS_KEY_OWNER, BUSINESS_KEY_SOURCE
from app.db import array_columns, array_literal
from app.identity import locks
from app.risk.models import aml_alert, credit_decision, fraud_case, payment
from app.transaction.models import transaction_360
from connectors.records import FraudCaseRecord, Record

_DIALECT = postgresql.dialect()
# Facts that reach a person through core's business key (fraud cases name a CustomerNumber).
_BY_BUSINESS_KEY = (
    f"(SELECT sc.global_customer_id FROM source_customer sc WHERE {BUSINESS_KEY_OWNER})"
)
_BY_SOURCE_KEY = (
    "(SELECT sc.global_customer_id FROM source_customer sc"
    " WHERE sc.source_system = {row}.source_system"
    " AND sc.source_customer_id = {row}.source_customer_id)"
)


@dataclass(frozen=True)
class FactSpec:
    entity: str
    table: Table
    to_row: Callable[[Any], dict[str, Any]]
    version_column: str | None  # newer-wins column; None: the row never changes at the source
    by_business_key: bool = False  # owner found by core CustomerNumber, not a source key

    def owner_key(self, record: Record) -> str | None:
        """The identifier (`locks`) of the person a fact belongs to, if it names one."""
        if self.by_business_key and isinstance(record, FraudCaseRecord):
            return locks.business_key(BUSINESS_KEY_SOURCE, record.customer_number)
        customer = getattr(record, "source_customer_id", None)
        if customer is None:
            return None
        return locks.customer_key(record.source_system, customer)


def _fields(record: Record, **renamed: str) -> dict[str, Any]:
    # shallow: records hold plain values, and asdict's deep copy was a tenth of the upsert step
    row = {field.name: getattr(record, field.name) for field in dataclasses.fields(record)}
    for old, new in renamed.items():
        row[new] = row.pop(old)
    return row


FACTS: dict[str, FactSpec] = {
    "account": FactSpec(
        "account",
        account_360,
        lambda r: _fields(r, updated_at="source_updated_at"),
        "source_updated_at",
    ),
    "transaction": FactSpec("transaction", transaction_360, _fields, None),
    "loan": FactSpec(
        "loan",
        loan_360,
        lambda r: _fields(r, updated_at="source_updated_at", created_at="source_created_at"),
        "source_updated_at",
    ),
    "login": FactSpec("login", channel_login, _fields, "last_activity"),
    # alerts change in place without a marker, fraud cases on an unknown clock: the latest read
    "alert": FactSpec("alert", security_alert, _fields, "observed_at"),
    "fraud_case": FactSpec(
        "fraud_case",
        fraud_case,
        lambda r: _fields(r, updated_at="source_updated_at"),
        "observed_at",
        by_business_key=True,
    ),
    "credit_decision": FactSpec("credit_decision", credit_decision, _fields, None),
    # payments complete, and AML alerts resolve, in place with no marker: the latest read wins
    "payment": FactSpec("payment", payment, _fields, "observed_at"),
    "aml_alert": FactSpec("aml_alert", aml_alert, _fields, "observed_at"),
}


def upsert_facts(conn: Connection, spec: FactSpec, records: list[Record]) -> list[UUID]:
    """Upsert one entity's records, their owners held shared by the caller (`locks.share`);
    returns the Global Customer IDs of the rows written."""
    if not records:
        return []
    pk = [c.name for c in spec.table.primary_key.columns]
    rows: dict[tuple, dict[str, Any]] = {}
    for record in records:  # one row per key: ON CONFLICT cannot touch a row twice
        row = spec.to_row(record)
        key = tuple(row[c] for c in pk)
        if key not in rows or _newer(spec, row, rows[key]):
            rows[key] = row
    columns = list(next(iter(rows.values())))
    recordset = ", ".join(f"{c} {spec.table.c[c].type.compile(dialect=_DIALECT)}" for c in columns)
    owner = (_BY_BUSINESS_KEY if spec.by_business_key else _BY_SOURCE_KEY).format(row="x")
    target = spec.table.name
    updates = [f"{c} = EXCLUDED.{c}" for c in columns if c not in pk]
    updates += [
        f"global_customer_id = COALESCE(EXCLUDED.global_customer_id, {target}.global_customer_id)",
        "ingested_at = now()",
    ]
    compared = [c for c in columns if c not in pk]
    # only a newer version that differs is written: re-running a batch touches no row
    changed = (
        f"(({', '.join(f'{target}.{c}' for c in compared)}) IS DISTINCT FROM "
        f"({', '.join(f'EXCLUDED.{c}' for c in compared)})"
        f" OR ({target}.global_customer_id IS NULL"
        " AND EXCLUDED.global_customer_id IS NOT NULL))"
    )
    newer_only = f" WHERE {changed}" + (
        f" AND {target}.{spec.version_column} <= EXCLUDED.{spec.version_column}"
        if spec.version_column
        else ""
    )
    statement = text(
        f"""
        INSERT INTO {target} ({", ".join(columns)}, global_customer_id)
        SELECT {", ".join(f"x.{c}" for c in columns)}, {owner}
        FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x({recordset})
        ON CONFLICT ({", ".join(pk)}) DO UPDATE SET {", ".join(updates)}{newer_only}
        RETURNING global_customer_id
        """
    )
    payload = json.dumps(list(rows.values()), default=str)
    written = conn.execute(statement, {"rows": payload}).scalars()
    return sorted({gid for gid in written if gid is not None}, key=str)


def _newer(spec: FactSpec, row: dict[str, Any], current: dict[str, Any]) -> bool:
    if spec.version_column is None:
        return True
    new, old = row[spec.version_column], current[spec.version_column]
    return old is None or (new is not None and new >= old)


def repoint_owners(
    conn: Connection, customers: list[tuple[str, str]], business_keys: list[str]
) -> list[UUID]:
    """Give the facts of these owners their owner's current Global Customer ID.

    Covers facts that arrived before their owner was linked (NULL) and facts of records that a
    merge or a split moved. `customers` are (source_system, source_customer_id) keys;
    `business_keys` core CustomerNumbers (fraud cases). Returns the IDs that lost or gained facts.
    """
    touched: set[UUID] = set()
    # the same owners for every table: their arrays made once
    by_business_key = {"keys": array_literal(business_keys)}
    by_customer = array_columns(customers, "systems", "ids")
    for spec in FACTS.values():
        table = spec.table.name
        if spec.by_business_key:
            if not business_keys:
                continue
            statement = text(
                f"""
                UPDATE {table} f SET global_customer_id = sc.global_customer_id
                FROM source_customer sc, {table} old
                WHERE f.customer_number = ANY(CAST(:keys AS text[]))
                  AND {BUSINESS_KEY_OWNER.format(row="f")}
                  AND f.global_customer_id IS DISTINCT FROM sc.global_customer_id
                  AND old.source_system = f.source_system AND old.source_case_id = f.source_case_id
                RETURNING f.global_customer_id, old.global_customer_id
                """
            )
            params = by_business_key
        else:
            if not customers:
                continue
            pk = " AND ".join(f"old.{c.name} = f.{c.name}" for c in spec.table.primary_key.columns)
            statement = text(
                f"""
                UPDATE {table} f SET global_customer_id = sc.global_customer_id
                FROM source_customer sc,
                     unnest(CAST(:systems AS text[]), CAST(:ids AS text[])) AS k(s, i),
                     {table} old
                WHERE f.source_system = k.s AND f.source_customer_id = k.i
                  AND sc.source_system = k.s AND sc.source_customer_id = k.i
                  AND f.global_customer_id IS DISTINCT FROM sc.global_customer_id
                  AND {pk}
                RETURNING f.global_customer_id, old.global_customer_id
                """
            )
            params = by_customer
        for new, old in conn.execute(statement, params).all():
            touched.update(gid for gid in (new, old) if gid is not None)
    return sorted(touched, key=str)


def misplaced_facts(conn: Connection, profiles: Iterable[UUID]) -> list[str]:
    """Facts held by these profiles, or owned by their records, whose ID is not their owner's
    (what `repoint_owners` keeps true), in words; empty when every fact is with its owner.
    Each half is its own look-up, by owner and by ID, so neither scans a fact table."""
    ids = {"ids": array_literal(sorted({g for g in profiles if g is not None}, key=str))}
    problems = []
    for spec in FACTS.values():
        table = spec.table.name
        owner = (
            BUSINESS_KEY_OWNER.format(row="f")
            if spec.by_business_key
            else "(sc.source_system, sc.source_customer_id)"
            " = (f.source_system, f.source_customer_id)"
        )
        elsewhere = "f.global_customer_id IS DISTINCT FROM sc.global_customer_id"
        count = conn.execute(
            text(
                f"SELECT (SELECT count(*) FROM source_customer sc JOIN {table} f ON {owner}"
                f"         WHERE sc.global_customer_id = ANY(CAST(:ids AS uuid[])) AND {elsewhere})"
                f"     + (SELECT count(*) FROM {table} f JOIN source_customer sc ON {owner}"
                f"         WHERE f.global_customer_id = ANY(CAST(:ids AS uuid[])) AND {elsewhere})"
            ),
            ids,
        ).scalar_one()
        if count:
            problems.append(f"{count} {spec.entity} fact(s) are not with their owner's profile")
    return problems
