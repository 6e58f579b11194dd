"""Identity resolution: link each source person record to one Global Customer ID.

For a batch of person records: take the identity lock (one resolution at a time across all
workers), load the connected component of the batch's records (every stored record reachable
through a national ID, a national ID one edit away, or a phone or email that is not shared),
group it with `clustering.cluster`, and store the result: links re-pointed, profiles merged
(`merged_into`, `merge_history`) or split, facts moved to their owner's new ID, every decision
recorded with its reason in `match_decision`, suspected duplicates listed for review.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import (
    Connection,
    case,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.customer.models import customer_360, merge_history, source_customer
from app.identity import locks, normalize
from app.identity.clustering import (
    SHARED_LIMIT,
    Clustering,
    Key,
    Node,
    cluster,
    deletion_variants,
)
from app.identity.models import match_decision, national_id_variant, suspected_duplicate
from connectors.records import CustomerRecord


@dataclass
class Resolution:
    """What a batch changed: every key whose link is new or moved, and the IDs involved."""

    previous: dict[Key, UUID] = field(default_factory=dict)  # every linked record's ID before
    links: dict[Key, UUID] = field(default_factory=dict)  # batch record -> its ID now
    moved: dict[Key, UUID] = field(default_factory=dict)  # any record whose ID changed
    merged: dict[UUID, UUID] = field(default_factory=dict)  # merged-away ID -> survivor
    business_keys: list[str] = field(default_factory=list)  # of moved core records
    decisions: Counter = field(default_factory=Counter)

    def now(self, key: Key) -> UUID | None:
        """The ID a record has after this resolution."""
        return self.moved.get(key) or self.links.get(key) or self.previous.get(key)

    @property
    def affected(self) -> list[UUID]:
        """IDs whose golden record, facts or risk may have changed."""
        ids = set(self.links.values()) | set(self.moved.values()) | set(self.merged.values())
        return sorted(ids, key=str)


def node_of(record: CustomerRecord) -> Node:
    document = normalize.national_id(record.national_id)
    kind = document[1] if document else None
    return Node(
        key=(record.source_system, record.source_customer_id),
        national_id=document[0] if kind == "national_id" else None,
        passport=document[0] if kind == "passport" else None,
        phone=normalize.phone(record.phone),
        secondary_phone=normalize.phone(record.secondary_phone),
        email=normalize.email(record.email),
        full_name=record.full_name,
        date_of_birth=record.date_of_birth,
        gender=normalize.gender(record.gender),
    )


def link_customers(
    conn: Connection, records: list[CustomerRecord], batch_id: int | None = None
) -> Resolution:
    """Resolve a batch of person records in the caller's transaction."""
    latest: dict[Key, CustomerRecord] = {}
    for record in records:  # a batch can hold several versions of a record: keep the newest
        key = (record.source_system, record.source_customer_id)
        if key not in latest or record.updated_at >= latest[key].updated_at:
            latest[key] = record
    if not latest:
        return Resolution()
    locks.lock_identity(conn)
    stored = _stored(conn, list(latest))
    incoming = {k: r for k, r in latest.items() if _is_newer(r, stored.get(k))}
    batch_nodes = {k: node_of(r) for k, r in incoming.items()}
    component = _component(conn, batch_nodes, stored)
    shared = _shared(conn, component)
    result = cluster(component.values(), shared)
    resolution = _assign(conn, result, component, batch_nodes, stored)
    _store(conn, resolution, result, incoming, batch_nodes, component, batch_id)
    return resolution


def _is_newer(record: CustomerRecord, stored: _StoredNode | None) -> bool:
    # An older version of a record (a look-back re-read after a newer one) changes nothing.
    return (
        stored is None
        or stored.source_updated_at is None
        or (record.updated_at >= stored.source_updated_at)
    )


@dataclass(frozen=True)
class _StoredNode(Node):
    source_updated_at: object = None
    business_key: str | None = None
    linked_at: object = None


def _rows_to_nodes(rows) -> dict[Key, _StoredNode]:
    return {
        (r.source_system, r.source_customer_id): _StoredNode(
            key=(r.source_system, r.source_customer_id),
            national_id=r.national_id if r.id_document_type == "national_id" else None,
            passport=r.national_id if r.id_document_type == "passport" else None,
            phone=r.phone,
            secondary_phone=r.secondary_phone,
            email=r.email,
            full_name=r.full_name,
            date_of_birth=r.date_of_birth,
            gender=r.gender,
            global_customer_id=r.global_customer_id,
            source_updated_at=r.source_updated_at,
            business_key=r.business_key,
            linked_at=r.linked_at,
        )
        for r in rows
    }


