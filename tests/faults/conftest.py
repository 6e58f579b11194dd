"""Fault tests: the real pipeline (worker and beat subprocesses) with faults injected mid-load.

They take minutes and restart shared services, so they run only when asked: `make faults`
(`pytest tests/faults -m faults`). A plain `pytest` collects and skips them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.config import Settings
from sandbox.sources import create_sources, drop_sources
from tests.conftest import truncate_all
from tests.pipeline.conftest import Pipeline, purge_queues, source_urls

__all__ = ["source_urls"]  # the session fixture, re-exported so these tests can use it

# Small pages make a 50,000-row load ~25 batches; a short sweep lets a lost batch come back
# within seconds instead of the production minute.
FAULT_ENV = {
    "C360_POLL_INTERVAL": "0.5",
    "C360_PAGE_SIZE": "2000",
    "C360_SWEEP_AFTER_SECONDS": "3",
    "C360_SWEEP_INTERVAL": "2",
    "C360_LOOKBACK_SECONDS": "10",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # With a -m expression naming faults, pytest's own selection decides; without one, skip.
    if "faults" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="fault tests run only with -m faults (make faults)")
    for item in items:
        if item.get_closest_marker("faults"):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    report = yield
    handle = getattr(item, "funcargs", {}).get("pipeline") if report.failed else None
    if isinstance(handle, Pipeline):
        for name in ("worker", "beat"):
            report.sections.append((f"{name} log (tail)", handle.log(name)))
    return report


@pytest.fixture
def pipeline(
    engine: Engine,
    source_urls: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Pipeline]:
    """Empty Enterprise Brain and sources, fault-test settings, nothing running yet: each test
    loads its data first and then starts the worker and beat."""
    for key, value in FAULT_ENV.items():
        monkeypatch.setenv(key, value)
    redis_url = Settings.from_env().redis_url
    truncate_all(engine)
    drop_sources(source_urls)
    create_sources(source_urls, sample=False)
    purge_queues(redis_url)
    handle = Pipeline(engine, source_urls, tmp_path, {})
    try:
        yield handle
    finally:
        handle.stop()
        purge_queues(redis_url)
        engine.dispose()  # a restarted server leaves dead pooled connections behind
        truncate_all(engine)
        drop_sources(source_urls)
