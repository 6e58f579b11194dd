"""Fixtures for the connector tests: throwaway demo sources on the local PostgreSQL and SQLite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from connectors.demo import create_sources, drop_sources

PG_SERVER = os.environ.get("C360_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


@pytest.fixture(scope="module")
def source_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """core/channel databases and a fraud SQLite file, created with sample data, dropped after.
    The pid suffix keeps parallel test runs on one server apart."""
    engine = create_engine(f"{PG_SERVER}/postgres")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as error:
        pytest.skip(f"no PostgreSQL at {PG_SERVER}: {error}")
    finally:
        engine.dispose()
    suffix = os.getpid()
    fraud_db: Path = tmp_path_factory.mktemp("fraud") / "risk_management.db"
    urls = {
        "core": f"{PG_SERVER}/c360_conn_test_core_{suffix}",
        "channel": f"{PG_SERVER}/c360_conn_test_channel_{suffix}",
        "fraud": f"sqlite:///{fraud_db}",
    }
    drop_sources(urls)
    create_sources(urls, sample=True)
    yield urls
    drop_sources(urls)
