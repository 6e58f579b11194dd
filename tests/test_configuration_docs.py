"""The configuration table in docs/operations.md and the environment the code reads agree:
every variable read is documented, and every documented variable is read."""

from __future__ import annotations

import re
from pathlib import Path

from app.config import SOURCE_SYSTEMS

ROOT = Path(__file__).resolve().parent.parent
CODE = ("app", "tasks", "connectors")
# a Flask config key that holds the settings object, not a variable of the environment
NOT_ENVIRONMENT = {"C360_SETTINGS"}


def read_by_the_code() -> set[str]:
    names = set()
    for package in CODE:
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text()
            names |= set(re.findall(r"[\"'](C360_[A-Z0-9_]+)[\"']", text))
            # f"C360_SOURCE_{name.upper()}_URL": one per source, documented with <NAME>
            names |= {
                f"C360_{head}<NAME>{tail}"
                for head, tail in re.findall(r"f[\"']C360_([A-Z_]*)\{[^}]+\}([A-Z_]*)[\"']", text)
            }
    return names - NOT_ENVIRONMENT


def documented() -> set[str]:
    page = (ROOT / "docs" / "operations.md").read_text()
    section = page.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `C360_")]
    first_cells = [row.split("|")[1] for row in rows]
    return {name for cell in first_cells for name in re.findall(r"`(C360_[A-Z0-9_<>]+)`", cell)}


def test_every_variable_read_is_in_the_configuration_table_and_no_other():
    table = documented()
    # the table names each source's URL variable; the code builds them from the source list
    table_sources = {name for name in table if re.fullmatch(r"C360_SOURCE_[A-Z0-9_]+_URL", name)}
    read = read_by_the_code()
    assert "C360_SOURCE_<NAME>_URL" in read
    assert table_sources == {f"C360_SOURCE_{name.upper()}_URL" for name in SOURCE_SYSTEMS}
    read = (read - {"C360_SOURCE_<NAME>_URL"}) | table_sources
    assert read == table, (
        f"read but not documented: {sorted(read - table)}; "
        f"documented but not read: {sorted(table - read)}"
    )
