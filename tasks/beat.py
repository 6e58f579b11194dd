"""One scheduler, however many beat processes run: only the holder of a PostgreSQL session
advisory lock sends due tasks. A second beat started by mistake stands by and takes over
within one tick if the first dies (its lock goes with its connection).

While the database is down nobody holds the lock, and while the broker is down nothing can be
sent: beat stands by, checking once a tick, and tells each outage in two lines
(`app/ops/outages.py`). Nothing piles up meanwhile: an entry due during the outage is sent once
when it ends, as any due entry is."""

from __future__ import annotations

import logging
from typing import Any

from celery.beat import PersistentScheduler, ScheduleEntry, SchedulingError
from kombu import Producer
from sqlalchemy import Connection, text

from app import db
from app.ops.outages import BROKER, DATABASE, DATABASE_ERRORS
from app.ops.service import broker_answers

log = logging.getLogger("c360.beat")
celery_log = logging.getLogger("celery.beat")
BEAT_LOCK = (3604, 0)
STANDBY_TICK_S = 1.0


class SingleBeatScheduler(PersistentScheduler):
    _conn: Connection | None = None

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._holds_lock():
            return STANDBY_TICK_S
        if BROKER.ongoing:
            if not broker_answers(self.app.conf.broker_url):
                return STANDBY_TICK_S
            BROKER.answered()
        return super().tick(*args, **kwargs)

    def apply_entry(self, entry: ScheduleEntry, producer: Producer | None = None) -> None:
        """Celery's, but a broker outage is told once, not as a traceback per entry per tick."""
        celery_log.info("Scheduler: Sending due task %s (%s)", entry.name, entry.task)
        try:
            self.apply_async(entry, producer=producer, advance=False)
        except SchedulingError as error:
            if broker_answers(self.app.conf.broker_url):
                log.error("scheduled task %s not sent", entry.name, exc_info=True)
            else:
                BROKER.failed(error.__cause__ or error)

    def _holds_lock(self) -> bool:
        try:
            holds = self._lock_held()
        except DATABASE_ERRORS as error:  # database unreachable: nobody can be sure to hold it
            DATABASE.failed(error)
            if self._conn is not None:
                self._conn.invalidate()
                self._conn = None
            return False
        DATABASE.answered()
        return holds

    def _lock_held(self) -> bool:
        if self._conn is not None and not self._conn.closed:
            self._conn.execute(text("SELECT 1"))  # still connected, so still the holder
            self._conn.commit()
            return True
        self._conn = db.get_engine().connect()
        got = self._conn.execute(
            text("SELECT pg_try_advisory_lock(:a, :b)"), {"a": BEAT_LOCK[0], "b": BEAT_LOCK[1]}
        ).scalar_one()
        self._conn.commit()
        if not got:
            self._conn.close()
            self._conn = None
            return False
        log.info("this beat holds the scheduler lock")
        return True

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        super().close()
