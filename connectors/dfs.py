"""Digital lending (WekezaDFS, MySQL 8 / MariaDB): users, wallet accounts, loans, transactions.

dfs writes `created_at` only. New rows are read incrementally; changed rows (a balance moved by a
transfer, a loan paid) carry no marker at all and are found by the scan streams, which compare
CRC32 digests of key-range chunks computed in MySQL, then MD5 digests of the rows in the chunks
that differ.

Cursor design. The real schema has no index on `created_at`, and we may not add one to a source we
do not own, so a (created_at, id) cursor costs a full table scan and a filesort on every poll
(docs/scale.md, "Measurements behind the code") — every second, per table.
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
Chunk size: the cost of chunk_digests hardly depends on it, but scattered changes make nearly
every chunk differ at 10,000 and above; 1,000 is bench/dfs_scan.py's best (docs/scale.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, event, text

from connectors._common import (
    OBSERVED_AT,
    BuildsRecords,
    Fields,
    json_row,
    observed_now,
)
from connectors.base import Connector, Cursor, EventShape, ScanStream, SourceRow, Stream
from connectors.records import (
    AccountRecord,
    CreditDecisionRecord,
    CustomerRecord,
    LoanRecord,
    Record,
    RecordError,
    TransactionRecord,
)

# The values dfs's code is known to write; others land as written and are counted as unknown.
ACCOUNT_STATUSES = frozenset({"ACTIVE", "FROZEN", "DISABLED", "DORMANT"})
CLOSED_ACCOUNT_STATUSES = frozenset({"DISABLED", "CLOSED"})
LOAN_STATUSES = frozenset({"PENDING", "ACTIVE", "PAID", "DEFAULTED", "APPROVED", "REJECTED"})
CREDIT_TYPES = frozenset(
    {
        "DEPOSIT", "INITIAL_DEPOSIT", "INITIAL_CREDIT", "TRANSFER_IN", "CASH_DEPOSIT", "CASH_IN",
        "CHEQUE_DEPOSIT", "LOAN_DISBURSEMENT",
    }
)  # fmt: skip
DEBIT_TYPES = frozenset(
    {
        "WITHDRAWAL", "TRANSFER", "TRANSFER_OUT", "TRANSFER_FEE", "BANK_TRANSFER",
        "CASH_WITHDRAWAL", "CASH_OUT", "LOAN_REPAYMENT", "REPAYMENT", "FEE", "INSURANCE_PAYMENT",
        "INSURANCE_PREMIUM", "BILL_PAYMENT", "MOBILE_MONEY_OUT", "MOBILE_MONEY_TRANSFER",
        "CDSC_TRANSFER", "FIXED_DEPOSIT",
    }
)  # fmt: skip
# Teller and branch operations: cash over the counter and cheques.
BRANCH_TYPES = frozenset(
    {"CASH_DEPOSIT", "CASH_WITHDRAWAL", "CASH_IN", "CASH_OUT", "CHEQUE_DEPOSIT"}
)
# A table without created_at (the backend's accounts) is looked back over this many keys.
KEY_LOOKBACK = 100


@dataclass(frozen=True)
class _Table:
    """One dfs table, declared once: its alias, its integer key, the columns the transform reads
    (`b.business_name`: a joined table's), what stands in where a layout lacks a column (an SQL
    literal; NULL otherwise), and the joins that name an owner, a currency or a business."""

    name: str
    alias: str
    key: str
    columns: tuple[str, ...]
    defaults: Mapping[str, str] = field(default_factory=dict)
    joins: tuple[tuple[str, str, str], ...] = ()  # (alias, table, ON)

    def column(self, declared: str) -> tuple[str, str]:
        """(table alias, column name) of a declared column."""
        alias, _, name = declared.rpartition(".")
        return alias or self.alias, name


@dataclass(frozen=True)
class _Query:
    """How one dfs table is read, built for the layout the source's catalog shows."""

    table: _Table
    columns: tuple[str, ...]  # SQL expressions AS names
    source: str  # FROM ... with its joins

    @property
    def key(self) -> str:
        return f"{self.table.alias}.{self.table.key}"

    def row_text(self) -> str:
        """SQL text of a row's content. QUOTE makes NULL visible (unquoted NULL) and escapes
        quotes, so two different rows can never produce the same text."""
        parts = []
        for column in self.columns:
            expression = column.rsplit(" AS ", 1)[0]
            if column.endswith(" AS created_at"):
                expression = f"UNIX_TIMESTAMP({expression})"
            parts.append(f"QUOTE({expression})")
        return f"CONCAT_WS('|', {', '.join(parts)})"


