"""One extraction per source at a time, on any host: a PostgreSQL session advisory lock, which
dies with its connection if the worker dies."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from app import db

EXTRACT_LOCK_NAMESPACE = 3602


@contextmanager
def exclusive_extraction(name: str, *, wait: bool = False) -> Iterator[bool]:
    """Yields whether this process holds the lock `name` (a source, or a source's scan). Polls
    skip when it is taken (the next poll comes in a second); a backfill waits (`wait`) for the
    running poll."""
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big", signed=True)
    query = (
        "SELECT true FROM pg_advisory_lock(:ns, :key)"  # blocks until the lock is free
        if wait
        else "SELECT pg_try_advisory_lock(:ns, :key)"
    )
    with db.get_engine().connect() as conn:
        got = conn.execute(text(query), {"ns": EXTRACT_LOCK_NAMESPACE, "key": key}).scalar_one()
        conn.commit()
        try:
            yield bool(got)
        finally:
            if got:
                conn.execute(
                    text("SELECT pg_advisory_unlock(:ns, :key)"),
                    {"ns": EXTRACT_LOCK_NAMESPACE, "key": key},
                )
                conn.commit()
