"""The access log: every response of a data endpoint, with who asked (the key's name), what
(the endpoint and the Global Customer IDs served), when and from where. Append-only for the
application; rows older than C360_ACCESS_LOG_RETENTION_DAYS leave through `purge_access_log`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Connection,
    Insert,
    and_,
    bindparam,
    delete,
    exists,
    insert,
    or_,
    select,
    text,
)

from app.access.models import access_log, api_key
from app.customer.service import member_ids, split_from


def record_access(
    conn: Connection,
    *,
    key_name: str,
    method: str,
    endpoint: str,
    status: int,
    customer_ids: Sequence[UUID],
    remote_addr: str | None,
    while_active: bool = False,
) -> bool:
    """Write the entry; with `while_active`, only if the stored key named `key_name` is not
    revoked, checked in the same statement. False when it was not written (the key is
    revoked: the response must not leave)."""
    entry = {
        "key_name": key_name,
        "method": method,
        "endpoint": endpoint,
        "status": status,
        "customer_ids": list(dict.fromkeys(customer_ids)),
        "remote_addr": remote_addr,
    }
    if not while_active:
        conn.execute(insert(access_log), entry)
        return True
    return conn.execute(_ENTRY_WHILE_ACTIVE, entry).first() is not None


def _entry_while_active() -> Insert:
    columns = ("key_name", "method", "endpoint", "status", "customer_ids", "remote_addr")
    values = {name: bindparam(name, type_=access_log.c[name].type) for name in columns}
    active = exists().where(api_key.c.name == values["key_name"], api_key.c.revoked_at.is_(None))
    chosen = select(*values.values()).where(active)
    return insert(access_log).from_select(columns, chosen).returning(access_log.c.access_id)


# built once: every read through a remembered key runs it
_ENTRY_WHILE_ACTIVE = _entry_while_active()


def list_access(
    conn: Connection,
    *,
    customer: UUID | None = None,
    key_name: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Newest first. A customer's entries include those of the IDs merged into it (reading the
    survivor's profile read theirs) and those of the profiles its records were split out of,
    up to the split (reading that profile then read their data): who saw this person's data,
    however their profile changed since."""
    query = select(access_log)
    if customer is not None:
        ids = member_ids(conn, customer)
        query = query.where(
            or_(
                access_log.c.customer_ids.overlap(ids),
                *(
                    and_(access_log.c.customer_ids.overlap([gid]), access_log.c.at < until)
                    for gid, until in split_from(conn, ids)
                ),
            )
        )
    if key_name:
        query = query.where(access_log.c.key_name == key_name)
    if since is not None:
        query = query.where(access_log.c.at >= since)
    if until is not None:
        query = query.where(access_log.c.at < until)
    query = query.order_by(access_log.c.at.desc(), access_log.c.access_id.desc()).limit(limit)
    return [dict(row) for row in conn.execute(query).mappings()]


def purge_access_log(conn: Connection, now: datetime, retention_days: float) -> int:
    """Delete the entries older than the retention period; the one deletion the log allows."""
    conn.execute(text("SET LOCAL c360.access_log_purge = 'on'"))
    cutoff = now - timedelta(days=retention_days)
    purged = conn.execute(delete(access_log).where(access_log.c.at < cutoff)).rowcount
    conn.execute(text("SET LOCAL c360.access_log_purge = 'off'"))
    return purged
