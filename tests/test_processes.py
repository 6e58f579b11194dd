"""The supervisor of `c360 run` (app/processes.py) on real child processes: a child that dies is
started again with a growing backoff, each exit and restart told in one line, and every child
stopped on the way out."""

from __future__ import annotations

import time
from pathlib import Path

import psutil

from app import processes
from app.processes import RESTART_BACKOFF_S, supervised


def test_a_dead_child_is_started_again_with_a_growing_backoff(tmp_path: Path) -> None:
    lines: list[str] = []
    commands = {"steady": ["sleep", "60"], "crashing": ["sh", "-c", "exit 3"]}
    with supervised(commands, tmp_path, lines.append) as supervisor:
        steady = supervisor.children["steady"].process.pid
        first = supervisor.children["crashing"].process.pid
        deadline = time.monotonic() + RESTART_BACKOFF_S[0] + RESTART_BACKOFF_S[1] + 5
        while time.monotonic() < deadline and len(lines) < 4:
            supervisor.check()
            time.sleep(0.05)
        assert lines[0] == "crashing exited with status 3; starting it again in 1 s"
        assert lines[1].startswith("crashing started again (pid ")
        assert lines[2] == "crashing exited with status 3; starting it again in 2 s"
        assert lines[3].startswith("crashing started again (pid ")
        assert supervisor.children["crashing"].process.pid != first
        assert supervisor.children["steady"].process.pid == steady  # left alone
        started = [supervisor.children[name].process.pid for name in commands]
    assert not any(psutil.pid_exists(pid) and _alive(pid) for pid in started)


def test_a_child_that_stays_up_starts_its_backoff_afresh(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(processes, "STEADY_AFTER_S", 0.2)
    lines: list[str] = []
    with supervised({"worker": ["sleep", "60"]}, tmp_path, lines.append) as supervisor:
        supervisor.children["worker"].deaths = 4
        time.sleep(0.3)
        supervisor.check()
        assert supervisor.children["worker"].deaths == 0
    assert lines == []


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
