"""Start-up against a database that does not exist: one line (URL with the password masked,
what failed, what to do) and exit status 1 from the CLI, the worker and beat; no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url

from app import processes

pytestmark = pytest.mark.integration


@pytest.fixture
def missing_database(database_url: str) -> dict[str, str]:
    url = make_url(database_url).set(database="c360_nowhere", password="s3cret-pw")
    return {
        **os.environ,
        "C360_DATABASE_URL": url.render_as_string(hide_password=False),
        "C360_SOURCE_CORE_URL": "sqlite://",
    }


def run(
    command: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", [["status"], ["db", "upgrade"], ["quarantine", "list"]])
def test_the_cli_says_what_to_do_in_one_line(missing_database, command):
    result = run([sys.executable, "-m", "app.cli", *command], missing_database)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert 'database "c360_nowhere" does not exist' in lines[0]
    assert "createdb c360_nowhere" in lines[0] and "c360 db upgrade" in lines[0]
    assert "s3cret-pw" not in result.stderr and "***" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("command", [processes.worker_command(), processes.beat_command()])
def test_worker_and_beat_stop_with_one_line(missing_database, command, tmp_path):
    result = run(command, missing_database)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    said = [line for line in output.splitlines() if "c360_nowhere" in line]
    assert len(said) == 1, output[-3000:]
    assert "createdb c360_nowhere" in output
    assert "Traceback" not in output and "s3cret-pw" not in output
