"""Shared fixtures: a migrated test database on the configured PostgreSQL, per-test rollback."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Connection, Engine, create_engine, insert, select, text

from app import db
from app.account.models import account_360
from app.config import SOURCE_SYSTEMS, Settings
from app.migrate import upgrade
from app.models import metadata
from sandbox.sources import demo_source_urls, mysql_reachable


@contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Set environment variables (None: unset) for the block — the worker and beat processes
    started inside inherit them — then put back exactly what was there."""
    before = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated Enterprise Brain database for this test run (`<db>_test`), and the
    resolved broker, pinned for the run and the worker processes it starts."""
    settings = Settings.from_env()
    if not settings.database_url or not settings.redis_url:
        pytest.exit("C360_DATABASE_URL / C360_REDIS_URL unset and no embedded services (make test)")
    url = db.sibling_url(settings.database_url, "_test")
    db.recreate_database(url)
    upgrade(url)
    # the sources as `c360 sources create` would make them beside this database (dfs where a
    # MySQL/MariaDB answers): named, as a deployment names its sources; a test that polls
    # others names them itself
    sources = demo_source_urls(url, tmp_path_factory.mktemp("sources"))
    if not mysql_reachable(sources["dfs"])[0]:
        sources["dfs"] = ""
    named = {f"C360_SOURCE_{name.upper()}_URL": sources[name] for name in SOURCE_SYSTEMS}
    with environment(C360_DATABASE_URL=url, C360_REDIS_URL=settings.redis_url, **named):
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    db.set_engine(engine)
    yield engine
    db.set_engine(None)
    engine.dispose()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back after the test (nothing persists)."""
    with engine.connect() as connection:
        outer = connection.begin()
        with db.bind_connection(connection):
            yield connection
        outer.rollback()


@pytest.fixture
def add_account(conn: Connection) -> Callable[..., None]:
    """Adds an account_360 row through the test's connection (a core KES account by default)."""

    def add(global_id: UUID | None, source_account_id: str, **values: Any) -> None:
        row = {
            "source_system": "core",
            "currency": "KES",
            "balance": Decimal("1000.00"),
            "status": "ACTIVE",
            **values,
        }
        conn.execute(
            insert(account_360).values(
                global_customer_id=global_id, source_account_id=source_account_id, **row
            )
        )

    return add


def gid_of(conn: Connection, source: str, key: str) -> Any:
    """The Global Customer ID a source record is linked to."""
    from app.customer.models import source_customer

    return conn.execute(
        select(source_customer.c.global_customer_id).where(
            source_customer.c.source_system == source, source_customer.c.source_customer_id == key
        )
    ).scalar_one()


def free_port() -> int:
    """A TCP port on loopback nothing listens on (for a server a test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def truncate_all(engine: Engine) -> None:
    """Empty every Enterprise Brain table (integration tests, whose worker commits for real)."""
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as connection:
        # the access log refuses deletion but to its retention purge, which says so like this
        connection.execute(text("SET LOCAL c360.access_log_purge = 'on'"))
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
