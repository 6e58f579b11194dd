"""Fixtures for the connector tests: throwaway demo sources on the local PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.connectors.helpers import throwaway_sources


@pytest.fixture(scope="module")
def source_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """core/channel databases and a fraud SQLite file, created with sample data, dropped after."""
    fraud_db = tmp_path_factory.mktemp("fraud") / "risk_management.db"
    with throwaway_sources("conn_test", fraud_db, sample=True) as urls:
        yield urls
