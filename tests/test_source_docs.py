"""A page per source: every source the connectors registry holds has one under docs/sources/,
linked from docs/sources.md, naming each stream, watch and scan its connector declares, so a
stream added to a connector is a page to update."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import SOURCE_SYSTEMS
from connectors import CONNECTORS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def declared_streams(source: str) -> list[str]:
    connector = CONNECTORS[source]
    return [
        stream.name
        for group in (connector.streams, connector.watches, connector.scans)
        for stream in group
    ]


@pytest.mark.parametrize("source", SOURCE_SYSTEMS)
def test_each_source_has_a_page_naming_its_streams(source: str) -> None:
    page = DOCS / "sources" / f"{source}.md"
    assert page.exists(), f"no page for {source}"
    text = page.read_text()
    assert text.startswith(f"# {source}: ")
    missing = [name for name in declared_streams(source) if f"`{name}`" not in text]
    assert missing == [], f"{page.name} does not name {missing}"
    assert f"`connectors/{CONNECTORS[source].__module__.split('.')[-1]}.py`" in text
    assert f"`C360_SOURCE_{source.upper()}_URL`" in text


def test_the_sources_index_links_every_page_and_no_other() -> None:
    index = (DOCS / "sources.md").read_text()
    pages = {page.stem for page in (DOCS / "sources").glob("*.md")}
    assert pages == set(SOURCE_SYSTEMS)
    assert all(f"(sources/{source}.md)" in index for source in SOURCE_SYSTEMS)


def test_a_stream_the_page_does_not_name_is_found() -> None:
    assert "customers" in declared_streams("core")
    assert "security_alerts_open" in declared_streams("channel")
    assert "users_scan" in declared_streams("dfs")
