"""The one module that writes profiles (`customer_360`) and their links (`source_customer`).

A batch's resolution (`app/identity/store.py`), a steward's action (`app/stewardship/service.py`)
and the golden record (`app/customer/survivorship.py`) decide what to write; the statements live
here, so a profile is created, linked, merged away, restored and filled in one way only.
`tests/test_one_write_path.py` holds every other module to it. See docs/identity.md.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, case, func, or_, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.customer.models import GOLDEN_FIELDS, customer_360, source_customer
from app.db import array_columns, array_literal
from app.outbox import service as outbox

Key = tuple[str, str]

# how a record is linked when a steward split it off and no rule joined it anew
SPLIT = "split"


def create_profiles(conn: Connection, ids: Iterable[UUID]) -> None:
    """New, empty profiles under these IDs (an ID that exists is left alone)."""
    ordered = sorted(set(ids), key=str)
    if not ordered:
        return
    # the wall clock, row by row, not the transaction's start: ages order survivorship ties
    created = conn.execute(
        text(
            "INSERT INTO customer_360 (global_customer_id, created_at)"
            " SELECT id, clock_timestamp() FROM unnest(CAST(:ids AS uuid[])) AS id"
            " ON CONFLICT DO NOTHING RETURNING global_customer_id"
        ),
        {"ids": array_literal(ordered)},
    ).scalars()
    outbox.record(conn, outbox.about_each(outbox.PROFILE_CREATED, created))


def new_profile(conn: Connection) -> UUID:
    """A new, empty profile under a new ID."""
    gid = uuid.uuid4()
    create_profiles(conn, [gid])
    return gid


def upsert_links(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Store records read from a source with the profile each is linked to. How a record is
    linked (`match_rule`, `why`) changes only when its link does; a record read again unchanged
    (a replay, a look-back) touches nothing. A record new to a profile is an event."""
    if not rows:
        return
    keys = [(r["source_system"], r["source_customer_id"]) for r in rows]
    before = _linked_to(conn, keys)
    # executed per row set (executemany pages): one VALUES list of a 5,000-record batch would
    # pass PostgreSQL's 65,535-parameter limit; the wall clock orders survivorship ties
    stmt = pg_insert(source_customer).values(linked_at=func.clock_timestamp())
    changing = [
        c for c in rows[0] if c not in ("source_system", "source_customer_id", "match_rule", "why")
    ]
    sc = source_customer
    moved = sc.c.global_customer_id.is_distinct_from(stmt.excluded.global_customer_id)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["source_system", "source_customer_id"],
            set_={
                **{c: stmt.excluded[c] for c in changing},
                "match_rule": case((moved, stmt.excluded.match_rule), else_=sc.c.match_rule),
                "why": case((moved, stmt.excluded.why), else_=sc.c.why),
                "updated_at": text("now()"),
            },
            where=or_(*(sc.c[c].is_distinct_from(stmt.excluded[c]) for c in changing)),
        ),
        rows,
    )
    _links_added(
        conn,
        (
            (key, row["global_customer_id"], row["match_rule"])
            for key, row in zip(keys, rows, strict=True)
            if before.get(key) != row["global_customer_id"]
        ),
    )


def _linked_to(conn: Connection, keys: list[Key]) -> dict[Key, UUID]:
    """The profile each of these records is linked to now (a record not stored yet: absent)."""
    found = conn.execute(
        text(
            """
            SELECT sc.source_system, sc.source_customer_id, sc.global_customer_id
            FROM unnest(CAST(:systems AS text[]), CAST(:ids AS text[])) AS k(s, i)
            JOIN source_customer sc ON sc.source_system = k.s AND sc.source_customer_id = k.i
            """
        ),
        array_columns(keys, "systems", "ids"),
    )
    return {(s, i): gid for s, i, gid in found}


def _links_added(conn: Connection, added: Iterable[tuple[Key, UUID, str]]) -> None:
    outbox.record(
        conn,
        (
            outbox.Outgoing(
                outbox.LINKED_RECORD_ADDED,
                gid,
                {"source_system": key[0], "source_customer_id": key[1], "match_rule": rule},
            )
            for key, gid, rule in added
        ),
    )


def relink(conn: Connection, links: Iterable[tuple[Key, UUID, str, str | None]]) -> None:
    """Link stored records to other profiles: (record, profile, how it is linked now, why as
    JSON or None). One statement; a record that reaches another profile is an event."""
    rows = [(*key, gid, rule, why) for key, gid, rule, why in links]
    if not rows:
        return
    # the self-join reads each link as it was before the statement
    moved = conn.execute(
        text(
            """
            UPDATE source_customer sc
            SET global_customer_id = m.gid, match_rule = m.rule, why = m.why::jsonb,
                updated_at = now()
            FROM unnest(CAST(:systems AS text[]), CAST(:ids AS text[]),
                        CAST(:gids AS uuid[]), CAST(:rules AS text[]),
                        CAST(:whys AS text[])) AS m(s, i, gid, rule, why)
            JOIN source_customer was
              ON was.source_system = m.s AND was.source_customer_id = m.i
            WHERE sc.source_system = m.s AND sc.source_customer_id = m.i
            RETURNING sc.source_system, sc.source_customer_id, sc.global_customer_id,
                      sc.match_rule, was.global_customer_id IS DISTINCT FROM m.gid AS moved
            """
        ),
        array_columns(rows, "systems", "ids", "gids", "rules", "whys"),
    ).all()
    _links_added(conn, (((s, i), gid, rule) for s, i, gid, rule, m in moved if m))