_NODE_COLUMNS = (
    source_customer.c.source_system,
    source_customer.c.source_customer_id,
    source_customer.c.national_id,
    source_customer.c.id_document_type,
    source_customer.c.phone,
    source_customer.c.secondary_phone,
    source_customer.c.email,
    source_customer.c.full_name,
    source_customer.c.date_of_birth,
    source_customer.c.gender,
    source_customer.c.global_customer_id,
    source_customer.c.source_updated_at,
    source_customer.c.business_key,
    source_customer.c.linked_at,
)


def _stored(conn: Connection, keys: list[Key]) -> dict[Key, _StoredNode]:
    sc = source_customer
    rows = conn.execute(
        select(*_NODE_COLUMNS).where(tuple_(sc.c.source_system, sc.c.source_customer_id).in_(keys))
    ).all()
    return _rows_to_nodes(rows)


def _identifiers(node: Node) -> set[tuple[str, str]]:
    values = {("national_id", node.national_id), ("passport", node.passport)}
    return {(k, v) for k, v in values if v} | set(node.soft_identifiers())


def _component(
    conn: Connection, batch_nodes: dict[Key, Node], stored: dict[Key, _StoredNode]
) -> dict[Key, Node]:
    """The batch's records (as they are now) and every stored record connected to them.

    Seeds include the batch records' previous identifiers, so the records they leave behind
    are regrouped too. A shared phone or email is followed one hop only (its holders may need
    regrouping now that it became shared) but never beyond.
    """
    component: dict[Key, Node] = dict(batch_nodes)
    frontier: set[tuple[str, str]] = set()
    for key, node in batch_nodes.items():
        frontier |= _identifiers(node)
        if key in stored:
            frontier |= _identifiers(stored[key])
    seen: set[tuple[str, str]] = set()
    while frontier:
        frontier |= _typo_neighbours(conn, {v for k, v in frontier if k == "national_id"})
        seen |= frontier
        found = {
            k: n for k, n in _rows_to_nodes(_holders(conn, frontier)).items() if k not in component
        }
        component.update(found)
        candidates = {i for n in found.values() for i in _identifiers(n)} - seen
        # beyond the seeds, a shared phone or email links nobody: do not follow it
        frontier = candidates - _shared_values(conn, candidates)
    return component


def _holders(conn: Connection, identifiers: set[tuple[str, str]]):
    sc = source_customer
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, value in identifiers:
        by_kind[kind].append(value)
    conditions = []
    if by_kind["national_id"]:
        conditions.append(
            (sc.c.national_id.in_(by_kind["national_id"]))
            & (sc.c.id_document_type == "national_id")
        )
    if by_kind["passport"]:
        conditions.append(
            (sc.c.national_id.in_(by_kind["passport"])) & (sc.c.id_document_type == "passport")
        )
    if by_kind["phone"]:
        conditions.append(sc.c.phone.in_(by_kind["phone"]))
        conditions.append(sc.c.secondary_phone.in_(by_kind["phone"]))
    if by_kind["email"]:
        conditions.append(sc.c.email.in_(by_kind["email"]))
    if not conditions:
        return []
    return conn.execute(select(*_NODE_COLUMNS).where(or_(*conditions))).all()


def _typo_neighbours(conn: Connection, national_ids: set[str]) -> set[tuple[str, str]]:
    if not national_ids:
        return set()
    variants = sorted({v for nid in national_ids for v in deletion_variants(nid)})
    found = conn.execute(
        select(national_id_variant.c.national_id)
        .where(national_id_variant.c.variant.in_(variants))
        .distinct()
    ).scalars()
    return {("national_id", nid) for nid in found if nid not in national_ids}


