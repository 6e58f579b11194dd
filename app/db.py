"""The Enterprise Brain database: one engine per process, Core tables on one MetaData."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    FromClause,
    Index,
    MetaData,
    Select,
    Table,
    any_,
    bindparam,
    cast,
    create_engine,
    event,
    exc,
    func,
    select,
    text,
    true,
    types,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.elements import ColumnElement

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def held_facts_index(table: str, *, businesses: bool = False) -> Index:
    """The facts whose owner has not arrived (`/metrics` counts them per source): an index of
    only those rows, so the count costs what is held, not the table's history. A business's
    facts have no person as owner and are not held."""
    where = "global_customer_id IS NULL" + (" AND source_business_id IS NULL" if businesses else "")
    return Index(f"ix_{table}_held", "source_system", postgresql_where=text(where))


def among(column: ColumnElement[Any], values: Sequence[Any] | Select) -> ColumnElement[bool]:
    """`column IN values`, for a list or a query of one column. The query is read once, into
    an array (`= ANY`), so the column's index serves it however many rows the planner guesses
    the query returns."""
    if isinstance(values, Select):
        return column == any_(func.array(values.scalar_subquery()))
    return column.in_(values)


def first_of_each(
    ids: Select,
    table: Table,
    owner: str,
    ordering: Callable[[FromClause], Sequence[ColumnElement[Any]]],
    limit: int,
) -> Select:
    """The first `limit` rows of `table` in `ordering` (a function of the rows it orders) whose
    `owner` column holds one of the IDs query `ids` returns: each ID's first rows read by
    themselves, one index look-up each, then merged in the same order. A filter on all the IDs
    at once (`among`) is planned for the ten IDs PostgreSQL guesses such a query returns, and
    reads a small table or partition (every new year's starts small) whole on every call."""
    member = ids.subquery("member")
    each = (
        select(table)
        .where(table.c[owner] == member.c[0])
        .order_by(*ordering(table))
        .limit(limit)
        .lateral("first_of_member")
    )
    return (
        select(each).select_from(member.join(each, true())).order_by(*ordering(each)).limit(limit)
    )


def array_literal(values: Iterable[Any]) -> str:
    """The values as one PostgreSQL array literal, for `CAST(:param AS type[])`: the driver
    adapts a list value by value in Python, two to three times the cost of this one join for a
    batch's thousands (measured: 43 ms against 17 ms for 20,000 keys)."""
    values = list(values)
    if None in values:  # NULL unquoted is no value; quoted, it is the word
        quoted = ("NULL" if v is None else f'"{_escaped(str(v))}"' for v in values)
        return "{" + ",".join(quoted) + "}"
    if not values:
        return "{}"
    # every value quoted at once: escaped as one string, then split where the values meet (at
    # a character no PostgreSQL text can hold)
    joined = "\x00".join(map(str, values))
    if joined.count("\x00") != len(values) - 1:  # refused, as the driver refuses it
        raise ValueError("PostgreSQL text cannot contain NUL (0x00) characters")
    return '{"' + _escaped(joined).replace("\x00", '","') + '"}'


def array_columns(rows: Iterable[Sequence[Any]], *names: str) -> dict[str, str]:
    """Rows of values as one `array_literal` per column, by name: the parameters of an
    `unnest(CAST(:a AS t[]), CAST(:b AS u[]))` that gives the rows back."""
    rows = list(rows)
    return {name: array_literal(row[i] for row in rows) for i, name in enumerate(names)}


def _escaped(item: str) -> str:
    """Backslashes and double quotes escaped, as an array literal's quoted element needs."""
    return item.replace("\\", "\\\\").replace('"', '\\"')


def array_param(values: Iterable[Any], item_type: Any) -> ColumnElement[Any]:
    """The values as one bound array of `item_type` (an `array_literal`). The parameter is
    sent untyped, so PostgreSQL reads it as the array when it binds it; sent as text, the cast
    would be a run-time conversion, redone on every row a sequential scan filters."""
    return cast(bindparam(None, array_literal(values), type_=types.NullType()), ARRAY(item_type))


def in_array(column: ColumnElement[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """`column = ANY(:values)`, the values as one array parameter: for a batch's thousands of
    values, whose IN list would cost more to render, send and parse than the look-up itself."""
    return column == any_(array_param(values, column.type))


_engine: Engine | None = None
_read_engine: Engine | None = None
_engines_made = threading.RLock()  # an API process's threads may ask for the first at once


class Precompiled:
    """A statement compiled once and run as the driver's SQL (`exec_driver_sql`), for a large
    statement run on every request. SQLAlchemy would otherwise hash its cache key, a tuple as
    deep as the statement, on every execution, and work out each bound value: for the served
    profile (12 kB of SQL) 14 % of the API's instructions a read (docs/scale.md).

    `variables` are the parameters given at each execution; every other bound value is the
    statement's own, fixed when it was built. The result's rows are the driver's values, as
    the result columns' types need no conversion from psycopg's (text, UUIDs, numbers)."""

    def __init__(self, statement: Select, *variables: str) -> None:
        self.statement = statement
        self.variables = frozenset(variables)
        self._compiled: dict[Dialect, tuple[str, dict[str, Any], dict[str, Callable]]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, dict[str, Any], dict[str, Callable]]:
        if dialect not in self._compiled:
            compiled = self.statement.compile(dialect=dialect)
            unknown = self.variables - compiled.binds.keys()
            if unknown or compiled.literal_execute_params or compiled.post_compile_params:
                raise TypeError(f"not a fixed statement with parameters {sorted(self.variables)}")
            processors = {
                name: processor
                for name, bind in compiled.binds.items()
                if (processor := bind.type.bind_processor(dialect)) is not None
            }
            values = compiled.construct_params(dict.fromkeys(self.variables))
            fixed = _processed(
                {name: value for name, value in values.items() if name not in self.variables},
                processors,
            )
            self._compiled[dialect] = (compiled.string, fixed, processors)
        return self._compiled[dialect]

    def first(self, conn: Connection, **values: Any) -> Any:
        """The first row, with `values` for the statement's variables (all of them)."""
        if values.keys() != self.variables:
            raise TypeError(f"parameters {sorted(self.variables)} expected, got {sorted(values)}")
        sql, fixed, processors = self._for(conn.dialect)
        return conn.exec_driver_sql(sql, {**fixed, **_processed(values, processors)}).first()


def _processed(
    values: dict[str, Any], processors: dict[str, Callable[[Any], Any]]
) -> dict[str, Any]:
    """Bound values as the driver takes them: through their type's processor, where it has one."""
    return {
        name: processors[name](value) if name in processors else value
        for name, value in values.items()
    }


def get_engine() -> Engine:
    """The process-wide engine; created lazily so forked workers make their own."""
    global _engine
    with _engines_made:
        if _engine is None:
            from app.config import Settings

            url = Settings.from_env().database_url
            if not url:
                raise RuntimeError(
                    "C360_DATABASE_URL is not set and no embedded database runs: "
                    "run `c360 services up` or set C360_DATABASE_URL"
                )
            _engine = _pooled_engine(url)
        return _engine


# A pooled connection idle longer than this is pinged before use (a database restarted or a
# proxy's idle timeout may have closed it); one used more recently is known alive, and a
# round trip a checkout is what an API request can least afford (docs/scale.md).
PING_AFTER_IDLE_SECONDS = 1.0


def _pooled_engine(url: str) -> Engine:
    engine = create_engine(url, pool_size=5, max_overflow=5, connect_args={"connect_timeout": 5})
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", _pinging_if_idle(engine.dialect))
    return engine


def _note_checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _pinging_if_idle(dialect: Dialect) -> Callable[..., None]:
    """The pool's pre-ping, for idle connections only: a dead one is replaced (the pool
    retries a checkout refused with DisconnectionError)."""

    def ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or time.monotonic() - checked_in_at < PING_AFTER_IDLE_SECONDS:
            return  # just connected, or just used
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error

    return ping_if_idle


def get_read_engine() -> Engine:
    """Where the API's customer reads go: a streaming replica when C360_READ_DATABASE_URL names
    one, else the primary."""
    global _read_engine
    with _engines_made:
        if _read_engine is None:
            from app.config import Settings

            url = Settings.from_env().read_database_url
            _read_engine = _pooled_engine(url) if url else get_engine()
        return _read_engine


def set_engine(engine: Engine | None) -> None:
    """Replace the process engine (tests, and after a fork); reads follow it unless a replica
    is configured."""
    global _engine
    if _engine is not None and _engine is not engine:
        _engine.dispose(close=False)
    _engine = engine
    _forget_read_engine()


def dispose_engine() -> None:
    """Drop pooled connections inherited over fork (Superset's worker_process_init pattern)."""
    global _engine
    if _engine is not None:
        _engine.dispose(close=False)
        _engine = None
    _forget_read_engine()


def _forget_read_engine() -> None:
    global _read_engine
    if _read_engine is not None and _read_engine is not _engine:
        _read_engine.dispose(close=False)
    _read_engine = None


# Tests bind one connection whose outer transaction is rolled back after each test; code that
# opens a transaction then gets a savepoint on it instead of a connection of its own.
_bound: Connection | None = None


@contextmanager
def bind_connection(conn: Connection) -> Iterator[Connection]:
    global _bound
    previous, _bound = _bound, conn
    try:
        yield conn
    finally:
        _bound = previous


@contextmanager
def transaction() -> Iterator[Connection]:
    """One Enterprise Brain transaction: committed on success, rolled back on error."""
    if _bound is not None:
        with _bound.begin_nested():
            yield _bound
        return
    with get_engine().begin() as conn:
        yield conn


@contextmanager
def connect() -> Iterator[Connection]:
    """A connection for reads (autobegun transaction, closed at the end)."""
    if _bound is not None:
        yield _bound
        return
    with get_engine().connect() as conn:
        yield conn


_request_connection: ContextVar[Connection | None] = ContextVar("request_connection", default=None)


@contextmanager
def request_connection() -> Iterator[Connection]:
    """One connection to the primary for a whole API request: its key check, its reads (unless
    a replica serves them) and its access log entry share one checkout, each statement
    committing by itself (no BEGIN and COMMIT round trips)."""
    if _bound is not None:
        with _bound.begin_nested():
            yield _bound
        return
    with autocommit(get_engine()) as conn:
        token = _request_connection.set(conn)
        try:
            yield conn
        finally:
            _request_connection.reset(token)


def autocommit(engine: Engine) -> Connection:
    """A connection on which each statement commits by itself (and VACUUM may run)."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def read() -> Iterator[Connection]:
    """A connection for the API's customer reads, on the replica if one is configured (its
    data may trail the primary's by the replication lag: docs/scale.md). Each statement is
    its own transaction, as each had its own snapshot under READ COMMITTED: a read that must
    be consistent is one statement (the profile is)."""
    if _bound is not None:
        yield _bound
        return
    shared = _request_connection.get()
    if shared is not None and get_read_engine() is get_engine():
        yield shared
        return
    with autocommit(get_read_engine()) as conn:
        yield conn


def recreate_database(url: str) -> None:
    """Drop (forcing out connections) and create the database named in `url`: scratch
    databases for tests, benchmarks and accuracy runs."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def sibling_url(url: str, suffix: str) -> str:
    """The URL of database `<name><suffix>` on the same server."""
    from sqlalchemy.engine import make_url

    base = make_url(url)
    return base.set(database=f"{base.database}{suffix}").render_as_string(hide_password=False)
