"""Why each record went where it did (`match_decision`) and the pairs left for a reviewer
(`suspected_duplicate`, with the evidence of both sides)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection, func, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.identity.assignment import Resolution, Steward
from app.identity.clustering import Clustering, Key, Node
from app.identity.models import match_decision, review_item, suspected_duplicate


def record_decisions(
    conn: Connection,
    resolution: Resolution,
    result: Clustering,
    batch_id: int | None,
    steward: Steward | None = None,
) -> None:
    rows = []
    # a steward's action says so, and who approved it, in every decision it caused
    cause = (
        f"steward action (proposal {steward.proposal_id}, approved by {steward.name}): "
        if steward
        else ""
    )
    previous = resolution.previous
    cluster_of = {k: i for i, keys in enumerate(result.clusters) for k in keys}
    for key, gid in resolution.links.items():
        had = previous.get(key)
        mates = [k for k in result.clusters[cluster_of[key]] if k != key]
        if had == gid and key not in resolution.moved and had is not None:
            continue  # still where it was: nothing new to record
        if had is not None and had != gid:
            decision, identifier = "moved", result.joined_by.get(key)
        elif mates:
            decision, identifier = "matched", result.joined_by.get(key)
        else:
            decision, identifier = "new", None
        reason = {
            "moved": f"regrouped with the records it now matches ({identifier or 'none'})",
            "matched": f"matched on {identifier}",
            "new": "no identifier matched",
        }[decision]
        refusals = result.refusals.get(key, [])
        rows.append(
            {
                "source_system": key[0],
                "source_customer_id": key[1],
                "global_customer_id": gid,
                "decision": decision,
                "identifier": identifier,
                "reason": cause + "; ".join([reason, *refusals]),
                "why": result.why.get(key),
                "batch_id": batch_id,
            }
        )
        resolution.decisions[f"{decision}_{identifier}" if identifier else decision] += 1
    for key, gid in resolution.moved.items():
        if key in resolution.links:
            continue
        rows.append(
            {
                "source_system": key[0],
                "source_customer_id": key[1],
                "global_customer_id": gid,
                "decision": "moved",
                "identifier": result.joined_by.get(key),
                "reason": cause + "regrouped after a related record arrived or changed",
                "why": result.why.get(key),
                "batch_id": batch_id,
            }
        )
    if rows:
        conn.execute(insert(match_decision), rows)


def record_suspects(
    conn: Connection, resolution: Resolution, result: Clustering, component: dict[Key, Node]
) -> None:
    if not result.suspected:
        return
    ids_by_nid = {
        node.national_id: resolution.now(key) for key, node in component.items() if node.national_id
    }
    holders: dict[str, list[Node]] = defaultdict(list)
    for node in component.values():
        if node.national_id:
            holders[node.national_id].append(node)
    rows = [
        {
            "national_id_a": s.national_id_a,
            "national_id_b": s.national_id_b,
            "global_customer_id_a": ids_by_nid.get(s.national_id_a),
            "global_customer_id_b": ids_by_nid.get(s.national_id_b),
            "reason": s.reason,
            "evidence": {
                "checks": s.checks,
                "records_a": [_evidence(n) for n in holders[s.national_id_a]],
                "records_b": [_evidence(n) for n in holders[s.national_id_b]],
            },
        }
        for s in result.suspected
    ]
    # one statement for any number of rows, compiled once (a VALUES list is compiled anew for
    # every length)
    stmt = pg_insert(suspected_duplicate)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["national_id_a", "national_id_b"],
            set_={
                "reason": stmt.excluded.reason,
                "evidence": stmt.excluded.evidence,
                "detected_at": func.now(),
            },
        ),
        rows,
    )


def _evidence(node: Node) -> dict[str, str | None]:
    """What a reviewer compares: one record holding the ID, side by side with the other's."""
    return {
        "source_system": node.key[0],
        "source_customer_id": node.key[1],
        "full_name": node.full_name,
        "date_of_birth": node.date_of_birth.isoformat() if node.date_of_birth else None,
        "gender": node.gender,
    }


def record_held_apart(
    conn: Connection, resolution: Resolution, result: Clustering, component: dict[Key, Node]
) -> None:
    """Put what the rules held back in the stewards' review queue (or refresh its evidence):
    one item per pair of sides, named by the first record of each; a settled item stays so."""
    items = {}
    for held in result.held_apart:
        side_a, side_b = sorted((held.side_a, held.side_b))
        identity = (held.kind, *side_a[0], *side_b[0])
        items[identity] = {
            "kind": held.kind,
            "system_a": side_a[0][0],
            "customer_a": side_a[0][1],
            "system_b": side_b[0][0],
            "customer_b": side_b[0][1],
            "identifier": held.identifier,
            "reason": held.reason,
            "evidence": {
                "side_a": [_full_evidence(component[k], resolution) for k in side_a],
                "side_b": [_full_evidence(component[k], resolution) for k in side_b],
                # how the first record of side b reads against the first of side a
                "names": held.names,
            },
        }
    if not items:
        return
    stmt = pg_insert(review_item)  # executed per row set: compiled once, for any number
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["kind", "system_a", "customer_a", "system_b", "customer_b"],
            set_={
                "reason": stmt.excluded.reason,
                "evidence": stmt.excluded.evidence,
                "identifier": stmt.excluded.identifier,
                "last_seen_at": func.now(),
            },
        ),
        list(items.values()),
    )


def _full_evidence(node: Node, resolution: Resolution) -> dict[str, str | None]:
    """One record as a reviewer compares it: normalized identifiers, name, birth date, gender,
    and the profile it is in."""
    gid = resolution.now(node.key) or node.global_customer_id
    return {
        **_evidence(node),
        "global_customer_id": str(gid) if gid else None,
        "national_id": node.national_id,
        "passport": node.passport,
        "phone": node.phone,
        "secondary_phone": node.secondary_phone,
        "email": node.email,
    }
