"""Stops the embedded PostgreSQL and Redis once their home is gone (`python -m
app.embedded_watch HOME PID...`): a checkout deleted with them running would otherwise leave
them running, holding memory, with no state left to stop them by."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

CHECK_EVERY = 5.0  # seconds between looks at the home
GRACE = 10.0  # seconds a service has to stop before it is killed


def alive(pid: int) -> bool:
    """The process runs (one that exited but was not yet reaped by its parent does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # /proc/PID/stat: "PID (name) STATE ..."; Z is a zombie
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def stop(pids: list[int]) -> None:
    """Ask each to stop (PostgreSQL's fast shutdown, Redis's clean exit), then kill."""
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + GRACE
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def watch(home: Path, pids: list[int], every: float = CHECK_EVERY) -> None:
    """Until the services stop by themselves, or their home goes (then they are stopped)."""
    while any(alive(pid) for pid in pids):
        if not home.exists():
            stop(pids)
            return
        time.sleep(every)


def main(argv: list[str]) -> None:
    home, *pids = argv
    watch(Path(home), [int(pid) for pid in pids])


if __name__ == "__main__":
    main(sys.argv[1:])