# What the transforms read, per table; a column missing from a layout takes its default:
# dfs-orm.mysql.sql (the backend's own tables) has no accounts.currency (all KES) and no
# accounts.created_at; dfs.mysql.sql (the setup script's) has no businesses and no risk_scores.
_TABLES = {
    table.name: table
    for table in (
        _Table(
            "users",
            "u",
            "user_id",
            (
                "user_id", "full_name", "email", "phone_number", "national_id", "is_active",
                "created_at", "business_id", "b.business_name",
            ),
            defaults={"is_active": "1"},
            joins=(("b", "businesses", "b.business_id = u.business_id"),),
        ),
        _Table(
            "accounts",
            "a",
            "account_id",
            (
                "account_id", "account_number", "user_id", "balance", "currency", "status",
                "created_at", "business_id", "b.business_name",
            ),
            defaults={"currency": "'KES'"},
            joins=(("b", "businesses", "b.business_id = a.business_id"),),
        ),
        # a business loan is booked on its director's user_id: the user names the business
        _Table(
            "loans",
            "l",
            "loan_id",
            (
                "loan_id", "user_id", "principal_amount", "balance_remaining", "status",
                "created_at", "u.business_id", "b.business_name",
            ),
            joins=(
                ("u", "users", "u.user_id = l.user_id"),
                ("b", "businesses", "b.business_id = u.business_id"),
            ),
        ),
        # a transaction carries only its account: the join names the owner and the currency; a
        # LEFT JOIN keeps a transaction of a missing account, so transform quarantines it
        _Table(
            "transactions",
            "t",
            "transaction_id",
            (
                "transaction_id", "account_id", "a.user_id", "a.business_id", "a.currency",
                "txn_type", "amount", "reference_code", "description", "created_at",
            ),
            defaults={"currency": "'KES'"},
            joins=(("a", "accounts", "a.account_id = t.account_id"),),
        ),
        _Table(
            "risk_scores",
            "r",
            "score_id",
            ("score_id", "user_id", "credit_score", "decision", "created_at"),
        ),
    )
}  # fmt: skip
_DIGEST = "row_digest"


def build_query(name: str, catalog: dict[str, set[str]]) -> _Query | None:
    """The query of table `name` for a source whose catalog is {table: its columns}; None when
    the layout has no such table (nothing to read there). A join to a table the layout lacks is
    left out, and every column of it takes its default."""
    if name not in catalog:
        return None
    table = _TABLES[name]
    tables = {table.alias: name}
    source = f"{name} {table.alias}"
    for join_alias, joined, on in table.joins:
        known = tables | {join_alias: joined}
        if all(column in catalog.get(known[a], set()) for a, column in _join_columns(on)):
            tables[join_alias] = joined
            source += f" LEFT JOIN {joined} {join_alias} ON {on}"
    columns = []
    for declared in table.columns:
        alias, column = table.column(declared)
        held = alias in tables and column in catalog[tables[alias]]
        expression = f"{alias}.{column}" if held else table.defaults.get(column, "NULL")
        columns.append(f"{expression} AS {column}")
    return _Query(table, tuple(columns), source)


def table_of(stream: Stream | ScanStream) -> _Table:
    """The table a stream reads: a scan stream `users_scan` reads `users`."""
    return _TABLES[stream.name.removesuffix("_scan")]


def _join_columns(on: str) -> list[tuple[str, str]]:
    """The (alias, column) pairs an ON clause compares: 'b.business_id = u.business_id'."""
    return [tuple(side.strip().split(".")) for side in on.split("=")]  # type: ignore[misc]


def utc_sessions(engine: Engine) -> Engine:
    """Make every connection of `engine` read and write TIMESTAMP values in UTC."""
    if not event.contains(engine, "connect", _set_utc):
        event.listen(engine, "connect", _set_utc)
    return engine


