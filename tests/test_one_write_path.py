"""Profiles and their links are written by one module (`app/customer/profiles.py`): a batch's
resolution, a steward's action and the golden record call it. This holds every other module of
the runtime to that, for SQLAlchemy statements and SQL text alike."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRITER = ROOT / "app" / "customer" / "profiles.py"
TABLES = {"customer_360", "source_customer"}
_WRITES = {"insert", "update", "delete", "pg_insert"}
_SQL_WRITE = re.compile(
    r"\b(insert\s+into|update|delete\s+from)\s+(customer_360|source_customer)\b", re.IGNORECASE
)


def writes_in(source: str) -> list[str]:
    """The statements in this module's source that write a profile or a link."""
    tree = ast.parse(source)
    aliases = set(TABLES)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name):
            if node.value.id in TABLES:
                aliases |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            name = node.func.id if isinstance(node.func, ast.Name) else None
            target = node.args[0]
            if name in _WRITES and isinstance(target, ast.Name) and target.id in aliases:
                found.append(f"line {node.lineno}: {name}({target.id})")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [f"line {node.lineno}: {m.group(0)}" for m in _SQL_WRITE.finditer(node.value)]
    return found


def test_only_the_profiles_module_writes_profiles_and_links():
    modules = [p for d in ("app", "tasks", "connectors") for p in (ROOT / d).rglob("*.py")]
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in modules
        if path != WRITER and (found := writes_in(path.read_text()))
    }
    assert offenders == {}
    assert writes_in(WRITER.read_text()), "the writer itself writes"


def test_the_check_sees_each_way_of_writing():
    assert writes_in("sc = source_customer\nconn.execute(update(sc).values(x=1))")
    assert writes_in("conn.execute(insert(customer_360).values(x=1))")
    assert writes_in("conn.execute(pg_insert(source_customer))")
    assert writes_in('conn.execute(text("UPDATE source_customer sc SET x = 1"))')
    assert writes_in('q = """\n  insert into customer_360 (a) values (1)"""')
    assert not writes_in("conn.execute(select(source_customer))")
    assert not writes_in('text("SELECT * FROM customer_360 WHERE updated_at > now()")')
