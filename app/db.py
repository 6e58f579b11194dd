"""The Enterprise Brain database: one engine per process, Core tables on one MetaData."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, Index, MetaData, create_engine, text

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


_engine: Engine | None = None
_read_engine: Engine | None = None


def get_engine() -> Engine:
    """The process-wide engine; created lazily so forked workers make their own."""
    global _engine
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


def _pooled_engine(url: str) -> Engine:
    return create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args={"connect_timeout": 5}
    )


def get_read_engine() -> Engine:
    """Where the API's customer reads go: a streaming replica when C360_READ_DATABASE_URL names
    one, else the primary."""
    global _read_engine
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


@contextmanager
def read() -> Iterator[Connection]:
    """A connection for the API's customer reads, on the replica if one is configured (its
    data may trail the primary's by the replication lag: README, Scale)."""
    if _bound is not None:
        yield _bound
        return
    with get_read_engine().connect() as conn:
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