def _set_utc(dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET time_zone = '+00:00'")


class DfsConnector(BuildsRecords, Connector):
    source_system = "dfs"
    streams = (
        Stream("users", "customer", scan="users_scan"),
        Stream("accounts", "account", scan="accounts_scan"),
        Stream("loans", "loan", scan="loans_scan"),
        Stream("transactions", "transaction"),  # insert-only
        Stream("risk_scores", "credit_decision"),  # insert-only; the backend's layout only
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
        self._columns: dict[str, set[str]] | None = None

    @classmethod
    def event_shape(cls, entity: str) -> EventShape | None:
        for stream in cls.streams:
            if stream.entity == entity:
                table = table_of(stream)
                names = tuple(table.column(declared)[1] for declared in table.columns)
                return EventShape(entity, table.key, names)
        return None

    def catalog(self) -> dict[str, set[str]]:
        """{table: its columns}, from the source's own information_schema: which of the two
        layouts this is, with no configuration. Read again after any failed query."""
        if self._columns is None:
            rows = self._query(
                "SELECT table_name AS t, column_name AS c FROM information_schema.columns "
                "WHERE table_schema = DATABASE()",
                {},
            )
            columns: dict[str, set[str]] = {}
            for row in rows:
                columns.setdefault(row["t"].lower(), set()).add(row["c"].lower())
            self._columns = columns
        return self._columns

    def _read(self, name: str) -> _Query | None:
        return build_query(table_of(self.stream(name)).name, self.catalog())

    def fetch(self, stream: Stream, after: Cursor | None, limit: int) -> list[SourceRow]:
        if limit < 1:
            raise ValueError(f"limit must be positive, not {limit}")
        query = self._read(stream.name)
        if query is None:
            return []  # this layout has no such table: nothing to read, nothing failing
        digest = f", MD5({query.row_text()}) AS {_DIGEST}" if stream.scan else ""
        sql = (
            f"SELECT {', '.join(query.columns)}{digest} FROM {query.source} "
            f"WHERE {query.key} > :k ORDER BY {query.key} LIMIT :n"
        )
        params = {"k": int(after.key) if after is not None else 0, "n": limit}
        key = query.table.key
        observed = observed_now()
        result = []
        for row in self._query(sql, params):
            raw, row_digest = _raw(row, observed)
            created = row["created_at"]
            result.append(
                SourceRow(
                    marker=str(row[key]),
                    key=str(row[key]),
                    written_at=created.replace(tzinfo=UTC)
                    if isinstance(created, datetime)
                    else None,
                    raw=raw,
                    digest=row_digest,
                )
            )
        return result

    def rewind(self, stream: Stream, cursor: Cursor, seconds: float) -> Cursor:
        declared = table_of(self.stream(stream.name))
        table, key = declared.name, declared.key
        columns = self.catalog().get(table)
        if columns is None:
            return cursor
        if "created_at" not in columns:
            # no time to measure back from (the backend's accounts): a fixed span of keys
            return Cursor(*[str(max(int(cursor.key) - KEY_LOOKBACK, 0))] * 2)
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
        declared = table_of(self.stream(stream.name))
        table, key = declared.name, declared.key
        if "created_at" not in self.catalog().get(table, set()):
            return None  # no creation time to start from: the whole table
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
        query = self._scan_query(scan, chunk_size)
        if query is None:
            return {}
        sql = (
            "SELECT chunk, CONCAT(COUNT(*), ':', BIT_XOR(crc), ':', SUM(crc)) AS digest FROM "
            f"(SELECT {query.key} DIV :size AS chunk, CRC32({query.row_text()}) AS crc "
            f"FROM {query.source}) AS r GROUP BY chunk"
        )
        return {row["chunk"]: row["digest"] for row in self._query(sql, {"size": chunk_size})}

    def fetch_chunk(self, scan: ScanStream, chunk: int, chunk_size: int) -> list[SourceRow]:
        query = self._scan_query(scan, chunk_size)
        if query is None:
            return []
        sql = (
            f"SELECT {', '.join(query.columns)}, MD5({query.row_text()}) AS {_DIGEST} "
            f"FROM {query.source} WHERE {query.key} BETWEEN :lo AND :hi ORDER BY {query.key}"
        )
        low = chunk * chunk_size
        rows = self._query(sql, {"lo": low, "hi": low + chunk_size - 1})
        observed = observed_now()
        result = []
        key = query.table.key
        for row in rows:
            raw, digest = _raw(row, observed)
            assert digest is not None
            # A change has no write time: written_at stays None.
            result.append(SourceRow(digest, str(row[key]), None, raw, digest))
        return result

    def builders(self) -> Mapping[str, Callable[[Fields], Record]]:
        return _TRANSFORMS

    def _scan_query(self, scan: ScanStream, chunk_size: int) -> _Query | None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be positive, not {chunk_size}")
        for known in self.scans:
            if known.name == scan.name:
                return build_query(table_of(known).name, self.catalog())
        raise KeyError(f"dfs has no scan stream {scan.name!r}")

    def _query(self, sql: str, params: dict[str, Any]) -> list[Any]:
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(text(sql), params).mappings().all())
        except Exception:
            self._columns = None  # the layout may have changed: read the catalog again
            raise


def _raw(row: Any, observed: str) -> tuple[dict[str, Any], str | None]:
    """The JSON-safe columns (TIMESTAMPs marked UTC, as the session reads them), the time the row
    was observed, and the row digest computed in MySQL."""
    raw: dict[str, Any] = {
        name: value.replace(tzinfo=UTC) if isinstance(value, datetime) else value
        for name, value in row.items()
    }
    digest = raw.pop(_DIGEST, None)
    return json_row(raw) | {OBSERVED_AT: observed}, digest


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
        source_business_id=f.text("business_id"),
        business_name=f.text("business_name"),
    )


