"""The Enterprise Brain database: one engine per process, Core tables on one MetaData."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, MetaData, create_engine

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

_engine: Engine | None = None


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
        _engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=5,
            connect_args={"connect_timeout": 5},
        )
    return _engine


def set_engine(engine: Engine | None) -> None:
    """Replace the process engine (tests, and after a fork)."""
    global _engine
    if _engine is not None and _engine is not engine:
        _engine.dispose(close=False)
    _engine = engine


def dispose_engine() -> None:
    """Drop pooled connections inherited over fork (Superset's worker_process_init pattern)."""
    global _engine
    if _engine is not None:
        _engine.dispose(close=False)
        _engine = None


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
