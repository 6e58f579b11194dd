"""Who is the same person: a pure function from a set of person records to their grouping.

The grouping depends only on the records, never on the order they arrived in, so the pipeline
recomputes the connected component of every batch's records with it and converges to the same
result whatever the arrival order or the number of workers.

Rules, applied in this order:
1. The same national ID (or the same passport) is the same person.
2. National IDs one edit apart (a typo at the branch) are the same person only when the names
   agree and the dates of birth do not disagree, or the dates of birth agree and a name is
   missing, and neither ID has another ID one edit away; otherwise the pair is reported as a
   suspected duplicate for review.
3. Then phones, then emails (sorted, so the result is deterministic): the holders of one value
   become one person, unless that would put two different national IDs (or two different
   passports) together, or the value is shared (held by more than SHARED_LIMIT national IDs).
   Refused links are reported with their reason.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from rapidfuzz.distance import OSA, JaroWinkler

SHARED_LIMIT = 3  # a phone or email of more national IDs than this is a shared line
NAME_TOKEN_SIMILARITY = 0.88  # Jaro-Winkler per name token: tolerates one typo, not a new name

Key = tuple[str, str]  # (source_system, source_customer_id)


@dataclass(frozen=True)
class Node:
    """One source person record, identifiers normalized (None identifies nobody)."""

    key: Key
    national_id: str | None = None
    passport: str | None = None
    phone: str | None = None
    email: str | None = None
    full_name: str | None = None
    date_of_birth: date | None = None
    global_customer_id: UUID | None = None  # its current link, if any

    def soft_identifiers(self) -> list[tuple[str, str]]:
        return [
            (kind, value) for kind, value in (("phone", self.phone), ("email", self.email)) if value
        ]


@dataclass(frozen=True)
class SuspectedDuplicate:
    national_id_a: str
    national_id_b: str
    reason: str


@dataclass
class Clustering:
    clusters: list[list[Key]]
    # how a record first joined records it was not alone with: national_id, phone, ...
    joined_by: dict[Key, str] = field(default_factory=dict)
    refusals: dict[Key, list[str]] = field(default_factory=lambda: defaultdict(list))
    suspected: list[SuspectedDuplicate] = field(default_factory=list)
    # (key_a, key_b, identifier kind) for every union made, in order
    links: list[tuple[Key, Key, str]] = field(default_factory=list)


class _Groups:
    """Union-find that also tracks which documents each group holds."""

    def __init__(self, nodes: list[Node]) -> None:
        self.parent = {n.key: n.key for n in nodes}
        self.members = {n.key: [n.key] for n in nodes}
        self.national_ids = {n.key: {n.national_id} - {None} for n in nodes}
        self.passports = {n.key: {n.passport} - {None} for n in nodes}

    def find(self, key: Key) -> Key:
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a: Key, b: Key) -> Key:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if (len(self.members[ra]), rb) < (len(self.members[rb]), ra):
            ra, rb = rb, ra  # the larger group absorbs (ties: a stable choice)
        self.parent[rb] = ra
        self.members[ra] += self.members.pop(rb)
        self.national_ids[ra] |= self.national_ids.pop(rb)
        self.passports[ra] |= self.passports.pop(rb)
        return ra


def cluster(nodes: Iterable[Node], shared: set[tuple[str, str]] = frozenset()) -> Clustering:
    """Group the records; `shared` holds the (kind, value) identifiers known to be shared."""
    ordered = sorted(nodes, key=lambda n: n.key)
    groups = _Groups(ordered)
    result = Clustering(clusters=[])

    def link(a: Key, b: Key, kind: str) -> None:
        if groups.find(a) != groups.find(b):
            groups.union(a, b)
            result.links.append((a, b, kind))

    for kind in ("national_id", "passport"):
        holders: dict[str, list[Key]] = defaultdict(list)
        for node in ordered:
            if getattr(node, kind):
                holders[getattr(node, kind)].append(node.key)
        for keys in holders.values():
            for other in keys[1:]:
                link(keys[0], other, kind)

    _link_typos(ordered, link, result)

    for kind in ("phone", "email"):
        holders = defaultdict(list)
        for node in ordered:
            value = getattr(node, kind)
            if value:
                holders[value].append(node.key)
        for value in sorted(holders):
            keys = holders[value]
            if (kind, value) in shared:
                for key in keys:
                    result.refusals[key].append(
                        f"{kind} is shared by more than {SHARED_LIMIT} people: not used"
                    )
                continue
            roots = sorted({groups.find(k) for k in keys})
            if len(roots) < 2:
                continue
            with_id = [r for r in roots if groups.national_ids[r]]
            with_passport = [r for r in roots if groups.passports[r]]
            if len(with_id) > 1 or len(with_passport) > 1:
                people = max(len(with_id), len(with_passport))
                for key in keys:
                    result.refusals[key].append(
                        f"{kind} is held by {people} people with different national IDs"
                        " or passports: ambiguous, not used"
                    )
                continue
            for key in keys[1:]:
                link(keys[0], key, kind)

    by_root: dict[Key, list[Key]] = defaultdict(list)
    for node in ordered:
        by_root[groups.find(node.key)].append(node.key)
    result.clusters = sorted(by_root.values())
    for a, b, kind in result.links:
        result.joined_by.setdefault(a, kind)
        result.joined_by.setdefault(b, kind)
    return result


def _link_typos(ordered: list[Node], link, result: Clustering) -> None:
    by_id: dict[str, list[Node]] = defaultdict(list)
    for node in ordered:
        if node.national_id:
            by_id[node.national_id].append(node)
    pairs = one_edit_pairs(sorted(by_id))
    neighbours = Counter(value for pair in pairs for value in pair)
    for a, b in pairs:
        # an ID with several near neighbours is not a typo of one of them: do not guess
        unique = neighbours[a] == 1 and neighbours[b] == 1
        if unique and any(confirms(x, y) for x in by_id[a] for y in by_id[b]):
            link(by_id[a][0].key, by_id[b][0].key, "national_id_typo")
        else:
            result.suspected.append(
                SuspectedDuplicate(
                    a,
                    b,
                    "national IDs one edit apart; name and date of birth do not confirm"
                    if unique
                    else "national IDs one edit apart, among several such IDs: not guessed",
                )
            )


def one_edit_pairs(values: list[str]) -> list[tuple[str, str]]:
    """Pairs of distinct values within one edit (substitution, insertion, deletion, adjacent
    transposition), found through shared one-deletion variants rather than all pairs."""
    by_variant: dict[str, set[str]] = defaultdict(set)
    for value in values:
        for variant in deletion_variants(value):
            by_variant[variant].add(value)
    pairs = set()
    for group in by_variant.values():
        ordered = sorted(group)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                if OSA.distance(a, b) <= 1:
                    pairs.add((a, b))
    return sorted(pairs)


def deletion_variants(value: str) -> set[str]:
    """The value and every string made by deleting one character of it."""
    return {value} | {value[:i] + value[i + 1 :] for i in range(len(value))}


_NAME_SPLIT = re.compile(r"[^a-z]+")


def name_tokens(name: str | None) -> list[str]:
    return [t for t in _NAME_SPLIT.split((name or "").casefold()) if len(t) > 1]


def names_agree(a: str | None, b: str | None) -> bool:
    """Every token of the shorter name closely matches a token of the other (at least two)."""
    ta, tb = name_tokens(a), name_tokens(b)
    if len(ta) > len(tb):
        ta, tb = tb, ta
    if len(ta) < 2:
        return False
    return all(
        max(JaroWinkler.similarity(t, other) for other in tb) >= NAME_TOKEN_SIMILARITY for t in ta
    )


def confirms(a: Node, b: Node) -> bool:
    """Does the rest of two records confirm that IDs one edit apart are one person?"""
    same_birth = a.date_of_birth is not None and a.date_of_birth == b.date_of_birth
    birth_differs = None not in (a.date_of_birth, b.date_of_birth) and not same_birth
    if not (a.full_name and b.full_name):
        return same_birth
    return names_agree(a.full_name, b.full_name) and not birth_differs
