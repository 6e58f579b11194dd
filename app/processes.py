"""Start the pipeline's processes (worker, beat, Flower, API) as children of a c360 command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


def api_command(port: int = 8000, workers: int = 2) -> list[str]:
    """The HTTP API under gunicorn, on localhost (a reverse proxy in front serves it further)."""
    return [
        sys.executable, "-m", "gunicorn", "app:create_app()",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
    ]  # fmt: skip


def consume_command() -> list[str]:
    """The AMQP intake of the sources' events (`c360 consume`)."""
    return [sys.executable, "-m", "app.cli", "consume"]


def relay_command() -> list[str]:
    """The delivery of the Brain's events to RabbitMQ and webhooks (`c360 relay`)."""
    return [sys.executable, "-m", "app.cli", "relay"]


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


# A child that died is started again after these waits, the longer the more often it died in a
# row (a worker whose database is down exits at once, and would otherwise be restarted in a
# loop); one that stays up STEADY_AFTER_S starts from the first wait again.
RESTART_BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
STEADY_AFTER_S = 60.0


@dataclass
class _Supervised:
    process: subprocess.Popen
    started_at: float
    deaths: int = 0  # in a row, without staying up STEADY_AFTER_S between them
    restart_at: float | None = None


class Supervisor:
    """Keeps the named commands running, as `c360 run` does: a child that exits (a bug, the
    OOM killer) is started again with backoff, and `report` is told of each exit and restart
    in one line."""

    def __init__(
        self, commands: dict[str, list[str]], logdir: Path | None, report: Callable[[str], None]
    ) -> None:
        self.commands, self.logdir, self.report = commands, logdir, report
        self.children: dict[str, _Supervised] = {}

    def start(self) -> None:
        for name in self.commands:
            self._start(name)

    def check(self) -> None:
        """Notice the children that exited, and start those whose wait is over."""
        now = time.monotonic()
        for name, child in list(self.children.items()):
            status = child.process.poll()
            if status is None:
                if child.deaths and now - child.started_at > STEADY_AFTER_S:
                    child.deaths = 0
            elif child.restart_at is None:
                wait = RESTART_BACKOFF_S[min(child.deaths, len(RESTART_BACKOFF_S) - 1)]
                child.deaths += 1
                child.restart_at = now + wait
                self.report(f"{name} exited with status {status}; starting it again in {wait:g} s")
            elif now >= child.restart_at:
                self._start(name, deaths=child.deaths)
                self.report(f"{name} started again (pid {self.children[name].process.pid})")

    def stop(self) -> None:
        for child in reversed(self.children.values()):
            stop(child.process)

    def _start(self, name: str, deaths: int = 0) -> None:
        log = self.logdir / f"{name}.log" if self.logdir else None
        self.children[name] = _Supervised(start(self.commands[name], log), time.monotonic(), deaths)


@contextmanager
def supervised(
    commands: dict[str, list[str]], logdir: Path | None, report: Callable[[str], None]
) -> Iterator[Supervisor]:
    """Run and supervise the commands for the duration of the block; all are stopped on the
    way out, a SIGTERM to us included."""
    supervisor = Supervisor(commands, logdir, report)
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        supervisor.start()
        yield supervisor
    finally:
        supervisor.stop()
        signal.signal(signal.SIGTERM, previous)
