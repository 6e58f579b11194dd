"""The connected component of a batch: every stored person record reachable from the batch's
records through a national ID, a national ID one edit away, a phone or email that is not
shared by too many people, or a steward's decision about two records; the values that are so
shared, and the stewards' decisions within it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Text, and_, func, or_, select, text, union_all

from app.customer.models import source_customer
from app.db import array_columns, array_literal, array_param, in_array
from app.identity import locks, normalize
from app.identity.clustering import SHARED_LIMIT, Key, Node, StewardRules, deletion_variants
from app.identity.locks import IdentityLocks
from connectors.records import CustomerRecord


def node_of(record: CustomerRecord) -> Node:
    number, kind = normalize.national_id(record.national_id) or (None, None)
    return Node(
        key=(record.source_system, record.source_customer_id),
        national_id=number if kind == "national_id" else None,
        passport=number if kind == "passport" else None,
        phone=normalize.phone(record.phone),
        secondary_phone=normalize.phone(record.secondary_phone),
        email=normalize.email(record.email),
        full_name=record.full_name,
        date_of_birth=record.date_of_birth,
        gender=normalize.gender(record.gender),
    )


def is_newer(record: CustomerRecord, stored: StoredNode | None) -> bool:
    # An older version of a record (a look-back re-read after a newer one) changes nothing.
    return (
        stored is None
        or stored.source_updated_at is None
        or (record.updated_at >= stored.source_updated_at)
    )


@dataclass(frozen=True)
class StoredNode(Node):
    source_updated_at: datetime | None = None
    business_key: str | None = None
    linked_at: datetime | None = None


def _rows_to_nodes(rows) -> dict[Key, StoredNode]:
    return {
        (r.source_system, r.source_customer_id): StoredNode(
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


def stored_nodes(conn: Connection, keys: list[Key]) -> dict[Key, StoredNode]:
    # a join on the keys as two arrays: a row-value IN list of a batch's thousands of keys is
    # checked against every row of the table, seconds per batch at fifty thousand people
    sc = source_customer
    wanted = (
        func.unnest(
            array_param((k[0] for k in keys), Text),
            array_param((k[1] for k in keys), Text),
        )
        .table_valued("system", "id")
        .render_derived(name="k")
    )
    rows = conn.execute(
        select(*_NODE_COLUMNS).join_from(
            sc,
            wanted,
            and_(sc.c.source_system == wanted.c.system, sc.c.source_customer_id == wanted.c.id),
        )
    ).all()
    return _rows_to_nodes(rows)


def _identifiers(node: Node) -> set[tuple[str, str]]:
    values = {("national_id", node.national_id), ("passport", node.passport)}
    return {(k, v) for k, v in values if v} | set(node.soft_identifiers())


def identity_keys(nodes: Iterable[Node], *, owners: bool = True) -> set[str]:
    """What a resolution locks for these records (see `locks`): their profiles, identifiers,
    their national IDs' one-deletion variants (IDs one edit apart share one, so two resolutions
    that might take them for a typo meet on it) and, with `owners`, their source keys and
    CustomerNumbers, which fact upserts hold shared."""
    keys: set[str] = set()
    for node in nodes:
        if node.global_customer_id:
            keys.add(locks.profile_key(node.global_customer_id))
        keys |= _identifier_keys(_identifiers(node))
        if not owners:
            continue
        keys.add(locks.customer_key(*node.key))
        if business_key := getattr(node, "business_key", None):
            keys.add(locks.business_key(node.key[0], business_key))
    return keys


def _identifier_keys(identifiers: Iterable[tuple[str, str]]) -> set[str]:
    keys: set[str] = set()
    for kind, value in identifiers:
        if kind == "national_id":
            keys |= {f"variant:{v}" for v in deletion_variants(value)}  # the ID among them
        else:
            keys.add(f"{kind}:{value}")
    return keys


def connected_component(
    conn: Connection,
    held: IdentityLocks,
    batch_nodes: dict[Key, Node],
    stored: dict[Key, StoredNode],
) -> dict[Key, Node]:
    """The batch's records (as they are now) and every stored record connected to them, each
    locked before it is read through (so no one changes what was found until the end of the
    transaction: whoever would must lock an identifier of it first).

    Seeds include the batch records' previous identifiers, so the records they leave behind
    are regrouped too. A shared phone or email is followed one hop only (its holders may need
    regrouping now that it became shared) but never beyond.
    """
    component: dict[Key, Node] = dict(batch_nodes)
    seeds = [*batch_nodes.values(), *(stored[k] for k in batch_nodes if k in stored)]
    held.take(identity_keys(seeds))
    frontier: set[tuple[str, str]] = set()
    for node in seeds:
        frontier |= _identifiers(node)
    for node in _add_tied(conn, held, list(batch_nodes), component).values():
        frontier |= _identifiers(node)
    seen: set[tuple[str, str]] = set()
    while frontier:
        neighbours = _typo_neighbours(conn, {v for k, v in frontier if k == "national_id"})
        held.take(_identifier_keys(neighbours))
        frontier |= neighbours
        seen |= frontier
        # the holders of the frontier include records found already: made into nodes once
        found = _rows_to_nodes(
            r
            for r in _holders(conn, frontier)
            if (r.source_system, r.source_customer_id) not in component
        )
        # found through identifiers now held, which whoever changes them must hold too; as
        # owners of facts they are held only if they move (`store_resolution`): fact upserts of
        # the people a batch merely finds do not wait for its resolution
        held.take(identity_keys(found.values(), owners=False))
        component.update(found)
        found |= _add_tied(conn, held, list(found), component)
        candidates = {i for n in found.values() for i in _identifiers(n)} - seen
        # beyond the seeds, a shared phone or email links nobody: do not follow it
        frontier = candidates - _shared_values(conn, candidates)
    return component


_RULES_TOUCHING = """
SELECT r.system_a, r.customer_a, r.system_b, r.customer_b, r.relation
FROM unnest(CAST(:systems AS text[]), CAST(:ids AS text[])) AS k(s, i)
JOIN identity_rule r ON r.system_a = k.s AND r.customer_a = k.i
UNION
SELECT r.system_a, r.customer_a, r.system_b, r.customer_b, r.relation
FROM unnest(CAST(:systems AS text[]), CAST(:ids AS text[])) AS k(s, i)
JOIN identity_rule r ON r.system_b = k.s AND r.customer_b = k.i
"""


def _rules_touching(conn: Connection, keys: list[Key]) -> list:
    """The stewards' decisions naming any of these records (none at all, mostly: one cheap
    look at the table first)."""
    if not keys or not conn.execute(text("SELECT EXISTS (SELECT 1 FROM identity_rule)")).scalar():
        return []
    params = array_columns(keys, "systems", "ids")
    return [tuple(row) for row in conn.execute(text(_RULES_TOUCHING), params)]


def _add_tied(
    conn: Connection, held: IdentityLocks, keys: list[Key], component: dict[Key, Node]
) -> dict[Key, StoredNode]:
    """Add to the component the stored records a steward's decision ties to these (and to
    those, in turn), locked; returns the records added."""
    added: dict[Key, StoredNode] = {}
    while keys:
        rows = _rules_touching(conn, keys)
        others = {k for r in rows for k in ((r[0], r[1]), (r[2], r[3]))} - set(component)
        held.take(locks.customer_key(*k) for k in others)
        tied = stored_nodes(conn, sorted(others)) if others else {}
        held.take(identity_keys(tied.values()))
        component.update(tied)
        added.update(tied)
        keys = list(tied)
    return added


def steward_rules(conn: Connection, component: dict[Key, Node]) -> StewardRules:
    """The stewards' decisions between records of the component, and its profiles under an
    open or blocked fraud case (whose merges on a phone or email wait for a steward)."""
    same: list[tuple[Key, Key]] = []
    different: list[tuple[Key, Key]] = []
    for a_system, a_id, b_system, b_id, relation in _rules_touching(conn, list(component)):
        pair = ((a_system, a_id), (b_system, b_id))
        if pair[0] in component and pair[1] in component:
            (same if relation == "same" else different).append(pair)
    profiles = sorted({n.global_customer_id for n in component.values()} - {None}, key=str)
    cases = conn.execute(
        text(
            "SELECT global_customer_id, source_system || ':' || source_case_id"
            " || ' (' || status || ')' FROM fraud_case"
            " WHERE global_customer_id = ANY(:ids) AND upper(status) <> 'CLOSED'"
            " ORDER BY 1, 2"
        ),
        {"ids": profiles},
    ).all()
    return StewardRules(
        same=tuple(sorted(same)),
        different=tuple(sorted(different)),
        gated_profiles=frozenset(gid for gid, _ in cases),
        gated_cases=tuple((gid, case) for gid, case in cases),
    )


def _holders(conn: Connection, identifiers: set[tuple[str, str]]):
    sc = source_customer
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, value in identifiers:
        by_kind[kind].append(value)
    conditions: list[ColumnElement[bool]] = []
    if by_kind["national_id"]:
        conditions.append(
            in_array(sc.c.national_id, by_kind["national_id"])
            & (sc.c.id_document_type == "national_id")
        )
    if by_kind["passport"]:
        conditions.append(
            in_array(sc.c.national_id, by_kind["passport"]) & (sc.c.id_document_type == "passport")
        )
    if by_kind["phone"]:
        conditions.append(in_array(sc.c.phone, by_kind["phone"]))
        conditions.append(in_array(sc.c.secondary_phone, by_kind["phone"]))
    if by_kind["email"]:
        conditions.append(in_array(sc.c.email, by_kind["email"]))
    if not conditions:
        return []
    return conn.execute(select(*_NODE_COLUMNS).where(or_(*conditions))).all()


def _typo_neighbours(conn: Connection, national_ids: set[str]) -> set[tuple[str, str]]:
    if not national_ids:
        return set()
    variants = sorted({v for nid in national_ids for v in deletion_variants(nid)})
    # a join on the variants, one array parameter: an IN list of tens of thousands of bound
    # values cost more to compile and send than the look-up itself
    found = conn.execute(
        text(
            "SELECT DISTINCT v.national_id FROM unnest(CAST(:variants AS text[])) AS k(variant)"
            " JOIN national_id_variant v ON v.variant = k.variant"
        ),
        {"variants": array_literal(variants)},
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
                    in_array(column, values), sc.c.id_document_type == "national_id"
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


def shared_identifiers(conn: Connection, component: dict[Key, Node]) -> set[tuple[str, str]]:
    """Shared identifiers of the component, counting the batch's (not yet stored) records."""
    national_ids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for node in component.values():
        for identifier in node.soft_identifiers():
            if node.national_id:
                national_ids[identifier].add(node.national_id)
    stored = _shared_values(conn, set(national_ids))
    return stored | {i for i, ids in national_ids.items() if len(ids) > SHARED_LIMIT}
