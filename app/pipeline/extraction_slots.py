"""Extraction never takes every process of a worker while staged batches wait.

A worker of N processes has N - 1 extraction slots for polls, scans and backfill slices, and
one spare that only polls and scans may take, only while no staged batch waits, and then for
short work (a poll reads one page per stream, the next poll reads on from the checkpoint; a
scan reads in chunks): so at most one such task's time after a batch is staged, a process is
free for it (match, upsert, risk), however many sources poll and backfill. Celery has no
per-queue concurrency inside one worker (its answer, a second worker consuming only `extract`,
is not the one `celery -A tasks worker` the deployment runs), hence this. A slot is a session
advisory lock named for the worker, so a killed process frees its slot with its connection.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum

from sqlalchemy import Connection, text

from app import db
from app.pipeline.batches import staged_waiting

EXTRACTION_SLOT_NAMESPACE = 3605  # 3602 extraction per source, 3604 the beat leader
_pool: dict[str, str | int] = {"worker": socket.gethostname(), "processes": 2}


class Slot(Enum):
    NONE = "none"  # every slot taken: skip (a poll, a scan) or come back later (a backfill slice)
    SLOT = "slot"
    SPARE = "spare"  # the last process's: only with no batch waiting, for short work

    def __bool__(self) -> bool:
        return self is not Slot.NONE


def configure(worker: str, concurrency: int) -> None:
    """The worker's name and process count (a signal, in the worker before its pool forks)."""
    _pool.update(worker=worker, processes=max(1, concurrency))


def _slot_key(worker: str, index: int) -> int:
    digest = hashlib.blake2b(f"{worker}:{index}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


def _try(conn: Connection, key: int) -> bool:
    return conn.execute(
        text("SELECT pg_try_advisory_lock(:ns, :key)"),
        {"ns": EXTRACTION_SLOT_NAMESPACE, "key": key},
    ).scalar_one()


@contextmanager
def extraction_slot(*, spare: bool = False) -> Iterator[Slot]:
    """Yields the slot this process holds for an extraction task (it never waits). With
    `spare` (a poll, a scan), the spare slot is tried first while no batch waits."""
    worker, processes = str(_pool["worker"]), int(_pool["processes"])
    with db.get_engine().connect() as conn:
        # a poll tries the spare first: the other slots stay free for scans and backfill slices,
        # which may not take the spare and would otherwise wait a whole interval
        candidates = [(index, Slot.SLOT) for index in range(max(1, processes - 1))]
        if spare and processes > 1 and not staged_waiting(conn, 1):
            candidates.insert(0, (processes - 1, Slot.SPARE))
        held, kind = None, Slot.NONE
        for index, slot in candidates:
            if _try(conn, key := _slot_key(worker, index)):
                held, kind = key, slot
                break
        conn.commit()
        try:
            yield kind
        finally:
            if held is not None:
                conn.execute(
                    text("SELECT pg_advisory_unlock(:ns, :key)"),
                    {"ns": EXTRACTION_SLOT_NAMESPACE, "key": held},
                )
                conn.commit()
