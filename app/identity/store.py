"""Writing a resolution: new profiles, links re-pointed and merged-away IDs (through
`app.customer.profiles`, the one writer of profiles and links), merges as events
(`merge_history`), decisions and suspected duplicates, national-ID variants for the typo search."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, insert, text

from app.customer import profiles
from app.customer.models import BUSINESS_KEY_SOURCE, merge_history
from app.db import array_columns
from app.identity import locks
from app.identity.assignment import Resolution, Steward
from app.identity.clustering import Clustering, Key, Node, deletion_variants
from app.identity.decisions import record_decisions, record_held_apart, record_suspects
from app.identity.locks import IdentityLocks
from connectors.records import CustomerRecord


def store_resolution(
    conn: Connection,
    held: IdentityLocks,
    resolution: Resolution,
    result: Clustering,
    incoming: dict[Key, CustomerRecord],
    batch_nodes: dict[Key, Node],
    component: dict[Key, Node],
    batch_id: int | None,
    steward: Steward | None = None,
) -> None:
    profiles.create_profiles(conn, {*resolution.links.values(), *resolution.moved.values()})
    # Facts of every record that moves are re-pointed in this transaction: hold their owners
    # (fact upserts take the same locks shared), including core's business keys (fraud cases).
    for key in resolution.moved:
        record = incoming.get(key)
        business_key = (
            record.business_key if record else getattr(component[key], "business_key", None)
        )
        if business_key and key[0] == BUSINESS_KEY_SOURCE:
            resolution.business_keys.append(business_key)
    owner_keys = [locks.customer_key(*k) for k in resolution.moved]
    owner_keys += [locks.business_key(BUSINESS_KEY_SOURCE, bk) for bk in resolution.business_keys]
    # the batch's own are held already; a found record that moves may wait for a fact upsert
    # of it to end (a take after the first: briefly, or the attempt starts again)
    held.take(owner_keys)

    profiles.upsert_links(
        conn,
        [
            _link_row(record, batch_nodes[key], resolution.links[key], result)
            for key, record in incoming.items()
        ],
    )
    # the others that moved, each linked now by what joined it to its new group, or by nothing
    # (split off alone)
    profiles.relink(
        conn,
        (
            (key, gid, result.joined_by.get(key, profiles.SPLIT), _json(result.why.get(key)))
            for key, gid in resolution.moved.items()
            if key not in incoming
        ),
    )
    _mark_joined(conn, resolution, result)
    _record_merges(conn, resolution, result, steward)
    record_decisions(conn, resolution, result, batch_id, steward)
    record_suspects(conn, resolution, result, component)
    record_held_apart(conn, resolution, result, component)
    _record_variants(conn, batch_nodes)


def _merge_cause(
    old: UUID, resolution: Resolution, result: Clustering
) -> tuple[Key | None, str, list[Key]]:
    """What merged `old` away: the record on the other side of the first link that joined one
    of old's records (the one that arrived, or a steward's), its identifier; and old's records."""
    previous = resolution.previous
    held = sorted(k for k, gid in previous.items() if gid == old)
    for a, b, kind in result.links:
        if (previous.get(a) == old) != (previous.get(b) == old):
            return (b if previous.get(a) == old else a), kind, held
    return None, "regrouped", held


def _record_merges(
    conn: Connection, resolution: Resolution, result: Clustering, steward: Steward | None
) -> None:
    if not resolution.merged:
        return
    history = []
    for old, survivor in resolution.merged.items():
        cause, identifier, held = _merge_cause(old, resolution, result)
        if identifier == "steward" and steward is not None:
            rule = f"a steward declared them the same person (proposal {steward.proposal_id})"
        else:
            rule = f"same person by the identity rules: {identifier.replace('_', ' ')}"
        history.append(
            {
                "survivor_id": survivor,
                "merged_id": old,
                "identifier": identifier,
                "rule": rule,
                "source_system": cause[0] if cause else None,
                "source_customer_id": cause[1] if cause else None,
                "actor": steward.name if steward else None,
                "proposal_id": steward.proposal_id if steward else None,
                "records": [list(key) for key in held],
            }
        )
    conn.execute(insert(merge_history), history)
    profiles.retire_merged(conn, resolution.merged)
    conn.execute(
        text("DELETE FROM risk_profile WHERE global_customer_id = ANY(:ids)"),
        {"ids": list(resolution.merged)},
    )
    resolution.decisions["merged"] += len(resolution.merged)


def _record_variants(conn: Connection, batch_nodes: dict[Key, Node]) -> None:
    """Every national ID's one-deletion variants, for the typo search: one statement."""
    pairs = {
        (variant, node.national_id)
        for node in batch_nodes.values()
        if node.national_id
        for variant in deletion_variants(node.national_id)
    }
    if pairs:
        conn.execute(
            text(
                "INSERT INTO national_id_variant (variant, national_id)"
                " SELECT * FROM unnest(CAST(:variants AS text[]), CAST(:ids AS text[]))"
                " ON CONFLICT DO NOTHING"
            ),
            array_columns(pairs, "variants", "ids"),
        )


def _link_row(record: CustomerRecord, node: Node, gid: UUID, result) -> dict:
    document = node.national_id or node.passport
    return {
        "source_system": record.source_system,
        "source_customer_id": record.source_customer_id,
        "global_customer_id": gid,
        "business_key": record.business_key,
        "national_id": document,
        "national_id_raw": record.national_id,
        "id_document_type": "passport" if node.passport else ("national_id" if document else None),
        "phone": node.phone,
        "phone_raw": record.phone,
        "secondary_phone": node.secondary_phone,
        "secondary_phone_raw": record.secondary_phone,
        "email": node.email,
        "email_raw": record.email,
        "full_name": record.full_name,
        "date_of_birth": record.date_of_birth,
        "gender": node.gender,
        "gender_raw": record.gender,
        "source_business_id": record.source_business_id,
        "business_name": record.business_name,
        "is_active": record.is_active,
        "kyc_status": record.kyc_status,
        "source_created_at": record.created_at,
        "source_updated_at": record.updated_at,
        "match_rule": result.joined_by.get(node.key, "new"),
        "why": result.why.get(node.key),
    }


def _mark_joined(conn: Connection, resolution: Resolution, result: Clustering) -> None:
    """A record that was alone and kept its ID while others joined it is linked now by what
    joined them: its rule and why say so (a record still marked 'new' only)."""
    holders = Counter(resolution.previous.values())
    joined = [
        (key, result.joined_by[key], _json(why))
        for key, why in result.why.items()
        if key not in resolution.moved
        and key in resolution.previous
        and holders[resolution.previous[key]] == 1
        and resolution.now(key) == resolution.previous[key]
    ]
    profiles.mark_joined(conn, joined)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)
