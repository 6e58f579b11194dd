"""Helpers shared by the connector tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from connectors.base import Connector, Cursor, SourceRow, Stream
from connectors.demo import create_sources, drop_sources

PG_SERVER = os.environ.get("C360_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


def read_all(
    connector: Connector, stream: Stream, after: Cursor | None, limit: int
) -> list[SourceRow]:
    """Every row of the stream after `after`, page by page as the pipeline reads it."""
    rows: list[SourceRow] = []
    while page := connector.fetch(stream, after, limit):
        assert len(page) <= limit
        rows += page
        after = page[-1].cursor
    return rows


@contextmanager
def throwaway_sources(name: str, fraud_db: Path, sample: bool) -> Iterator[dict[str, str]]:
    """core/channel databases `<name>_<pid>_core|channel` and a fraud SQLite file, dropped
    after; the pid keeps parallel runs on one server apart. Skips without PostgreSQL."""
    engine = create_engine(f"{PG_SERVER}/postgres")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as error:
        pytest.skip(f"no PostgreSQL at {PG_SERVER}: {error}")
    finally:
        engine.dispose()
    urls = {
        "core": f"{PG_SERVER}/{name}_{os.getpid()}_core",
        "channel": f"{PG_SERVER}/{name}_{os.getpid()}_channel",
        "fraud": f"sqlite:///{fraud_db}",
    }
    drop_sources(urls)
    create_sources(urls, sample=sample)
    try:
        yield urls
    finally:
        drop_sources(urls)
