"""Helpers shared by the connector tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app import db
from app.config import Settings
from connectors.base import Connector, Cursor, SourceRow, Stream
from sandbox.sources import create_sources, drop_sources


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
    """core/channel databases beside the run's Enterprise Brain (`<db>_<name>_<pid>_core|
    channel`: on the CI's PostgreSQL and the embedded one alike) and a fraud SQLite file,
    dropped after; the pid keeps parallel runs on one server apart."""
    server = Settings.from_env().database_url
    if not server:
        pytest.exit("C360_DATABASE_URL unset and no embedded services (make test)")
    urls = {
        "core": db.sibling_url(server, f"_{name}_{os.getpid()}_core"),
        "channel": db.sibling_url(server, f"_{name}_{os.getpid()}_channel"),
        "fraud": f"sqlite:///{fraud_db}",
    }
    drop_sources(urls)
    create_sources(urls, sample=sample)
    try:
        yield urls
    finally:
        drop_sources(urls)