def _shared_values(conn: Connection, identifiers: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Phones and emails held by more than SHARED_LIMIT distinct national IDs (a phone counts
    whether it is a record's primary or secondary number)."""
    sc = source_customer
    columns = {"phone": (sc.c.phone, sc.c.secondary_phone), "email": (sc.c.email,)}
    shared = set()
    for kind, kind_columns in columns.items():
        values = [v for k, v in identifiers if k == kind]
        if not values:
            continue
        held = union_all(
            *(
                select(column.label("value"), sc.c.national_id).where(
                    column.in_(values), sc.c.id_document_type == "national_id"
                )
                for column in kind_columns
            )
        ).subquery()
        rows = conn.execute(
            select(held.c.value)
            .group_by(held.c.value)
            .having(func.count(held.c.national_id.distinct()) > SHARED_LIMIT)
        ).scalars()
        shared |= {(kind, value) for value in rows}
    return shared


def _shared(conn: Connection, component: dict[Key, Node]) -> set[tuple[str, str]]:
    """Shared identifiers of the component, counting the batch's (not yet stored) records."""
    national_ids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for node in component.values():
        for identifier in node.soft_identifiers():
            if node.national_id:
                national_ids[identifier].add(node.national_id)
    stored = _shared_values(conn, set(national_ids))
    return stored | {i for i, ids in national_ids.items() if len(ids) > SHARED_LIMIT}


def _assign(
    conn: Connection,
    result: Clustering,
    component: dict[Key, Node],
    batch_nodes: dict[Key, Node],
    stored: dict[Key, _StoredNode],
) -> Resolution:
    """Give every cluster an ID. An existing ID stays with the cluster holding most of its
    records (ties: the one holding its earliest-linked record); a cluster that keeps several
    IDs keeps the one with most records (ties: the oldest profile) and the others are merged
    into it; a cluster that keeps none gets a new ID."""
    current = {k: n.global_customer_id for k, n in component.items() if n.global_customer_id}
    for key in batch_nodes:  # a batch record keeps the ID it is linked to, if any
        if key in stored:
            current[key] = stored[key].global_customer_id
    resolution = Resolution(previous=current)
    created = dict(
        conn.execute(
            select(customer_360.c.global_customer_id, customer_360.c.created_at).where(
                customer_360.c.global_customer_id.in_(set(current.values()))
            )
        ).all()
    )
    linked_at = {k: getattr(n, "linked_at", None) for k, n in component.items()}
    cluster_of = {k: i for i, keys in enumerate(result.clusters) for k in keys}
    holdings: dict[UUID, Counter] = defaultdict(Counter)
    for key, gid in current.items():
        holdings[gid][cluster_of[key]] += 1

    def founder(gid: UUID, index: int) -> tuple:
        return min(
            (str(linked_at.get(k) or ""), k)
            for k in result.clusters[index]
            if current.get(k) == gid
        )

    won: dict[int, list[UUID]] = defaultdict(list)
    home: dict[UUID, int] = {}
    for gid, counts in holdings.items():
        index = min(counts, key=lambda i: (-counts[i], founder(gid, i)))
        home[gid] = index
        won[index].append(gid)
    cluster_ids = []
    for index in range(len(result.clusters)):
        candidates = sorted(won[index], key=lambda g: (-holdings[g][index], created.get(g), str(g)))
        cluster_ids.append(candidates[0] if candidates else uuid.uuid4())
        for gid in candidates[1:]:
            resolution.merged[gid] = cluster_ids[index]
    for index, keys in enumerate(result.clusters):
        for key in keys:
            if key in batch_nodes:
                resolution.links[key] = cluster_ids[index]
            if current.get(key) != cluster_ids[index]:
                resolution.moved[key] = cluster_ids[index]
    return resolution


def _store(
    conn: Connection,
    resolution: Resolution,
    result: Clustering,
    incoming: dict[Key, CustomerRecord],
    batch_nodes: dict[Key, Node],
    component: dict[Key, Node],
    batch_id: int | None,
) -> None:
    new_ids = set(resolution.links.values()) | set(resolution.moved.values())
    if new_ids:
        conn.execute(
            pg_insert(customer_360)
            .values(
                [
                    # the wall clock, not the transaction's start: ages order survivorship ties
                    {"global_customer_id": gid, "created_at": func.clock_timestamp()}
                    for gid in sorted(new_ids, key=str)
                ]
            )
            .on_conflict_do_nothing()
        )
    # Facts of every record that moves are re-pointed in this transaction: hold their owners
    # (fact upserts take the same locks shared), including core's business keys (fraud cases).
    for key in resolution.moved:
        record = incoming.get(key)
        business_key = (
            record.business_key if record else getattr(component[key], "business_key", None)
        )
        if business_key and key[0] == "core":
            resolution.business_keys.append(business_key)
    owner_keys = [locks.customer_key(*k) for k in resolution.moved]
    owner_keys += [locks.business_key("core", bk) for bk in resolution.business_keys]
    locks.lock_keys(conn, owner_keys)

    if incoming:
        rows = [
            _link_row(record, batch_nodes[key], resolution.links[key], result)
            for key, record in incoming.items()
        ]
        # executed per row set (executemany pages): one VALUES list of a 5,000-record batch
        # would pass PostgreSQL's 65,535-parameter limit
        # the wall clock, not the transaction's start: link ages order survivorship ties
        stmt = pg_insert(source_customer).values(linked_at=func.clock_timestamp())
        changing = [
            c for c in rows[0] if c not in ("source_system", "source_customer_id", "match_rule")
        ]
        sc = source_customer
        moved = sc.c.global_customer_id.is_distinct_from(stmt.excluded.global_customer_id)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["source_system", "source_customer_id"],
                set_={
                    **{c: stmt.excluded[c] for c in changing},
                    # how a record was linked changes only when its link does
                    "match_rule": case((moved, stmt.excluded.match_rule), else_=sc.c.match_rule),
                    "updated_at": text("now()"),
                },
                # a record read again unchanged (a replay, a look-back) touches nothing
                where=or_(*(sc.c[c].is_distinct_from(stmt.excluded[c]) for c in changing)),
            ),
            rows,
        )
    others = {k: gid for k, gid in resolution.moved.items() if k not in incoming}
    if others:
        conn.execute(
            text(
                """
                UPDATE source_customer sc SET global_customer_id = m.gid, updated_at = now()
                FROM unnest(CAST(:systems AS text[]), CAST(:ids AS text[]), CAST(:gids AS uuid[]))
                     AS m(s, i, gid)
                WHERE sc.source_system = m.s AND sc.source_customer_id = m.i
                """
            ),
            {
                "systems": [k[0] for k in others],
                "ids": [k[1] for k in others],
                "gids": list(others.values()),
            },
        )
    _record_merges(conn, resolution, result, incoming)
    _record_decisions(conn, resolution, result, batch_id)
    _record_suspects(conn, resolution, result, component)
    _record_variants(conn, batch_nodes)


