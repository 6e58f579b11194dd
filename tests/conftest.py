"""Shared fixtures: a migrated test database on the configured PostgreSQL, per-test rollback."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from app import db
from app.config import Settings
from app.migrate import upgrade
from app.models import metadata


def _server_url() -> str:
    settings = Settings.from_env()
    if not settings.database_url or not settings.redis_url:
        pytest.exit("C360_DATABASE_URL / C360_REDIS_URL unset and no embedded services (make test)")
    # Pin the resolved broker for this run and the worker processes it starts.
    os.environ["C360_REDIS_URL"] = settings.redis_url
    return settings.database_url


@pytest.fixture(scope="session")
def database_url() -> str:
    """A fresh, migrated Enterprise Brain database for this test run (`<db>_test`)."""
    url = db.sibling_url(_server_url(), "_test")
    db.recreate_database(url)
    upgrade(url)
    os.environ["C360_DATABASE_URL"] = url
    return url


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


def truncate_all(engine: Engine) -> None:
    """Empty every Enterprise Brain table (integration tests, whose worker commits for real)."""
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
