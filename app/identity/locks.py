"""Locks that serialize identity work on the same people across workers, and only on them.

Identity: every identifier a resolution reads or writes (a record's source key, its national
ID or passport and that ID's one-deletion variants, its phones and email, its core
CustomerNumber, the profiles it is linked to) is locked, exactly, for the rest of the
transaction. Two resolutions whose people share no connected component share no identifier, so
they run at the same time; two that touch one component wait for each other. The locks are row
locks on `identity_lock` (one row per identifier's 64-bit digest, made on first use): a batch
of a thousand people holds some fourteen thousand of them, more than PostgreSQL's shared lock
table has room for as advisory locks, while row locks live in the rows themselves.

Facts: a fact upsert holds its owners' identifiers (source key or CustomerNumber) shared, all at
once and in ascending order; a resolution holds those of its batch's records, and of every
record it moves, exclusive, so facts are never written against an owner's old profile while it
moves, and a resolution that merely finds a person does not hold up the upsert of their facts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from app.db import array_literal

T = TypeVar("T")
# a later take waited too long, or closed a cycle of waits (PostgreSQL's deadlock detector
# picked this transaction): either way the attempt starts again
GIVE_WAY = {"55P03", "40P01"}

# In ascending order, so that two transactions taking overlapping sets at once cannot deadlock;
# `WHERE false` locks an existing row without writing a new version of it.
_LOCK_IDENTIFIERS = """
INSERT INTO identity_lock (key)
SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k ORDER BY k
ON CONFLICT (key) DO UPDATE SET key = excluded.key WHERE false
"""
_MAKE_IDENTIFIERS = """
INSERT INTO identity_lock (key) SELECT unnest(CAST(:keys AS bigint[])) ON CONFLICT DO NOTHING
"""
_SHARE_IDENTIFIERS = (
    "SELECT key FROM identity_lock WHERE key = ANY(CAST(:keys AS bigint[])) ORDER BY key FOR SHARE"
)


def share(conn: Connection, keys: Iterable[str]) -> None:
    """Hold these identifiers shared to the end of the transaction (a fact upsert holds its
    owners so: no resolution moves them meanwhile, and upserts do not wait for each other)."""
    wanted = sorted({digest(k) for k in keys})
    while wanted:
        keys = {"keys": array_literal(wanted)}
        conn.execute(text(_MAKE_IDENTIFIERS), keys)
        got = set(conn.execute(text(_SHARE_IDENTIFIERS), keys).scalars())
        wanted = [k for k in wanted if k not in got]  # purged in between: made again


def digest(key: str) -> int:
    """A signed 64-bit digest of an identifier (a bigint)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


class Contended(Exception):
    """A wait for an identifier closed a cycle (PostgreSQL's deadlock detector stopped it) or
    lasted too long: the attempt starts again, taking everything it wanted first."""


class IdentityLocks:
    """The identity locks one attempt at a resolution holds; taking more adds to them.

    The first take locks its identifiers in ascending order while holding none; a later take
    (the search found more people) waits at most `TAKE_MORE_WAIT` for their holder. A wait that
    closes a cycle (through what a take has locked so far) is stopped by PostgreSQL's deadlock
    detector; that, or the time limit, raises `Contended`, and `resolving` rolls the attempt
    back, which releases its locks, and starts again with all of them in its first take. Each
    attempt knows more than the last. The price is a second search whenever two batches of the
    same people overlap (measured: a reload of 50,000 people, whose core and channel batches
    hold the same people, spent 1.8 times the matching time of the global lock); waiting
    longer instead let lock waits chain into seconds when many batches overlap.
    """

    TAKE_MORE_WAIT = "100ms"

    def __init__(self, conn: Connection, first: Iterable[int] = ()) -> None:
        self.conn = conn
        self.held: set[int] = set()
        self.wanted: set[int] = set(first)

    def take(self, keys: Iterable[str]) -> bool:
        """Lock these identifiers; True if any was not held yet."""
        wanted = {digest(k) for k in keys} - self.held
        if not self.held:  # a new attempt's first take: everything the last one wanted
            wanted |= self.wanted
        if not wanted:
            return False
        self.wanted |= wanted
        try:
            if not self.held:
                self._lock(sorted(wanted))
            else:
                self._take_more(sorted(wanted))
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) in GIVE_WAY:
                raise Contended() from error
            raise
        self.held |= wanted
        return True

    def _lock(self, keys: list[int]) -> None:
        self.conn.execute(text(_LOCK_IDENTIFIERS), {"keys": array_literal(keys)})

    def _take_more(self, keys: list[int]) -> None:
        usual = self.conn.execute(
            text("SELECT current_setting('lock_timeout'), set_config('lock_timeout', :wait, true)"),
            {"wait": self.TAKE_MORE_WAIT},
        ).scalar()
        self._lock(keys)
        self.conn.execute(text("SELECT set_config('lock_timeout', :usual, true)"), {"usual": usual})


def resolving(conn: Connection, work: Callable[[IdentityLocks], T]) -> T:
    """Run `work` with identity locks in a savepoint of the caller's transaction, again from
    the start (with every identifier the last attempt wanted taken first) while it is
    `Contended`."""
    wanted: set[int] = set()
    while True:
        attempt = conn.begin_nested()
        held = IdentityLocks(conn, wanted)
        try:
            result = work(held)
        except Contended:
            attempt.rollback()
            wanted = held.wanted
            continue
        except BaseException:
            attempt.rollback()
            raise
        attempt.commit()
        return result


def purge_identity_locks(conn: Connection, limit: int = 50_000) -> int:
    """Delete up to `limit` lock rows nobody holds (they are made again on next use)."""
    return conn.execute(
        text(
            "DELETE FROM identity_lock WHERE key IN"
            " (SELECT key FROM identity_lock LIMIT :limit FOR UPDATE SKIP LOCKED)"
        ),
        {"limit": limit},
    ).rowcount


def customer_key(source_system: str, source_customer_id: str) -> str:
    return f"src:{source_system}:{source_customer_id}"


def business_key(source_system: str, key: str) -> str:
    return f"bk:{source_system}:{key}"


def profile_key(global_customer_id: object) -> str:
    return f"gid:{global_customer_id}"
