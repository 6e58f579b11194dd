"""Identity resolution: link each source person record to one Global Customer ID.

For a batch of person records: lock the records, then load the connected component of the
batch's records (every stored record reachable through a national ID, a national ID one edit
away, or a phone or email that is not shared), locking each identifier before it is followed
(`locks`: resolutions of different people run at once, of the same people one after another),
group it with `clustering.cluster`, and store the result: links re-pointed, profiles merged
(`merged_into`, `merge_history`) or split, facts moved to their owner's new ID, every decision
recorded with its reason in `match_decision`, suspected duplicates listed for review.
"""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from sqlalchemy import Connection

from app.identity import invariants, locks
from app.identity.assignment import Resolution, Steward, assign_ids
from app.identity.clustering import Key, Node, cluster
from app.identity.component import (
    StoredNode,
    connected_component,
    is_newer,
    node_of,
    shared_identifiers,
    steward_rules,
    stored_nodes,
)
from app.identity.locks import IdentityLocks
from app.identity.store import store_resolution
from connectors.records import CustomerRecord


def link_customers(
    conn: Connection,
    records: list[CustomerRecord],
    batch_id: int | None = None,
    held: IdentityLocks | None = None,
) -> Resolution:
    """Resolve a batch of person records in the caller's transaction, with the identity locks
    of the caller's attempt (`locks.resolving`), or in an attempt of its own."""
    if held is None:
        return locks.resolving(conn, lambda held: link_customers(conn, records, batch_id, held))
    latest: dict[Key, CustomerRecord] = {}
    for record in records:  # a batch can hold several versions of a record: keep the newest
        key = (record.source_system, record.source_customer_id)
        if key not in latest or record.updated_at >= latest[key].updated_at:
            latest[key] = record
    if not latest:
        return Resolution()
    held.take(locks.customer_key(*k) for k in latest)  # what they were is settled from here
    stored = stored_nodes(conn, list(latest))
    incoming = {k: r for k, r in latest.items() if is_newer(r, stored.get(k))}
    # each with the profile it is linked to now: what a risk-gated merge is judged on
    batch_nodes = {
        k: replace(
            node_of(r), global_customer_id=getattr(stored.get(k), "global_customer_id", None)
        )
        for k, r in incoming.items()
    }
    return _resolve(conn, held, batch_nodes, stored, incoming, batch_id)


def resolve_stored(
    conn: Connection,
    held: IdentityLocks,
    keys: list[Key],
    steward: Steward,
    keep: frozenset[UUID] = frozenset(),
) -> Resolution:
    """Resolve stored records again, as they are, in the caller's transaction: after a
    steward's decision about them, under the same identity locks as any batch. The profiles
    in `keep` keep their IDs where a merge's survivor is otherwise a tie."""
    held.take(locks.customer_key(*k) for k in keys)
    stored = stored_nodes(conn, keys)
    if not stored:
        return Resolution()
    return _resolve(conn, held, dict(stored), stored, {}, None, steward, keep)


def _resolve(
    conn: Connection,
    held: IdentityLocks,
    batch_nodes: dict[Key, Node],
    stored: dict[Key, StoredNode],
    incoming: dict[Key, CustomerRecord],
    batch_id: int | None,
    steward: Steward | None = None,
    keep: frozenset[UUID] = frozenset(),
) -> Resolution:
    """The component of these records, grouped (the stewards' decisions included), given IDs
    and stored."""
    component = connected_component(conn, held, batch_nodes, stored)
    shared = shared_identifiers(conn, component)
    result = cluster(component.values(), shared, steward_rules(conn, component))
    resolution = assign_ids(conn, result, component, batch_nodes, stored, keep)
    concerned = resolution.concerned()
    # what was wrong before (from an earlier version, say) is not this change's doing
    already = set(invariants.broken(conn, concerned))
    store_resolution(
        conn, held, resolution, result, incoming, batch_nodes, component, batch_id, steward
    )
    caused = [p for p in invariants.broken(conn, resolution.concerned()) if p not in already]
    if caused:
        raise invariants.BrokenProfile(caused)
    return resolution
