"""Scoped API keys. A key is 256 random bits shown once, at creation; only its SHA-256 digest is
stored (a slow password hash buys nothing against a key that cannot be guessed, and would cost
every request). Keys in C360_API_KEYS bootstrap a deployment with the `read` scope alone."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.access.models import api_key

READ, STEWARD, SECURITY, ADMIN, INGEST = "read", "steward", "security", "admin", "ingest"
# ingest: a source system's key, to deliver its events (and read nothing)
SCOPES = (READ, STEWARD, SECURITY, ADMIN, INGEST)
BOOTSTRAP_SCOPES = frozenset({READ})
KEY_PREFIX = "c360_"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class KeyRefused(ValueError):
    """A key that cannot be created or revoked as asked (the message says why)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's name (what the access log records), what it may do, and
    whether it is a stored key (one that can be revoked) rather than a bootstrap one."""

    name: str
    scopes: frozenset[str]
    stored: bool = True

    def may(self, scope: str) -> bool:
        return scope in self.scopes


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(conn: Connection, name: str, scopes: list[str]) -> str:
    """Store a new key under `name` with `scopes`; returns the key, which is not kept."""
    if not NAME_PATTERN.match(name):
        raise KeyRefused(f"invalid key name {name!r}: letters, digits and . _ @ - (at most 64)")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise KeyRefused(f"scopes must be among {', '.join(SCOPES)} (got {', '.join(unknown)})")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    try:
        with conn.begin_nested():
            conn.execute(
                insert(api_key).values(
                    name=name, key_hash=digest(key), scopes=sorted(set(scopes), key=SCOPES.index)
                )
            )
    except IntegrityError:
        raise KeyRefused(f"a key named {name!r} exists already (names are never reused)") from None
    return key


def list_keys(conn: Connection) -> list[dict[str, Any]]:
    query = select(
        api_key.c.name, api_key.c.scopes, api_key.c.created_at, api_key.c.revoked_at
    ).order_by(api_key.c.name)
    return [dict(row) for row in conn.execute(query).mappings()]


def revoke_key(conn: Connection, name: str) -> None:
    revoked = conn.execute(
        update(api_key)
        .where(api_key.c.name == name, api_key.c.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .returning(api_key.c.key_id)
    ).first()
    if revoked is None:
        raise KeyRefused(f"no active key named {name!r}")


def authenticate(
    conn: Connection, presented: str, bootstrap_keys: tuple[str, ...]
) -> Principal | None:
    """The principal a presented key stands for: a bootstrap key (C360_API_KEYS), or an active
    stored one; None for anything else. A stored key found active is remembered (see
    remembered), one found revoked forgotten."""
    for key in bootstrap_keys:
        # bytes, because compare_digest refuses non-ASCII str (and header values may hold any)
        if hmac.compare_digest(presented.encode(), key.encode()):
            return Principal(f"bootstrap-{digest(key)[:8]}", BOOTSTRAP_SCOPES, stored=False)
    if not presented.startswith(KEY_PREFIX):
        return None
    key_hash = digest(presented)
    row = conn.execute(_ACTIVE_KEY, {"key_hash": key_hash}).first()
    if row is None:
        _remembered.pop(key_hash, None)
        return None
    if len(_remembered) >= REMEMBERED_KEYS:
        _remembered.clear()  # bounded: a process serves a few applications' keys, not thousands
    principal = _remembered[key_hash] = Principal(row.name, frozenset(row.scopes))
    return principal


def remembered(presented: str) -> Principal | None:
    """The principal of a stored key this process has found active, without asking the
    database; None for any other. Only for a request that reads and records its reading
    while the key is still active (audit.record_access with `while_active`): a key revoked
    since is refused there, before its response leaves. A key's scopes never change."""
    return _remembered.get(digest(presented))


def forget(presented: str) -> None:
    """Ask the database about this key again on its next request (it was found revoked)."""
    _remembered.pop(digest(presented), None)


REMEMBERED_KEYS = 1024
_remembered: dict[str, Principal] = {}  # by digest; a dict's get and set are atomic for threads


# built once: every API request runs it, and composing it costs more than running it
_ACTIVE_KEY = select(api_key.c.name, api_key.c.scopes).where(
    api_key.c.key_hash == bindparam("key_hash"), api_key.c.revoked_at.is_(None)
)


def active_principal(conn: Connection, name: str) -> Principal | None:
    """The active stored key named `name`, as a principal (the CLI acting as a steward)."""
    row = conn.execute(
        select(api_key.c.name, api_key.c.scopes).where(
            api_key.c.name == name, api_key.c.revoked_at.is_(None)
        )
    ).first()
    return Principal(row.name, frozenset(row.scopes)) if row else None
