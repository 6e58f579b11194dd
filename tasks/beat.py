"""One scheduler, however many beat processes run: only the holder of a PostgreSQL session
advisory lock sends due tasks. A second beat started by mistake stands by and takes over
within one tick if the first dies (its lock goes with its connection)."""

from __future__ import annotations

import logging
from typing import Any

from celery.beat import PersistentScheduler
from sqlalchemy import Connection, text

from app import db

log = logging.getLogger("c360.beat")
BEAT_LOCK = (3604, 0)
STANDBY_TICK_S = 1.0


class SingleBeatScheduler(PersistentScheduler):
    _conn: Connection | None = None

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._holds_lock():
            return STANDBY_TICK_S
        return super().tick(*args, **kwargs)

    def _holds_lock(self) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = db.get_engine().connect()
                got = self._conn.execute(
                    text("SELECT pg_try_advisory_lock(:a, :b)"),
                    {"a": BEAT_LOCK[0], "b": BEAT_LOCK[1]},
                ).scalar_one()
                self._conn.commit()
                if not got:
                    self._conn.close()
                    self._conn = None
                    return False
                log.info("this beat holds the scheduler lock")
                return True
            self._conn.execute(text("SELECT 1"))  # still connected, so still the holder
            self._conn.commit()
            return True
        except Exception:  # database unreachable: nobody can be sure to hold the lock
            log.warning("scheduler lock unavailable; standing by", exc_info=True)
            if self._conn is not None:
                self._conn.invalidate()
                self._conn = None
            return False

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        super().close()
