"""`c360 sources create` makes the demo sources and records them: with no source named in the
environment, every c360 process then polls exactly the sources it created."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from app import db
from app.cli import main
from app.config import SOURCE_SYSTEMS, Settings, demo_sources_file
from sandbox.sources import demo_source_urls, drop_sources, mysql_reachable
from tests.conftest import environment


def test_created_demo_sources_are_the_ones_polled(database_url: str, tmp_path: Path) -> None:
    brain = db.sibling_url(database_url, "_demo")
    unset = {f"C360_SOURCE_{name.upper()}_URL": None for name in SOURCE_SYSTEMS}
    with environment(C360_HOME=str(tmp_path), C360_DATABASE_URL=brain, **unset):
        assert Settings.from_env().source_urls == {}  # nothing created, nothing polled
        result = CliRunner().invoke(main, ["sources", "create"])
        assert result.exit_code == 0, result.output
        polled = Settings.from_env().source_urls
        try:
            assert demo_sources_file().exists()
            expected = set(SOURCE_SYSTEMS)
            if not mysql_reachable(demo_source_urls(brain, tmp_path)["dfs"])[0]:
                expected -= {"dfs"}  # dfs only where a MySQL/MariaDB answers
            assert set(polled) == expected
            assert polled["core"].endswith("_test_demo_src_core")
            engine = create_engine(polled["core"])
            try:
                assert "Customers" in inspect(engine).get_table_names()
            finally:
                engine.dispose()
        finally:
            drop_sources(polled)
