"""The embedded services stop when their home (the checkout) is deleted: a watcher started
beside them, detached from the command that started them, stops them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from app.embedded import _watch
from app.embedded_watch import CHECK_EVERY, GRACE, alive, watch


def a_service() -> subprocess.Popen[bytes]:
    """A process standing in for the embedded Redis or PostgreSQL: like them, it stops on
    SIGINT, even when started where SIGINT is ignored (a shell's background job)."""
    stops_on_sigint = (
        "import signal, time; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "time.sleep(300)"
    )
    return subprocess.Popen([sys.executable, "-c", stops_on_sigint])


def test_the_watcher_stops_the_services_once_their_home_is_gone(tmp_path: Path) -> None:
    home = tmp_path / ".c360"
    home.mkdir()
    service = a_service()
    watcher = threading.Thread(target=watch, args=(home, [service.pid], 0.05))
    watcher.start()
    time.sleep(0.3)
    assert service.poll() is None and watcher.is_alive()  # the home is there: left alone
    shutil.rmtree(home)
    watcher.join(timeout=GRACE + 5)
    assert not watcher.is_alive()
    assert service.wait(timeout=5) is not None


def test_the_watcher_ends_when_the_services_stop_by_themselves(tmp_path: Path) -> None:
    service = a_service()
    watcher = threading.Thread(target=watch, args=(tmp_path, [service.pid], 0.05))
    watcher.start()
    service.terminate()
    service.wait()
    watcher.join(timeout=5)
    assert not watcher.is_alive() and tmp_path.exists()


def test_starting_the_services_starts_one_detached_watcher_that_outlives_it(tmp_path: Path):
    home = tmp_path / ".c360"
    (home / "pg").mkdir(parents=True)
    redis, postgres = a_service(), a_service()
    (home / "redis.pid").write_text(f"{redis.pid}\n")
    (home / "pg" / "postmaster.pid").write_text(f"{postgres.pid}\n/some/data\n")
    _watch(home)
    first = int((home / "watch.pid").read_text())
    _watch(home)  # the services started again: the watcher running is kept
    assert int((home / "watch.pid").read_text()) == first and alive(first)

    shutil.rmtree(tmp_path)
    deadline = time.monotonic() + CHECK_EVERY + GRACE + 5
    while (redis.poll() is None or postgres.poll() is None) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert redis.poll() is not None and postgres.poll() is not None