def _record_merges(
    conn: Connection, resolution: Resolution, result: Clustering, incoming: dict
) -> None:
    if not resolution.merged:
        return
    trigger = next(iter(incoming), (None, None))
    previous = resolution.previous
    history = []
    for old, survivor in resolution.merged.items():
        identifier = next(
            (kind for a, b, kind in result.links if old in (previous.get(a), previous.get(b))),
            "regrouped",
        )
        history.append(
            {
                "survivor_id": survivor,
                "merged_id": old,
                "identifier": identifier,
                "rule": "component regrouped: same person by the identity rules",
                "source_system": trigger[0],
                "source_customer_id": trigger[1],
            }
        )
    conn.execute(insert(merge_history), history)
    # the merged-away ID, and any ID merged into it before, now redirect to the survivor
    for old, survivor in resolution.merged.items():
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
    conn.execute(
        text("DELETE FROM risk_profile WHERE global_customer_id = ANY(:ids)"),
        {"ids": list(resolution.merged)},
    )
    resolution.decisions["merged"] += len(resolution.merged)


def _record_decisions(
    conn: Connection, resolution: Resolution, result: Clustering, batch_id: int | None
) -> None:
    rows = []
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
                "reason": "; ".join([reason, *refusals]),
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
                "reason": "regrouped after a related record arrived or changed",
                "batch_id": batch_id,
            }
        )
    if rows:
        conn.execute(insert(match_decision), rows)


def _record_suspects(
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
    stmt = pg_insert(suspected_duplicate).values(
        [
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
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["national_id_a", "national_id_b"],
            set_={
                "reason": stmt.excluded.reason,
                "evidence": stmt.excluded.evidence,
                "detected_at": func.now(),
            },
        )
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


def _record_variants(conn, batch_nodes: dict[Key, Node]) -> None:
    rows = [
        {"variant": variant, "national_id": node.national_id}
        for node in batch_nodes.values()
        if node.national_id
        for variant in deletion_variants(node.national_id)
    ]
    if rows:
        conn.execute(pg_insert(national_id_variant).on_conflict_do_nothing(), rows)


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
        "source_created_at": record.created_at,
        "source_updated_at": record.updated_at,
        "match_rule": result.joined_by.get(node.key, "new"),
    }
