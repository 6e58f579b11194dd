"""Connections and transactions as the code takes them; a test binds one connection that
every one of them uses."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import (
    Connection,
    Engine,
)

from app.db.engines import get_engine, get_read_engine

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
