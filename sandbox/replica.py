"""PostgreSQL servers of a test's own, started in a scratch folder on ports of their own: a
primary and its streaming standby (the replica test and bench/replica_lag.py: initdb, then
`pg_basebackup -R` from the primary, as a bank's DBA makes a standby), and a lone server a fault
test may crash and start again. The server binaries run as the `postgres` user when this runs
as root (PostgreSQL refuses root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


@dataclass(frozen=True)
class ReplicaPair:
    primary_url: str
    standby_url: str
    folder: Path


def _binary(name: str) -> str:
    for folder in BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: the PostgreSQL server package is needed")
    return found


def _run(*command: str) -> None:
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*as_postgres, *command], check=True, capture_output=True, timeout=120)


def _start(data: Path, port: int) -> None:
    _run(
        _binary("pg_ctl"), "-D", str(data), "-l", str(data.parent / f"{data.name}.log"),
        "-o", f"-p {port} -k {data.parent} -c listen_addresses=127.0.0.1", "-w", "start",
    )  # fmt: skip


@contextmanager
def replica_pair(primary_port: int = 5440, standby_port: int = 5441) -> Iterator[ReplicaPair]:
    """A running primary (database `c360`) and a hot standby streaming from it; both stopped
    and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="c360-replica-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    primary, standby = folder / "primary", folder / "standby"
    started: list[Path] = []
    try:
        _run(_binary("initdb"), "-D", str(primary), "-U", "postgres", "-A", "trust")
        _start(primary, primary_port)
        started.append(primary)
        _run(
            _binary("createdb"), "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
            "c360",
        )  # fmt: skip
        # a standby as a DBA makes one: a base backup that streams the WAL made meanwhile and
        # writes its own recovery settings (-R), after an immediate checkpoint (the default, a
        # spread one, waits minutes on an idle server)
        _run(
            _binary("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port),
            "-U", "postgres", "-D", str(standby), "-R", "-X", "stream", "--checkpoint=fast",
        )  # fmt: skip
        _start(standby, standby_port)
        started.append(standby)
        url = "postgresql+psycopg://postgres@127.0.0.1:{}/c360"
        yield ReplicaPair(url.format(primary_port), url.format(standby_port), folder)
    finally:
        for data in reversed(started):
            _run(_binary("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class ScratchServer:
    url: str  # database `c360`
    data: Path
    port: int

    def crash(self) -> None:
        """Stop at once, as a crash would: no checkpoint, recovery from the WAL at start."""
        _run(_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def start(self) -> None:
        _start(self.data, self.port)


@contextmanager
def scratch_server(port: int) -> Iterator[ScratchServer]:
    """A running server with an empty database `c360`; stopped and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="c360-server-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    server = ScratchServer(
        f"postgresql+psycopg://postgres@127.0.0.1:{port}/c360", folder / "data", port
    )
    try:
        _run(_binary("initdb"), "-D", str(server.data), "-U", "postgres", "-A", "trust")
        server.start()
        _run(_binary("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "c360")
        yield server
    finally:
        subprocess.run(
            [*(["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []),
             _binary("pg_ctl"), "-D", str(server.data), "-m", "immediate", "-w", "stop"],
            capture_output=True, timeout=120,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)
