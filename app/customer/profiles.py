"""The one module that writes profiles (`customer_360`) and their links (`source_customer`).

A batch's resolution (`app/identity/store.py`), a steward's action (`app/stewardship/service.py`)
and the golden record (`app/customer/survivorship.py`) decide what to write; the statements live
here, so a profile is created, linked, merged away, restored and filled in one way only.
`tests/test_one_write_path.py` holds every other module to it. See docs/identity.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, case, func, or_, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.customer.models import customer_360, source_customer
from app.db import array_columns, array_literal

Key = tuple[str, str]

# how a record is linked when a steward split it off and no rule joined it anew
SPLIT = "split"


def create_profiles(conn: Connection, ids: Iterable[UUID]) -> None:
    """New, empty profiles under these IDs (an ID that exists is left alone)."""
    ordered = sorted(set(ids), key=str)
    if not ordered:
        return
    # the wall clock, row by row, not the transaction's start: ages order survivorship ties
    conn.execute(
        text(
            "INSERT INTO customer_360 (global_customer_id, created_at)"
            " SELECT id, clock_timestamp() FROM unnest(CAST(:ids AS uuid[])) AS id"
            " ON CONFLICT DO NOTHING"
        ),
        {"ids": array_literal(ordered)},
    )


def new_profile(conn: Connection) -> UUID:
    """A new, empty profile under a new ID."""
    gid = uuid.uuid4()
    create_profiles(conn, [gid])
    return gid


def upsert_links(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Store records read from a source with the profile each is linked to. How a record is
    linked (`match_rule`, `why`) changes only when its link does; a record read again unchanged
    (a replay, a look-back) touches nothing."""
    if not rows:
        return
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


def relink(conn: Connection, links: Iterable[tuple[Key, UUID, str, str | None]]) -> None:
    """Link stored records to other profiles: (record, profile, how it is linked now, why as
    JSON or None). One statement."""
    rows = [(*key, gid, rule, why) for key, gid, rule, why in links]
    if not rows:
        return
    conn.execute(
        text(
            """
            UPDATE source_customer sc
            SET global_customer_id = m.gid, match_rule = m.rule, why = m.why::jsonb,
                updated_at = now()
            FROM unnest(CAST(:systems AS text[]), CAST(:ids AS text[]),
                        CAST(:gids AS uuid[]), CAST(:rules AS text[]),
                        CAST(:whys AS text[])) AS m(s, i, gid, rule, why)
            WHERE sc.source_system = m.s AND sc.source_customer_id = m.i
            """
        ),
        array_columns(rows, "systems", "ids", "gids", "rules", "whys"),
    )


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
    """Each merged-away ID, and any ID merged into it before, now redirects to its survivor."""
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


def restore(conn: Connection, gid: UUID) -> None:
    """A merged-away ID comes back: it is active again and redirects nowhere."""
    conn.execute(
        update(customer_360)
        .where(customer_360.c.global_customer_id == gid)
        .values(status="active", merged_into=None, updated_at=func.now())
    )


def write_golden(conn: Connection, golden: Mapping[UUID, Mapping[str, Any]]) -> None:
    """Store these profiles' golden fields; a profile whose fields are unchanged is left alone
    (its `updated_at` too)."""
    if not golden:
        return
    # bind names must differ from the column names in an executemany UPDATE
    values = [
        {"b_gid": gid, **{f"b_{k}": v for k, v in fields.items()}} for gid, fields in golden.items()
    ]
    columns = [k[2:] for k in values[0] if k != "b_gid"]
    conn.execute(
        update(customer_360)
        .where(
            customer_360.c.global_customer_id == bindparam("b_gid"),
            or_(*(customer_360.c[c].is_distinct_from(bindparam(f"b_{c}")) for c in columns)),
        )
        .values({c: bindparam(f"b_{c}") for c in columns} | {"updated_at": func.now()}),
        values,
    )
