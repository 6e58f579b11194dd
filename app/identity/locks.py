"""Advisory locks that serialize identity work on the same identifiers across workers.

Identifiers hash into a fixed number of buckets so a large batch takes a bounded number of
locks; buckets are always taken in ascending order, so two batches never deadlock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import Connection, text

LOCK_NAMESPACE = 3601
IDENTITY_NAMESPACE = 3603
BUCKETS = 512


def bucket(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big") % BUCKETS


def lock_keys(conn: Connection, keys: Iterable[str], *, shared: bool = False) -> None:
    """Take (shared or exclusive) transaction-scoped locks on the buckets of `keys`."""
    buckets = sorted({bucket(k) for k in keys})
    if not buckets:
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    conn.execute(
        text(
            f"SELECT {function}(:ns, b) FROM (SELECT unnest(CAST(:buckets AS int[])) AS b "
            "ORDER BY 1) AS ordered"
        ),
        {"ns": LOCK_NAMESPACE, "buckets": buckets},
    )


def lock_identity(conn: Connection) -> None:
    """The identity lock: one resolution at a time across every worker (the batch is the unit,
    so this stays fast). Taken before any bucket lock, so it cannot deadlock with them."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:ns, 0)"), {"ns": IDENTITY_NAMESPACE})


def customer_key(source_system: str, source_customer_id: str) -> str:
    return f"src:{source_system}:{source_customer_id}"


def business_key(source_system: str, key: str) -> str:
    return f"bk:{source_system}:{key}"
