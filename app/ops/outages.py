"""Outages of the Brain's database and of the broker, told in two lines: one when the service
stops answering, one when it answers again (with how long it was gone).

Every process notices an outage its own way (a poll that fails, beat's scheduler lock, a health
check, the worker's consumer losing its connection, Flower's event capture); each tells this
module instead of logging a traceback per attempt, and waits with backoff meanwhile. The record
of an outage lives in shared memory made when this module is imported, before Celery's worker
forks its pool: a worker's processes share it, so a worker tells each outage once however many
of its processes run into it. Other processes (beat, each API worker, Flower) keep their own.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from app import db

log = logging.getLogger("c360.outage")

# What a lost or refused database connection raises (a restart, a crash, a network cut)
DATABASE_ERRORS = (OperationalError, InterfaceError)


class Outage:
    def __init__(self, service: str) -> None:
        self.service = service
        # seconds since the epoch when it stopped answering; 0 while it answers
        self._since = multiprocessing.Value("d", 0.0)

    @property
    def ongoing(self) -> bool:
        return self._since.value > 0

    def failed(self, error: BaseException | str) -> bool:
        """The service did not answer: told once, by the first process to notice (True)."""
        with self._since.get_lock():
            if self._since.value:
                return False
            self._since.value = time.time()
        log.warning(
            f"{self.service} unreachable; waiting for it with backoff",
            extra={"fields": {"service": self.service, "error": _first_line(error)}},
        )
        return True

    def answered(self) -> float | None:
        """The service answered: if it was down, told once with how long (returned)."""
        if not self._since.value:  # the common case, without taking the lock
            return None
        with self._since.get_lock():
            since, self._since.value = self._since.value, 0.0
        if not since:
            return None
        down_s = round(time.time() - since, 1)
        log.warning(
            f"{self.service} reachable again",
            extra={"fields": {"service": self.service, "down_s": down_s}},
        )
        return down_s


DATABASE = Outage("database")
BROKER = Outage("broker")


def _first_line(error: BaseException | str) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def database_answers() -> bool:
    """Whether the Brain's database takes a connection and a query now: tells an outage from
    an error of the statement that failed."""
    try:
        with db.get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


P = ParamSpec("P")
R = TypeVar("R")


def skipped_while_database_down(function: Callable[P, R]) -> Callable[P, R | None]:
    """For the scheduled tasks (polls, scans, the sweeper, housekeeping) and backfill slices:
    one that meets the database down returns None once the outage is told; its schedule brings
    it back (a backfill's next slice, the sweeper). An error while the database answers is the
    task's own, raised as before."""

    @functools.wraps(function)
    def quiet(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            result = function(*args, **kwargs)
        except DATABASE_ERRORS as error:
            if database_answers():
                raise
            DATABASE.failed(error)
            return None
        DATABASE.answered()
        return result

    return quiet