def split_off(conn: Connection, keys: Iterable[Key], gid: UUID) -> None:
    """Link these records to `gid` because a steward split them off, before they are resolved
    again (which may join them anew by the rules)."""
    relink(conn, ((key, gid, SPLIT, None) for key in keys))


def mark_joined(conn: Connection, joined: Iterable[tuple[Key, str, str | None]]) -> None:
    """Records that were alone and kept their ID while others joined them: (record, the rule
    that joined them, why as JSON). Only a record still marked 'new' changes."""
    rows = [(*key, rule, why) for key, rule, why in joined]
    if not rows:
        return
    conn.execute(
        text(
            """
            UPDATE source_customer sc SET match_rule = m.rule, why = m.why::jsonb
            FROM unnest(CAST(:systems AS text[]), CAST(:ids AS text[]), CAST(:rules AS text[]),
                        CAST(:whys AS text[])) AS m(s, i, rule, why)
            WHERE sc.source_system = m.s AND sc.source_customer_id = m.i
              AND sc.match_rule = 'new'
            """
        ),
        array_columns(rows, "systems", "ids", "rules", "whys"),
    )


def retire_merged(conn: Connection, merged: Mapping[UUID, UUID]) -> None:
    """Each merged-away ID, and any ID merged into it before, now redirects to its survivor;
    each survivor's event names the IDs merged into it now."""
    for old, survivor in merged.items():
        conn.execute(
            update(customer_360)
            .where(
                or_(
                    customer_360.c.global_customer_id == old,
                    customer_360.c.merged_into == old,
                )
            )
            .values(status="merged", merged_into=survivor, updated_at=func.now())
        )
    into: dict[UUID, list[str]] = {}
    for old, survivor in merged.items():
        into.setdefault(survivor, []).append(str(old))
    outbox.record(
        conn,
        (
            outbox.Outgoing(outbox.MERGED, survivor, {"survivor_id": survivor, "merged_ids": ids})
            for survivor, ids in sorted(into.items(), key=lambda item: str(item[0]))
        ),
    )


def restore(conn: Connection, gid: UUID) -> None:
    """A merged-away ID comes back: it is active again and redirects nowhere."""
    was = conn.execute(
        text(
            """
            UPDATE customer_360 c SET status = 'active', merged_into = NULL, updated_at = now()
            FROM customer_360 was
            WHERE c.global_customer_id = :gid AND was.global_customer_id = :gid
            RETURNING was.merged_into
            """
        ),
        {"gid": gid},
    ).scalar()
    if was is not None:
        event = outbox.Outgoing(outbox.UNMERGED, gid, {"survivor_id": was})
        outbox.record(conn, [event])


def write_golden(conn: Connection, golden: Mapping[UUID, Mapping[str, Any]]) -> None:
    """Store these profiles' golden fields in one statement; a profile whose fields are
    unchanged is left alone (its `updated_at` too). The fields that changed (their names, not
    their values) are an event."""
    if not golden:
        return
    columns = list(next(iter(golden.values())))
    types = ", ".join(
        f"{c} {customer_360.c[c].type.compile(dialect=conn.dialect)}" for c in columns
    )
    assigned = ", ".join(f"{c} = v.{c}" for c in columns)
    differs = " OR ".join(f"c.{c} IS DISTINCT FROM v.{c}" for c in columns)
    named = ", ".join(
        f"CASE WHEN was.{c} IS DISTINCT FROM v.{c} THEN '{c}' END"
        for c in columns
        if c in (*GOLDEN_FIELDS, "created_date")
    )
    values = [{"gid": str(gid), **fields} for gid, fields in golden.items()]
    # `was` (locked first, so read as committed last) holds each profile as it was
    changed = conn.execute(
        text(
            f"""
            WITH v AS (
                SELECT * FROM jsonb_to_recordset(CAST(:values AS jsonb)) AS v(gid uuid, {types})
            ), was AS (
                SELECT c.* FROM customer_360 c JOIN v ON c.global_customer_id = v.gid
                ORDER BY c.global_customer_id FOR UPDATE OF c
            )
            UPDATE customer_360 c SET {assigned}, updated_at = now()
            FROM v JOIN was ON was.global_customer_id = v.gid
            WHERE c.global_customer_id = v.gid AND ({differs})
            RETURNING c.global_customer_id, array_remove(ARRAY[{named}], NULL) AS fields
            """
        ),
        {"values": json.dumps(values, default=str)},
    ).all()
    outbox.record(
        conn,
        (
            outbox.Outgoing(outbox.PROFILE_UPDATED, gid, {"changed": fields})
            for gid, fields in sorted(changed, key=lambda row: str(row[0]))
            if fields
        ),
    )
