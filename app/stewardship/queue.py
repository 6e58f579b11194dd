"""The stewards' review queue: what the matcher held back for a person (`review_item`), still
undecided — both sides still in different profiles, and no steward decision between them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from app.identity.component import stored_nodes
from app.stewardship import service

_OPEN = """
    FROM review_item i
    JOIN source_customer a
      ON a.source_system = i.system_a AND a.source_customer_id = i.customer_a
    JOIN source_customer b
      ON b.source_system = i.system_b AND b.source_customer_id = i.customer_b
    WHERE i.status = 'open'
      AND a.global_customer_id IS DISTINCT FROM b.global_customer_id
      AND NOT EXISTS (
          SELECT 1 FROM identity_rule r
          WHERE (r.system_a, r.customer_a, r.system_b, r.customer_b)
              = (i.system_a, i.customer_a, i.system_b, i.customer_b))
      AND (CAST(:kind AS text) IS NULL OR i.kind = :kind)
      AND (CAST(:source AS text) IS NULL OR :source IN (i.system_a, i.system_b))
"""


def review_queue(
    conn: Connection, kind: str | None = None, source_system: str | None = None, limit: int = 100
) -> dict[str, Any]:
    """Open items, oldest first, with how many there are in all and per kind."""
    params = {"kind": kind, "source": source_system, "limit": limit}
    counts = dict(
        conn.execute(text(f"SELECT i.kind, count(*) {_OPEN} GROUP BY i.kind"), params).all()
    )
    items = conn.execute(
        text(
            "SELECT i.item_id, i.kind, i.identifier, i.reason, i.evidence, i.detected_at,"
            " i.last_seen_at, a.global_customer_id AS global_customer_id_a,"
            " b.global_customer_id AS global_customer_id_b,"
            " i.system_a, i.customer_a, i.system_b, i.customer_b"
            f" {_OPEN} ORDER BY i.detected_at, i.item_id LIMIT :limit"
        ),
        params,
    ).mappings()
    found = [_item(r) for r in items]
    _current_profiles(conn, found)
    return {"total": sum(counts.values()), "counts": counts, "items": found}


def _current_profiles(conn: Connection, items: list[dict[str, Any]]) -> None:
    """The evidence was taken when the item was seen; each record's profile is given as it is
    now (a profile merged away since is not shown)."""
    records = [
        r for item in items for side in ("side_a", "side_b") for r in item["evidence"].get(side, [])
    ]
    keys = {(r["source_system"], r["source_customer_id"]) for r in records}
    if not keys:
        return
    now = {
        key: str(node.global_customer_id) for key, node in stored_nodes(conn, list(keys)).items()
    }
    for record in records:
        key = (record["source_system"], record["source_customer_id"])
        if key in now:
            record["global_customer_id"] = now[key]


def _item(row: Any) -> dict[str, Any]:
    return {
        **{k: row[k] for k in ("item_id", "kind", "identifier", "reason", "evidence")},
        **{k: row[k] for k in ("detected_at", "last_seen_at")},
        "global_customer_ids": [row["global_customer_id_a"], row["global_customer_id_b"]],
        "records": _records(row),
    }


def _records(row: Any) -> list[dict[str, str]]:
    """The item's two records, each the first of its side."""
    return [
        {"source_system": row["system_a"], "source_customer_id": row["customer_a"]},
        {"source_system": row["system_b"], "source_customer_id": row["customer_b"]},
    ]


def propose_from_item(
    conn: Connection, item_id: int, action: str, reason: str, proposed_by: str
) -> dict[str, Any]:
    """A proposal that the item's two records are the same person, or different people, or
    that the two profiles they are in now are one (merge); its approval settles the item."""
    row = (
        conn.execute(text("SELECT * FROM review_item WHERE item_id = :id"), {"id": item_id})
        .mappings()
        .first()
    )
    if row is None:
        raise service.NotFound(f"no review item {item_id}")
    if row["status"] != "open":
        raise service.Refused(f"review item {item_id} was settled already")
    subject: dict[str, Any] = {"records": _records(row), "review_item_id": item_id}
    if action == service.MERGE:
        profiles = [
            str(service.profile_of(conn, service.record_key(r))) for r in subject["records"]
        ]
        subject = {"global_customer_ids": profiles, "review_item_id": item_id}
    return service.propose(conn, action, subject, reason, proposed_by)
