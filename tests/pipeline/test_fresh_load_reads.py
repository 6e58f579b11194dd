"""A Brain just loaded reads as fast as a settled one: after a backfill into a newly migrated
Brain, on tables autovacuum leaves alone, a profile read takes no more than twice what it takes
once a person has run ANALYZE by hand (app/ops/planner_statistics.py)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app import db
from app.migrate import upgrade
from app.ops.planner_statistics import stale_tables
from app.profile.service import get_profile
from sandbox.loaded_sources import load_sources
from sandbox.sources import create_sources, drop_sources
from tests.conftest import environment
from tests.pipeline.conftest import running_pipeline

pytestmark = pytest.mark.integration

# enough people that a profile read planned on an empty table's statistics is many times slower
# than one planned on the table's own (about 3 times at 3,000, 50 times at 20,000)
PEOPLE = 6000
SAMPLED_PROFILES = 40


@pytest.fixture
def fresh_brain(database_url: str, source_urls: dict[str, str], tmp_path: Path) -> Iterator:
    """A newly migrated Brain of its own, autovacuum off on every table whatever the server's
    setting, loaded sources, and a worker and beat on it. Beat's own statistics check is put an
    hour apart: what keeps the statistics up here is the load's batches themselves."""
    url = db.sibling_url(database_url, "_fresh")
    db.recreate_database(url)
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in conn.execute(
            text(
                "SELECT relname FROM pg_class WHERE relkind = 'r'"
                " AND relnamespace = CAST(current_schema() AS regnamespace)"
            )
        ).scalars():
            conn.execute(text(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)'))
    load_sources(source_urls, PEOPLE)
    try:
        with (
            environment(C360_DATABASE_URL=url, C360_STATISTICS_INTERVAL="3600"),
            running_pipeline(engine, source_urls, tmp_path) as handle,
        ):
            yield handle
    finally:
        engine.dispose()
        drop_sources(source_urls)
        create_sources(source_urls, sample=False)
        _drop_database(url)


def _drop_database(url: str) -> None:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _read_times(engine: Engine, ids: list) -> float:
    """The median time of a profile read (ms), over the sampled profiles, each read once to
    warm the cache and once timed."""
    times = []
    with engine.connect() as conn:
        for global_id in ids:
            get_profile(conn, global_id)
        for global_id in ids:
            started = time.perf_counter()
            get_profile(conn, global_id)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _stale(engine: Engine) -> dict:
    with engine.connect() as conn:
        return stale_tables(conn)


def test_a_profile_read_after_a_backfill_is_as_fast_as_after_analyze(fresh_brain):
    backfill = subprocess.run(
        [sys.executable, "-m", "app.cli", "backfill", "--all", "--wait"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert backfill.returncode == 0, backfill.stdout + backfill.stderr
    fresh_brain.wait_until(fresh_brain.idle, timeout=120, what="every batch done")
    engine = fresh_brain.engine
    with engine.connect() as conn:
        ids = list(
            conn.execute(
                text(
                    "SELECT global_customer_id FROM customer_360 WHERE merged_into IS NULL"
                    " ORDER BY global_customer_id LIMIT :n"
                ),
                {"n": SAMPLED_PROFILES},
            ).scalars()
        )
    just_loaded = _read_times(engine, ids)
    # and the statistics of the last batches follow within seconds
    fresh_brain.wait_until(
        lambda: _stale(engine) == {}, timeout=15, what="no statistics far behind the contents"
    )

    with db.autocommit(engine) as conn:
        conn.execute(text("ANALYZE"))
    settled = _read_times(engine, ids)
    assert just_loaded <= 2 * settled, (
        f"a read right after the backfill took {just_loaded:.2f} ms, "
        f"{just_loaded / settled:.1f} times the {settled:.2f} ms after ANALYZE"
    )
