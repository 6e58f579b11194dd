"""Start the pipeline's processes (worker, beat, Flower, API) as children of a c360 command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.celeryconfig import QUEUES


def celery_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "tasks", *args]


FLOWER_CREDENTIALS = ("FLOWER_BASIC_AUTH", "FLOWER_AUTH")  # basic auth, or OAuth (Flower's own)


def flower_command(port: int = 5555) -> list[str]:
    """Flower, authenticated by its own options (FLOWER_BASIC_AUTH=user:password, or OAuth via
    FLOWER_AUTH and FLOWER_AUTH_PROVIDER). With no credentials configured it listens on
    localhost only, whatever FLOWER_ADDRESS says: it can shut workers down."""
    secured = any(os.environ.get(name) for name in FLOWER_CREDENTIALS)
    address = os.environ.get("FLOWER_ADDRESS", "0.0.0.0") if secured else "127.0.0.1"
    return celery_command("flower", f"--port={port}", f"--address={address}")


def _log_level() -> str:
    """Celery's own log level follows ours (C360_LOG_LEVEL, INFO by default)."""
    return os.environ.get("C360_LOG_LEVEL", "INFO")


def worker_command(concurrency: int = 2, name: str = "worker") -> list[str]:
    return celery_command(
        "worker",
        f"--loglevel={_log_level()}",
        f"--concurrency={concurrency}",
        "-Q",
        ",".join(QUEUES),
        "-n",
        f"{name}@%h",
    )


def beat_command(schedule: Path | None = None) -> list[str]:
    extra = ["-s", str(schedule)] if schedule else []
    return celery_command("beat", f"--loglevel={_log_level()}", *extra)


def start(command: list[str], log: Path | None = None, **env: str) -> subprocess.Popen:
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (closed with process)
    return subprocess.Popen(
        command,
        stdout=output,
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
        start_new_session=True,  # a terminal's Ctrl-C goes to us, and we stop children cleanly
    )


def stop(process: subprocess.Popen, timeout: float = 20.0) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def running(
    commands: dict[str, list[str]], logdir: Path | None = None
) -> Iterator[dict[str, subprocess.Popen]]:
    """Run the named commands for the duration of the block; all are stopped on the way out.
    Each one's output goes to `<logdir>/<name>.log`."""
    children: dict[str, subprocess.Popen] = {}
    # A SIGTERM to us must still stop the children (they run in their own sessions).
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        for name, command in commands.items():
            children[name] = start(command, logdir / f"{name}.log" if logdir else None)
        time.sleep(0.1)
        yield children
    finally:
        for child in reversed(children.values()):
            stop(child)
        signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)
