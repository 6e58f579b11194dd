"""`c360 backfill --wait` as a person runs it on a terminal (a pseudo-terminal: rich's live
display) and as a script runs it through a pipe (plain lines), against the real pipeline:
both end on a summary line and an exit status that matches it."""

from __future__ import annotations

import subprocess
import sys

import pexpect
import pytest
from sqlalchemy import create_engine, text

from sandbox.simulator import Simulator

pytestmark = pytest.mark.integration

BACKFILL = [sys.executable, "-m", "app.cli", "backfill", "core", "--since", "2020-01-01T00:00:00Z"]


@pytest.fixture
def landed(pipeline):
    simulator = Simulator(pipeline.source_urls, seed=47)
    try:
        for _ in range(5):
            person = simulator.new_customer()
            simulator.post_transaction(person["account_id"], "1500", "Credit", "BRANCH")
    finally:
        simulator.close()
    pipeline.wait_until(
        lambda: pipeline.idle() and pipeline.scalar("SELECT count(*) FROM transaction_360") == 5,
        timeout=60,
    )
    return pipeline


def test_on_a_terminal_a_live_display_then_a_summary(landed):
    child = pexpect.spawn(
        BACKFILL[0], [*BACKFILL[1:], "--wait"], encoding="utf-8", timeout=90,
        dimensions=(30, 160),
    )  # fmt: skip
    child.expect(r"records/s")  # the live display: a rate per source
    child.expect(r"ETA")
    child.expect(r"backfill done: 15 records in [\d.]+ s \(core 15\), 0 quarantined, 0 failed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_through_a_pipe_plain_lines_then_a_summary(landed):
    result = subprocess.run([*BACKFILL, "--wait"], capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "\r" not in result.stdout  # no line rewritten in place
    assert lines[0].startswith("backfill ") and lines[0].endswith(" of core queued")
    assert any(line.startswith("core: ") and "records" in line for line in lines)
    assert lines[-1].startswith("backfill done: 15 records")
    assert lines[-1].endswith("0 quarantined, 0 failed")


def test_a_failure_ends_with_exit_status_1(landed):
    # a table of the source gone: the backfill's extraction fails in the worker
    engine = create_engine(landed.source_urls["core"])
    with engine.begin() as conn:
        conn.execute(text('DROP TABLE "Loans"'))
    engine.dispose()
    result = subprocess.run(
        [*BACKFILL, "--wait", "--timeout", "60"], capture_output=True, text=True, timeout=90
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1].startswith("backfill FAILED")
