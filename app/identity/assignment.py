"""Global Customer IDs for the clusters of a component: who keeps an ID, who gets a new one,
which IDs merge (the outcome of a resolution, before anything is written)."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import Connection, select

from app.customer.models import customer_360
from app.db import in_array
from app.identity.clustering import Clustering, Key, Node
from app.identity.component import StoredNode


@dataclass(frozen=True)
class Steward:
    """A resolution a steward's approved proposal caused: who approved it, which proposal."""

    name: str
    proposal_id: int


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

    def concerned(self) -> set[UUID]:
        """Every profile this resolution may change: those its records were in, and are in."""
        ids = {*self.previous.values(), *self.links.values(), *self.moved.values()}
        return ids | set(self.merged) | set(self.merged.values())

    @property
    def affected(self) -> list[UUID]:
        """IDs whose golden record, facts or risk may have changed."""
        ids = set(self.links.values()) | set(self.moved.values()) | set(self.merged.values())
        return sorted(ids, key=str)


def assign_ids(
    conn: Connection,
    result: Clustering,
    component: dict[Key, Node],
    batch_nodes: dict[Key, Node],
    stored: dict[Key, StoredNode],
    keep: frozenset[UUID] = frozenset(),
) -> Resolution:
    """Give every cluster an ID. An existing ID stays with the cluster holding most of its
    records (ties: the one holding its earliest-linked record); a cluster that keeps several
    IDs keeps the one with most records (ties: one of `keep`, the profiles a steward's action
    leaves in place, then the oldest profile) and the others are merged into it; a cluster that
    keeps none gets a new ID."""
    current = {k: n.global_customer_id for k, n in component.items() if n.global_customer_id}
    for key in batch_nodes:  # a batch record keeps the ID it is linked to, if any
        linked = stored.get(key)
        if linked is not None and linked.global_customer_id is not None:
            current[key] = linked.global_customer_id
    resolution = Resolution(previous=current)
    created = dict(
        conn.execute(
            select(customer_360.c.global_customer_id, customer_360.c.created_at).where(
                in_array(customer_360.c.global_customer_id, set(current.values()))
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
        candidates = sorted(
            won[index], key=lambda g: (-holdings[g][index], g not in keep, created.get(g), str(g))
        )
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
