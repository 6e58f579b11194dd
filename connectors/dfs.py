"""Digital lending (WekezaDFS, MySQL 8 / MariaDB): users, wallet accounts, loans, transactions.

dfs writes `created_at` only. New rows are read incrementally; changed rows (a balance moved by a
transfer, a loan paid) carry no marker at all and are found by the scan streams, which compare
CRC32 digests of key-range chunks computed in MySQL, then MD5 digests of the rows in the chunks
that differ.

Cursor design. The real schema has no index on `created_at`, and we may not add one to a source we
do not own, so a (created_at, id) cursor costs a full table scan and a filesort on every poll (230
ms and 1,000,000 rows read on a 1,000,000-row table, bench/dfs_scan.py) — every second, per table.
The streams are therefore cursored by the AUTO_INCREMENT primary key alone: `WHERE id > :k ORDER BY
id LIMIT :n` is a range read of the PK index that touches only the new rows. marker = key = the id,
and `created_at` is only the row's written_at. AUTO_INCREMENT values are taken at insert time, so a
row whose transaction commits late can appear behind the cursor; the look-back covers that the way
it does for timestamp streams: `rewind` moves back to the last row created more than `seconds`
before the cursor's row, found by a backward walk of the PK that stops at the first older row
(cost: the rows of the look-back window). An id cursor also sees rows inserted with a back-dated
created_at, which a created_at cursor would skip.

Sessions run in UTC (`time_zone = '+00:00'`): MySQL renders TIMESTAMP values in the session's
zone, and dfs servers store UTC. Row digests use UNIX_TIMESTAMP, so they do not depend on it.
Chunk size: the cost of chunk_digests hardly depends on it (~1.5-2 s per 1,000,000 rows), but
scattered changes make nearly every chunk differ at 10,000 and above; 1,000 is the bench's best.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, event, text

from connectors._common import OBSERVED_AT, Fields, build_record, json_row, observed_now
from connectors.base import Connector, Cursor, ScanStream, SourceRow, Stream
from connectors.records import (
    AccountRecord,
    CustomerRecord,
    LoanRecord,
    Record,
    RecordError,
    TransactionRecord,
)

ACCOUNT_STATUSES = frozenset({"ACTIVE", "FROZEN", "DISABLED", "DORMANT"})
LOAN_STATUSES = frozenset({"PENDING", "ACTIVE", "PAID", "DEFAULTED", "APPROVED", "REJECTED"})
CREDIT_TYPES = frozenset({"DEPOSIT"})
DEBIT_TYPES = frozenset({"WITHDRAWAL", "TRANSFER", "REPAYMENT", "FEE", "INSURANCE_PAYMENT"})


@dataclass(frozen=True)
class _Table:
    """One dfs table as read: its integer key and the columns the transform uses."""

    name: str
    key: str
    columns: tuple[str, ...]

    def row_text(self, alias: str = "") -> str:
        """SQL text of a row's content. QUOTE makes NULL visible (unquoted NULL) and escapes
        quotes, so two different rows can never produce the same text."""
        prefix = f"{alias}." if alias else ""
        parts = [
            f"QUOTE(UNIX_TIMESTAMP({prefix}{c}))" if c == "created_at" else f"QUOTE({prefix}{c})"
            for c in self.columns
        ]
        return f"CONCAT_WS('|', {', '.join(parts)})"


_TABLES = {
    "users": _Table(
        "users",
        "user_id",
        (
            "user_id",
            "full_name",
            "email",
            "phone_number",
            "national_id",
            "is_active",
            "created_at",
        ),
    ),
    "accounts": _Table(
        "accounts",
        "account_id",
        ("account_id", "account_number", "user_id", "balance", "currency", "status", "created_at"),
    ),
    "loans": _Table(
        "loans",
        "loan_id",
        ("loan_id", "user_id", "principal_amount", "balance_remaining", "status", "created_at"),
    ),
}
# Transactions carry only their account; the join names the owner and the currency. A LEFT JOIN
# keeps a transaction of a missing account, so transform quarantines it with a reason.
_TRANSACTIONS = (
    "SELECT t.transaction_id, t.account_id, a.user_id, a.currency, t.txn_type, t.amount, "
    "t.reference_code, t.description, t.created_at "
    "FROM transactions t LEFT JOIN accounts a ON a.account_id = t.account_id "
    "WHERE t.transaction_id > :k ORDER BY t.transaction_id LIMIT :n"
)
_STREAM_TABLE = {
    "users": "users",
    "accounts": "accounts",
    "loans": "loans",
    "transactions": "transactions",
    "users_scan": "users",
    "accounts_scan": "accounts",
    "loans_scan": "loans",
}
_KEYS = {
    "users": "user_id",
    "accounts": "account_id",
    "loans": "loan_id",
    "transactions": "transaction_id",
}
_DIGEST = "row_digest"


def utc_sessions(engine: Engine) -> Engine:
    """Make every connection of `engine` read and write TIMESTAMP values in UTC."""
    if not event.contains(engine, "connect", _set_utc):
        event.listen(engine, "connect", _set_utc)
    return engine


def _set_utc(dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET time_zone = '+00:00'")


class DfsConnector(Connector):
    source_system = "dfs"
    streams = (
        Stream("users", "customer", scan="users_scan"),
        Stream("accounts", "account", scan="accounts_scan"),
        Stream("loans", "loan", scan="loans_scan"),
        Stream("transactions", "transaction"),  # insert-only
    )
    scans = (
        ScanStream("users_scan", "customer"),
        ScanStream("accounts_scan", "account"),
        ScanStream("loans_scan", "loan"),
    )

    def __init__(
        self, url: str, engine: Engine | None = None, time_zone: tzinfo | None = None
    ) -> None:
        super().__init__(url, engine, time_zone)
        utc_sessions(self.engine)

    def fetch(self, stream: Stream, after: Cursor | None, limit: int) -> list[SourceRow]:
        if limit < 1:
            raise ValueError(f"limit must be positive, not {limit}")
        name = self.stream(stream.name).name
        params = {"k": int(after.key) if after is not None else 0, "n": limit}
        if name == "transactions":
            sql, key = _TRANSACTIONS, "transaction_id"
        else:
            table = _TABLES[name]
            sql = (
                f"SELECT {', '.join(table.columns)}, MD5({table.row_text()}) AS {_DIGEST} "
                f"FROM {table.name} WHERE {table.key} > :k ORDER BY {table.key} LIMIT :n"
            )
            key = table.key
        rows = self._query(sql, params)
        observed = observed_now()
        result = []
        for row in rows:
            raw, digest = _raw(row, observed)
            created = row["created_at"]
            result.append(
                SourceRow(
                    marker=str(row[key]),
                    key=str(row[key]),
                    written_at=created.replace(tzinfo=UTC)
                    if isinstance(created, datetime)
                    else None,
                    raw=raw,
                    digest=digest,
                )
            )
        return result

    def rewind(self, stream: Stream, cursor: Cursor, seconds: float) -> Cursor:
        table = _STREAM_TABLE[self.stream(stream.name).name]
        key = _KEYS[table]
        # Both walks go backwards along the PK and stop at their first match.
        newest = (
            f"SELECT created_at FROM {table} WHERE {key} <= :k AND created_at IS NOT NULL "
            f"ORDER BY {key} DESC LIMIT 1"
        )
        older = (
            f"SELECT {key} FROM {table} WHERE {key} <= :k "
            f"AND created_at < :t - INTERVAL :us MICROSECOND ORDER BY {key} DESC LIMIT 1"
        )
        params: dict[str, Any] = {"k": int(cursor.key), "us": int(seconds * 1e6)}
        with self.engine.connect() as conn:
            params["t"] = conn.execute(text(newest), params).scalar_one_or_none()
            if params["t"] is None:
                return cursor  # no dated row behind the cursor: nothing to measure back from
            # Everything after the last row created more than `seconds` before is read again.
            start = conn.execute(text(older), params).scalar_one_or_none() or 0
        return Cursor(str(start), str(start))

    def cursor_since(self, stream: Stream, since: datetime | None) -> Cursor | None:
        if since is None:
            return None
        if since.tzinfo is None:
            raise ValueError(f"since {since!r} has no time zone")
        table = _STREAM_TABLE[self.stream(stream.name).name]
        key = _KEYS[table]
        # A full scan (no index on created_at), but only once per backfill.
        sql = (
            f"SELECT (SELECT MIN({key}) FROM {table} WHERE created_at >= :s) AS first, "
            f"(SELECT MAX({key}) FROM {table}) AS last"
        )
        moment = since.astimezone(UTC).replace(tzinfo=None)
        [row] = self._query(sql, {"s": moment})
        start = row["first"] - 1 if row["first"] is not None else row["last"] or 0
        return Cursor(str(start), str(start))

    def chunk_digests(self, scan: ScanStream, chunk_size: int) -> dict[int, str]:
        table = self._scan_table(scan, chunk_size)
        sql = (
            "SELECT chunk, CONCAT(COUNT(*), ':', BIT_XOR(crc), ':', SUM(crc)) AS digest FROM "
            f"(SELECT {table.key} DIV :size AS chunk, CRC32({table.row_text()}) AS crc "
            f"FROM {table.name}) AS r GROUP BY chunk"
        )
        return {row["chunk"]: row["digest"] for row in self._query(sql, {"size": chunk_size})}

    def fetch_chunk(self, scan: ScanStream, chunk: int, chunk_size: int) -> list[SourceRow]:
        table = self._scan_table(scan, chunk_size)
        sql = (
            f"SELECT {', '.join(table.columns)}, MD5({table.row_text()}) AS {_DIGEST} "
            f"FROM {table.name} WHERE {table.key} BETWEEN :lo AND :hi ORDER BY {table.key}"
        )
        low = chunk * chunk_size
        rows = self._query(sql, {"lo": low, "hi": low + chunk_size - 1})
        observed = observed_now()
        result = []
        for row in rows:
            raw, digest = _raw(row, observed)
            assert digest is not None
            # A change has no write time: written_at stays None.
            result.append(SourceRow(digest, str(row[table.key]), None, raw, digest))
        return result

    def transform(self, entity: str, raw: dict[str, Any]) -> Record:
        return build_record(self.source_system, _TRANSFORMS, entity, raw)

    def _scan_table(self, scan: ScanStream, chunk_size: int) -> _Table:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be positive, not {chunk_size}")
        for known in self.scans:
            if known.name == scan.name:
                return _TABLES[_STREAM_TABLE[known.name]]
        raise KeyError(f"dfs has no scan stream {scan.name!r}")

    def _query(self, sql: str, params: dict[str, Any]) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params).mappings().all())


def _raw(row: Any, observed: str) -> tuple[dict[str, Any], str | None]:
    """The JSON-safe columns (TIMESTAMPs marked UTC, as the session reads them), the time the row
    was observed, and the row digest computed in MySQL."""
    raw = {
        name: value.replace(tzinfo=UTC) if isinstance(value, datetime) else value
        for name, value in row.items()
    }
    digest = raw.pop(_DIGEST, None)
    return json_row(raw) | {OBSERVED_AT: observed}, digest


def _enum(f: Fields, name: str, allowed: frozenset[str]) -> str:
    # A non-strict MySQL stores '' for a value outside the ENUM.
    value = f.key(name)
    if value not in allowed:
        raise RecordError(
            f"{f.entity} {name} is not one of {', '.join(sorted(allowed))}: {value!r}"
        )
    return value


def _customer(f: Fields) -> CustomerRecord:
    name = (f.text("full_name") or "").strip()
    return CustomerRecord(
        source_system="dfs",
        source_customer_id=f.key("user_id"),
        full_name=name or None,
        national_id=f.text("national_id"),
        phone=f.text("phone_number"),
        email=f.text("email"),
        date_of_birth=None,
        is_active=f.boolean("is_active"),
        created_at=f.timestamp("created_at"),
        updated_at=f.timestamp_req(OBSERVED_AT),
    )


def _account(f: Fields) -> AccountRecord:
    status = _enum(f, "status", ACCOUNT_STATUSES)
    return AccountRecord(
        source_system="dfs",
        source_account_id=f.key("account_id"),
        source_customer_id=f.key("user_id"),
        account_number=f.text("account_number"),
        account_type="Wallet",
        currency=f.currency("currency"),
        balance=f.decimal_req("balance"),
        available_balance=None,
        status=status,
        is_closed=status == "DISABLED",
        closed_at=None,
        opened_at=f.timestamp("created_at"),
        updated_at=f.timestamp_req(OBSERVED_AT),
    )


def _loan(f: Fields) -> LoanRecord:
    principal = f.decimal_req("principal_amount")
    if principal <= 0:
        raise RecordError(f"loan principal_amount is not positive: {f.raw['principal_amount']!r}")
    outstanding = f.decimal("balance_remaining")
    if outstanding is not None and outstanding < 0:
        raise RecordError(f"loan balance_remaining is negative: {f.raw['balance_remaining']!r}")
    return LoanRecord(
        source_system="dfs",
        source_loan_id=f.key("loan_id"),
        source_customer_id=f.key("user_id"),
        source_account_id=None,
        loan_number=None,
        principal_amount=principal,
        outstanding_balance=outstanding,
        interest_rate=None,
        term_months=None,
        currency="KES",
        status=_enum(f, "status", LOAN_STATUSES),
        disbursed_at=None,
        maturity_date=None,
        created_at=f.timestamp("created_at"),
        updated_at=f.timestamp_req(OBSERVED_AT),
    )


def _transaction(f: Fields) -> TransactionRecord:
    account = f.key("account_id")
    if f.raw.get("user_id") is None:
        raise RecordError(f"transaction account {account} is missing or has no user_id")
    kind = f.key("txn_type").strip().upper()
    if kind not in CREDIT_TYPES | DEBIT_TYPES:
        raise RecordError(f"transaction txn_type is not a dfs type: {f.raw['txn_type']!r}")
    amount = f.decimal_req("amount")
    # The type carries the direction: a signed amount would flip it twice.
    if amount < Decimal(0):
        raise RecordError(f"transaction amount is negative: {f.raw['amount']!r}")
    return TransactionRecord(
        source_system="dfs",
        source_transaction_id=f.key("transaction_id"),
        source_account_id=account,
        source_customer_id=f.key("user_id"),
        reference=f.text("reference_code"),
        amount=amount,
        currency=f.currency("currency"),
        type="CREDIT" if kind in CREDIT_TYPES else "DEBIT",
        channel="MOBILE",
        status="Completed",
        description=f.text("description"),
        occurred_at=f.timestamp_req("created_at"),
    )


_TRANSFORMS = {
    "customer": _customer,
    "account": _account,
    "loan": _loan,
    "transaction": _transaction,
}
