"""One engine per process, and the read engine (a replica, or the primary)."""

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Engine,
    create_engine,
    event,
    exc,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import ConnectionPoolEntry

_engine: Engine | None = None
_read_engine: Engine | None = None
_engines_made = threading.RLock()  # an API process's threads may ask for the first at once


def get_engine() -> Engine:
    """The process-wide engine; created lazily so forked workers make their own."""
    global _engine
    with _engines_made:
        if _engine is None:
            from app.config import Settings

            url = Settings.from_env().database_url
            if not url:
                raise RuntimeError(
                    "C360_DATABASE_URL is not set and no embedded database runs: "
                    "run `c360 services up` or set C360_DATABASE_URL"
                )
            _engine = _pooled_engine(url)
        return _engine


# A pooled connection idle longer than this is pinged before use (a database restarted or a
# proxy's idle timeout may have closed it); one used more recently is known alive, and a
# round trip a checkout is what an API request can least afford (docs/scale.md).
PING_AFTER_IDLE_SECONDS = 1.0


def _pooled_engine(url: str) -> Engine:
    engine = create_engine(url, pool_size=5, max_overflow=5, connect_args={"connect_timeout": 5})
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", _pinging_if_idle(engine.dialect))
    return engine


def _note_checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _pinging_if_idle(dialect: Dialect) -> Callable[..., None]:
    """The pool's pre-ping, for idle connections only: a dead one is replaced (the pool
    retries a checkout refused with DisconnectionError)."""

    def ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or time.monotonic() - checked_in_at < PING_AFTER_IDLE_SECONDS:
            return  # just connected, or just used
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error

    return ping_if_idle


def get_read_engine() -> Engine:
    """Where the API's customer reads go: a streaming replica when C360_READ_DATABASE_URL names
    one, else the primary."""
    global _read_engine
    with _engines_made:
        if _read_engine is None:
            from app.config import Settings

            url = Settings.from_env().read_database_url
            _read_engine = _pooled_engine(url) if url else get_engine()
        return _read_engine


def set_engine(engine: Engine | None) -> None:
    """Replace the process engine (tests, and after a fork); reads follow it unless a replica
    is configured."""
    global _engine
    if _engine is not None and _engine is not engine:
        _engine.dispose(close=False)
    _engine = engine
    _forget_read_engine()


def dispose_engine() -> None:
    """Drop pooled connections inherited over fork (Superset's worker_process_init pattern)."""
    global _engine
    if _engine is not None:
        _engine.dispose(close=False)
        _engine = None
    _forget_read_engine()


def _forget_read_engine() -> None:
    global _read_engine
    if _read_engine is not None and _read_engine is not _engine:
        _read_engine.dispose(close=False)
    _read_engine = None