def _status(f: Fields) -> str:
    """As written: a value no list of ours holds is data. A non-strict MySQL stores '' for a
    value outside its ENUM: that one is UNKNOWN."""
    return (f.text("status") or "").strip().upper() or "UNKNOWN"


def _account(f: Fields) -> AccountRecord:
    status = _status(f)
    owner, business = f.text("user_id"), f.text("business_id")
    if owner is None and business is None:
        raise RecordError(f"account {f.key('account_id')} has neither a user nor a business")
    return AccountRecord(
        source_system="dfs",
        source_account_id=f.key("account_id"),
        source_customer_id=owner,
        account_number=f.text("account_number"),
        account_type="Business wallet" if owner is None else "Wallet",
        currency=f.currency("currency"),
        balance=f.decimal_req("balance"),
        available_balance=None,
        status=status,
        is_closed=status in CLOSED_ACCOUNT_STATUSES,
        closed_at=None,
        opened_at=f.timestamp("created_at"),
        updated_at=f.timestamp_req(OBSERVED_AT),
        source_business_id=business,
        business_name=f.text("business_name"),
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
        status=_status(f),
        disbursed_at=None,
        maturity_date=None,
        created_at=f.timestamp("created_at"),
        updated_at=f.timestamp_req(OBSERVED_AT),
        source_business_id=f.text("business_id"),
        business_name=f.text("business_name"),
    )


def direction_and_channel(txn_type: str | None, description: str | None) -> tuple[str, str]:
    """(CREDIT | DEBIT | UNKNOWN, channel) of a dfs transaction: known types by their meaning,
    cash, cheques and 'Teller ...' postings at a BRANCH, the rest on the MOBILE app; a type no
    list holds keeps its direction UNKNOWN (and its text, as source_type)."""
    kind = (txn_type or "").strip().upper()
    direction = "CREDIT" if kind in CREDIT_TYPES else "DEBIT" if kind in DEBIT_TYPES else "UNKNOWN"
    teller = (description or "").strip().lower().startswith("teller")
    if kind in BRANCH_TYPES or teller:
        return direction, "BRANCH"
    return direction, "MOBILE" if direction != "UNKNOWN" else "OTHER"


def _transaction(f: Fields) -> TransactionRecord:
    account = f.key("account_id")
    owner, business = f.text("user_id"), f.text("business_id")
    if owner is None and business is None:
        raise RecordError(f"transaction account {account} is missing or has no owner")
    amount = f.decimal_req("amount")
    # The type carries the direction: a signed amount would flip it twice.
    if amount < Decimal(0):
        raise RecordError(f"transaction amount is negative: {f.raw['amount']!r}")
    description = f.text("description")
    direction, channel = direction_and_channel(f.text("txn_type"), description)
    return TransactionRecord(
        source_system="dfs",
        source_transaction_id=f.key("transaction_id"),
        source_account_id=account,
        source_customer_id=owner,
        reference=f.text("reference_code"),
        amount=amount,
        currency=f.currency("currency"),
        type=direction,
        channel=channel,
        status="Completed",
        description=description,
        occurred_at=f.timestamp_req("created_at"),
        source_type=(f.text("txn_type") or "").strip() or None,
        source_business_id=business,
    )


def _credit_decision(f: Fields) -> CreditDecisionRecord:
    return CreditDecisionRecord(
        source_system="dfs",
        source_decision_id=f.key("score_id"),
        source_customer_id=f.key("user_id"),
        credit_score=f.integer("credit_score"),
        decision=(f.text("decision") or "").strip().upper() or None,
        decided_at=f.timestamp("created_at"),
    )


_TRANSFORMS: dict[str, Callable[[Fields], Record]] = {
    "customer": _customer,
    "account": _account,
    "loan": _loan,
    "transaction": _transaction,
    "credit_decision": _credit_decision,
}
