"""Who is the same person: a pure function from a set of person records to their grouping.

The grouping depends only on the records, never on the order they arrived in, so the pipeline
recomputes the connected component of every batch's records with it and converges to the same
result whatever the arrival order or the number of workers.

Rules, applied in this order:
1. The same national ID (or the same passport) is the same person.
2. National IDs one edit apart are the same person only when nothing tells the two apart: the
   dates of birth are known and equal, the names are the same names (given name included, each
   token exactly, after case and accents; one record may lack a middle name), no gender
   differs, and neither ID has another such neighbour. IDs are issued in sequence, so twins and
   siblings registered together hold IDs one apart and share a surname and often a birthday;
   their given names can be one letter apart (Otieno / Atieno, Wanjiru / Wanjiku). So a name or
   a birth date one typo off is a different person, never a typo, when the IDs differ too.
   Every weaker resemblance is reported as a suspected duplicate with the evidence.
3. Then phones (a record's primary and secondary number alike), then emails (sorted, so the
   result is deterministic): the holders of one value become one person, unless their names,
   dates of birth or genders contradict each other, or the value is shared (held by more than
   SHARED_LIMIT national IDs). A value held by several people (a family's phone: several
   documented people, or a holder without a document whose name, birth date or gender
   contradicts theirs) links no one of them to another; a record without a document joins the
   one of them whose name fits its own (tolerating typos and known nicknames) if exactly one
   does ('Esther Koech' among the Koechs), or stays apart ('Koech' alone fits them all).
   A record without a document whose other phone or email belongs to another documented
   person joins the one its name is written as (phones before emails when names do not tell);
   one linked by a phone alone whose name is one letter off the holder's (Nyeri for Njeri), or
   close but not written as theirs with an email that differs from theirs, is another person
   on the line; one whose name writes the holder's Kikuyu names in reverse order (Njoroge K.
   on Kamau Njoroge's line) is possibly his son, and waits for review. How names compare
   (nicknames, transliterations, gendered forms) is `app/identity/names.py`.
   Refused links are reported with their reason.

Above every rule stand the stewards' decisions (`StewardRules`): two records declared the same
person are linked first, a link no rule can cut; two declared different people are never put
in one group, whatever rule would join them (every union checks it). And a phone or email alone
never joins a profile under an open or blocked fraud case with another profile: that merge
waits for a steward (the same national ID still merges at once).

What the rules held back for a person to decide is listed in `Clustering.held_apart`, each
with both sides' records: IDs one edit apart, a line several people hold, identifiers whose
names or birth dates contradict, a name one letter off on a line, names in reverse order on a
line, a risk-gated merge. Every link made says why (`Clustering.why`).
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from rapidfuzz.distance import OSA, JaroWinkler

from app.identity import names
from app.identity.names import tokens as name_tokens

SHARED_LIMIT = 5  # a phone or email of more national IDs than this is a shared line
NAME_TOKEN_SIMILARITY = 0.88  # Jaro-Winkler per name token: tolerates one typo, not a new name
# Looser, to decide that two names *contradict*: a nickname ('Pure', 'Njesh') still fits.
NICKNAME_SIMILARITY = 0.8

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
    secondary_phone: str | None = None  # a second number on file: as good as the first to match
    gender: str | None = None  # 'male' | 'female'; None when unknown (never compared)

    def soft_identifiers(self) -> list[tuple[str, str]]:
        """(kind, value) of the phones and email, each once."""
        values = (("phone", self.phone), ("phone", self.secondary_phone), ("email", self.email))
        return list(dict.fromkeys((kind, value) for kind, value in values if value))


@dataclass(frozen=True)
class SuspectedDuplicate:
    national_id_a: str
    national_id_b: str
    reason: str
    # per check of the typo rule (TYPO_CHECKS): 'equal', 'differs' or 'unknown'
    checks: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StewardRules:
    """Decisions stewards made about pairs of records (approved, so binding), and the profiles
    under an open or blocked fraud case, which no phone or email alone joins to another."""

    same: tuple[tuple[Key, Key], ...] = ()
    different: tuple[tuple[Key, Key], ...] = ()
    gated_profiles: frozenset[UUID] = frozenset()
    # per gated profile, its open or blocked cases ("fraud:123 (ASSIGNED)"): what a reviewer
    # of the held merge looks at
    gated_cases: tuple[tuple[UUID, str], ...] = ()


SOFT_KINDS = frozenset({"phone", "email", "phone_and_name", "email_and_name"})

# What a reviewer is asked to decide, by what held the link back.
TYPO, SHARED_LINE, CONTRADICTION, ON_THE_LINE, REVERSED_NAMES, RISK_GATE = (
    "national_id_typo",
    "shared_line",
    "contradiction",
    "on_the_line",
    "reversed_names",
    "risk_gate",
)
REVIEW_KINDS = (TYPO, SHARED_LINE, CONTRADICTION, ON_THE_LINE, REVERSED_NAMES, RISK_GATE)


@dataclass(frozen=True)
class HeldApart:
    """Two groups of records a rule kept apart that a person may decide are one."""

    kind: str  # TYPO, SHARED_LINE, CONTRADICTION, ON_THE_LINE, REVERSED_NAMES or RISK_GATE
    side_a: tuple[Key, ...]
    side_b: tuple[Key, ...]
    identifier: str | None  # the kind of identifier that would have linked them
    reason: str
    # how the first record of side b reads against the first of side a (`names.evidence`)
    names: dict[str, Any] | None = None


@dataclass
class Clustering:
    clusters: list[list[Key]]
    # how a record first joined records it was not alone with: national_id, phone, ...
    joined_by: dict[Key, str] = field(default_factory=dict)
    refusals: dict[Key, list[str]] = field(default_factory=lambda: defaultdict(list))
    suspected: list[SuspectedDuplicate] = field(default_factory=list)
    # (key_a, key_b, identifier kind) for every union made, in order
    links: list[tuple[Key, Key, str]] = field(default_factory=list)
    held_apart: list[HeldApart] = field(default_factory=list)
    # why each record joined the first record it was linked with: the rule, that record, and
    # how their names read against each other (`why_linked`)
    why: dict[Key, dict[str, Any]] = field(default_factory=dict)


class _Groups:
    """Union-find that also tracks which documents each group holds."""

    def __init__(self, nodes: list[Node], different: Iterable[tuple[Key, Key]] = ()) -> None:
        self.parent = {n.key: n.key for n in nodes}
        self.members = {n.key: [n.key] for n in nodes}
        self.national_ids = {n.key: {n.national_id} - {None} for n in nodes}
        self.passports = {n.key: {n.passport} - {None} for n in nodes}
        # per group, the records a steward declared to be other people than one of its members
        self.apart: dict[Key, set[Key]] = {n.key: set() for n in nodes}
        self.profiles = {n.key: {n.global_customer_id} - {None} for n in nodes}
        for a, b in different:
            if a in self.apart and b in self.apart:
                self.apart[a].add(b)
                self.apart[b].add(a)

    def may_join(self, a: Key, b: Key) -> bool:
        ra, rb = self.find(a), self.find(b)
        return not (self.apart[ra] & set(self.members[rb]))

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
        self.apart[ra] |= self.apart.pop(rb)
        self.profiles[ra] |= self.profiles.pop(rb)
        return ra


STEWARD_APART = "a steward declared them different people: not linked"


def cluster(
    nodes: Iterable[Node],
    shared: AbstractSet[tuple[str, str]] = frozenset(),
    rules: StewardRules = StewardRules(),
) -> Clustering:
    """Group the records; `shared` holds the (kind, value) identifiers known to be shared,
    `rules` the stewards' decisions about pairs of them. The rules apply in the order the
    module's docstring gives, one method each."""
    run = _Run(sorted(nodes, key=lambda n: n.key), shared, rules)
    run.link_stewards_same()
    run.link_documents()
    run.link_typos()
    run.link_soft("phone")
    run.link_soft("email")
    return run.finish()


class _Run:
    """One grouping: the groups so far and what was decided, with one method per rule."""

    def __init__(
        self, ordered: list[Node], shared: AbstractSet[tuple[str, str]], rules: StewardRules
    ) -> None:
        self.ordered, self.shared, self.rules = ordered, shared, rules
        self.groups = _Groups(ordered, rules.different)
        self.result = Clustering(clusters=[])
        self.by_key = {n.key: n for n in ordered}
        self.every_holder: dict[tuple[str, str], list[Key]] = defaultdict(list)
        for node in ordered:
            for identifier in node.soft_identifiers():
                if identifier not in shared:
                    self.every_holder[identifier].append(node.key)

    # What is decided, and how

    def hold(self, a: Key, b: Key, kind: str, identifier: str | None, reason: str) -> None:
        side_a = tuple(sorted(self.groups.members[self.groups.find(a)]))
        side_b = tuple(sorted(self.groups.members[self.groups.find(b)]))
        evidence = names.evidence(
            self.by_key[side_b[0]].full_name, self.by_key[side_a[0]].full_name
        )
        self.result.held_apart.append(HeldApart(kind, side_a, side_b, identifier, reason, evidence))

    def refuse(self, key: Key, reason: str) -> None:
        """Record why a link was not made, on every record of `key`'s group."""
        for member in self.groups.members[self.groups.find(key)]:
            self.result.refusals[member].append(reason)

    def gated(self, a: Key, b: Key) -> bool:
        """Joining these would merge a profile under an open or blocked fraud case with
        another profile."""
        pa = self.groups.profiles[self.groups.find(a)]
        pb = self.groups.profiles[self.groups.find(b)]
        return bool(pa and pb and pa.isdisjoint(pb) and (pa | pb) & self.rules.gated_profiles)

    def link(self, a: Key, b: Key, kind: str, value: str | None = None) -> None:
        """Join a's and b's groups by the rule `kind` (on the identifier `value`)."""
        groups, result = self.groups, self.result
        if groups.find(a) == groups.find(b):
            return
        if not groups.may_join(a, b):
            for key in (a, b):
                if STEWARD_APART not in result.refusals[key]:
                    result.refusals[key].append(STEWARD_APART)
            return
        if kind in SOFT_KINDS and self.gated(a, b):
            self._hold_for_the_risk_gate(a, b, kind)
            return
        side_a, side_b = self.members(a), self.members(b)
        groups.union(a, b)
        result.links.append((a, b, kind))
        for key, others in ((a, side_b), (b, side_a)):
            if key not in result.why:
                result.why[key] = why_linked(self.by_key[key], others, kind, value)

    def _hold_for_the_risk_gate(self, a: Key, b: Key, kind: str) -> None:
        identifier = kind.removesuffix("_and_name")
        profiles = (
            self.groups.profiles[self.groups.find(a)] | self.groups.profiles[self.groups.find(b)]
        )
        cases = sorted(case for gid, case in self.rules.gated_cases if gid in profiles)
        reason = (
            f"{identifier} would merge a profile under an open fraud case"
            f"{' (' + ', '.join(cases) + ')' if cases else ''} with another:"
            " waits for a steward"
        )
        for key in (a, b):
            self.result.refusals[key].append(reason)
        self.hold(a, b, RISK_GATE, identifier, reason)

    # What a group is

    def members(self, key: Key) -> list[Node]:
        return [self.by_key[k] for k in self.groups.members[self.groups.find(key)]]

    def documented_root(self, root: Key) -> bool:
        return bool(self.groups.national_ids[root] or self.groups.passports[root])

    def claimed_by(self, root: Key) -> set[Key]:
        """The documented people (other than `root`) holding any phone or email of `root`."""
        find = self.groups.find
        return {
            find(k)
            for m in self.members(root)
            for identifier in m.soft_identifiers()
            for k in self.every_holder.get(identifier, ())
            if find(k) != root and self.documented_root(find(k))
        }

    def the_one_named(self, root: Key, candidates: Iterable[Key]) -> Key | None:
        """Among documented people, the one `root`'s name clearly belongs to: its name fits,
        nothing contradicts, it is not theirs in reverse (their son) nor one letter off (their
        sister), and where several fit ('Atieno O.' fits twins one letter apart), the one whose
        name it writes exactly."""
        mine = self.members(root)

        def fits(d: Key) -> bool:
            theirs = self.members(d)
            return (
                any(name_fits(x.full_name, y.full_name) for x in mine for y in theirs)
                and not contradicts(mine, theirs)
                and not _reversed_kikuyu(mine, theirs)
                and not _another_on_the_line(mine, theirs)
            )

        own = self.groups.find(root)
        named = [
            d
            for d in dict.fromkeys(self.groups.find(c) for c in candidates)
            if d != own and fits(d)
        ]
        if len(named) > 1:
            named = [
                d
                for d in named
                if any(
                    name_written(x.full_name, y.full_name) for x in mine for y in self.members(d)
                )
            ]
        return named[0] if len(named) == 1 else None

    # The rules, in order

    def link_stewards_same(self) -> None:
        """Two records stewards declared one person: a link no rule can cut."""
        for a, b in sorted(self.rules.same):
            if a in self.groups.parent and b in self.groups.parent:
                self.link(a, b, "steward")

    def link_documents(self) -> None:
        """Rule 1: the same national ID, or the same passport."""
        for kind in ("national_id", "passport"):
            holders: dict[str, list[Key]] = defaultdict(list)
            for node in self.ordered:
                if getattr(node, kind):
                    holders[getattr(node, kind)].append(node.key)
            for keys in holders.values():
                for other in keys[1:]:
                    # past a holder a steward declared another person, to one it may join
                    anchor = next(
                        (k for k in keys if k != other and self.groups.may_join(k, other)),
                        keys[0],
                    )
                    self.link(anchor, other, kind, getattr(self.by_key[other], kind))

    def link_typos(self) -> None:
        """Rule 2: national IDs one edit apart, when nothing tells their holders apart."""
        _link_typos(self.ordered, self.link, self.result)

    def link_soft(self, kind: str) -> None:
        """Rule 3: the holders of one phone (or email) become one person, unless the line is
        shared, several people hold it, or names, birth dates or genders tell them apart."""
        holders: dict[str, list[Key]] = defaultdict(list)
        for node in self.ordered:
            for held_kind, value in node.soft_identifiers():
                if held_kind == kind:
                    holders[value].append(node.key)
        for value in sorted(holders):
            keys = holders[value]
            if (kind, value) in self.shared:
                for key in keys:
                    self.result.refusals[key].append(
                        f"{kind} is shared by more than {SHARED_LIMIT} people: not used"
                    )
                continue
            roots = sorted({self.groups.find(k) for k in keys})
            if len(roots) >= 2:
                self._link_holders(kind, value, roots)

    def _people_on(self, roots: list[Key], documented: list[Key]) -> list[Key]:
        """The people on a line: its documented holders, then every holder without a document
        whose name or birth date contradicts all of them so far (a relative with no ID on
        file); with no documented holder, the first who says who they are."""
        people = list(documented)
        for root in roots:
            if root in documented or not any(
                name_tokens(m.full_name) or m.date_of_birth for m in self.members(root)
            ):
                continue
            if all(contradicts(self.members(root), self.members(p)) for p in people):
                people.append(root)
        return people

    def _link_holders(self, kind: str, value: str, roots: list[Key]) -> None:
        groups = self.groups
        documented = [r for r in roots if self.documented_root(r)]
        people = self._people_on(roots, documented)
        with_id = [r for r in roots if groups.national_ids[r]]
        with_passport = [r for r in roots if groups.passports[r]]
        evident = len(people) - max(len(documented), 1)
        if len(with_id) > 1 or len(with_passport) > 1 or evident > 0:
            self._line_of_several(kind, value, roots, documented, people)
        else:
            self._line_of_one(kind, value, roots, people[0] if people else roots[0])

    def _line_of_several(
        self, kind: str, value: str, roots: list[Key], documented: list[Key], people: list[Key]
    ) -> None:
        """Several people hold it (a family line): a record without a document joins the one
        of them its name clearly belongs to, or nobody."""
        refusal = f"{kind} is held by {len(people)} different people: ambiguous, not used"
        for root in documented:
            self.refuse(root, refusal)
        for root in [r for r in roots if r not in documented]:
            chosen = self.the_one_named(root, people)
            if chosen is not None:
                self.link(root, chosen, f"{kind}_and_name", value)
                continue
            self.refuse(root, refusal)
            for person in people:
                if self.groups.find(person) != self.groups.find(root):
                    self.hold(root, person, SHARED_LINE, kind, refusal)

    def _line_of_one(self, kind: str, value: str, roots: list[Key], first: Key) -> None:
        """One person holds it: every other holder joins them, unless something says it is
        someone else."""
        groups = self.groups
        for root in roots:
            root = groups.find(root)  # an earlier holder's anchor may have joined it
            if root == groups.find(first):
                continue
            # a holder a steward declared another person is no anchor for this one: the
            # holders left may still be one person among themselves
            anchor = next(
                (r for r in [first, *roots] if groups.find(r) != root and groups.may_join(r, root)),
                first,
            )
            if not self._someone_else(kind, anchor, root):
                self.link(anchor, root, kind, value)

    def _someone_else(self, kind: str, anchor: Key, root: Key) -> bool:
        """Whether `root`, holding `anchor`'s phone or email, is someone else: held apart
        (with its reason) when names or birth dates contradict, when it is a son or a sister
        on the line; left to another identifier when that one clearly names it."""
        mine, owner = self.members(root), self.groups.find(anchor)
        if contradicts(self.members(anchor), mine):
            refusal = f"{kind} matches, but names or dates of birth disagree: not used"
            self.refuse(root, refusal)
            self.hold(anchor, root, CONTRADICTION, kind, refusal)
            return True
        rivals = self.claimed_by(root) - {owner} if not self.documented_root(root) else set()
        if rivals and self.documented_root(owner):
            # its other phone or email belongs to someone else (a sister's line, her own
            # email): when its name is clearly the other's, that identifier links it, not this
            # one; when names do not tell, phones go before emails
            chosen = self.the_one_named(root, [owner, *rivals])
            if chosen is not None and chosen != owner:
                return True
        if kind == "phone" and _reversed_kikuyu(mine, self.members(owner)):
            refusal = (
                "phone matches, but the name writes the holder's Kikuyu names in reverse"
                " order, as a son named after his grandfather is written: a possible son,"
                " not used"
            )
            self.refuse(root, refusal)
            self.hold(owner, root, REVERSED_NAMES, kind, refusal)
            return True
        if kind == "phone" and _another_on_the_line(mine, self.members(owner)):
            refusal = (
                "phone matches, but the name is one letter off theirs or the emails"
                " differ: another person on the line, not used"
            )
            self.refuse(root, refusal)
            self.hold(owner, root, ON_THE_LINE, kind, refusal)
            return True
        return False

    def finish(self) -> Clustering:
        by_root: dict[Key, list[Key]] = defaultdict(list)
        for node in self.ordered:
            by_root[self.groups.find(node.key)].append(node.key)
        result = self.result
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
    checks = {(a, b): typo_checks(by_id[a], by_id[b]) for a, b in pairs}
    confirmed = [pair for pair in pairs if typo_confirmed(checks[pair])]
    # an ID that several confirmed neighbours could be a typo of is not guessed
    neighbours = Counter(value for pair in confirmed for value in pair)
    for a, b in pairs:
        pair_checks = checks[(a, b)]
        if (a, b) in confirmed and neighbours[a] == 1 and neighbours[b] == 1:
            link(by_id[a][0].key, by_id[b][0].key, "national_id_typo")
            continue
        if (a, b) in confirmed:
            reason = "national IDs one edit apart, among several such confirmed IDs: not guessed"
        elif any(resembles(x, y) for x in by_id[a] for y in by_id[b]):
            reason = typo_refusal(pair_checks)
        else:
            continue  # two unrelated people whose numbers happen to be close
        result.suspected.append(SuspectedDuplicate(a, b, reason, pair_checks))
        side_a = tuple(sorted(n.key for n in by_id[a]))
        side_b = tuple(sorted(n.key for n in by_id[b]))
        result.held_apart.append(HeldApart(TYPO, side_a, side_b, "national_id", reason))


# What must agree before IDs one edit apart are taken for a typo; see `typo_checks`.
TYPO_CHECKS = ("date_of_birth", "names", "gender")


def _compare(a: object, b: object) -> str:
    if a is None or b is None:
        return "unknown"
    return "equal" if a == b else "differs"


def _names_check(a: Node, b: Node) -> str:
    """'equal' when both records give a given name and a surname and they are the same names,
    token for token (the shorter may lack a middle name; surname first is the same name,
    unless both are Kikuyu names a son carries reversed); a name one letter off differs."""
    ta, tb = name_tokens(a.full_name), name_tokens(b.full_name)
    if len(ta) < 2 or len(tb) < 2:
        return "unknown"
    if _reversed_kikuyu([a], [b]):
        return "differs"  # a son named after his grandfather writes his father's names reversed
    short, long = sorted((ta, tb), key=len)
    same_given = ta[0] == tb[0] or (ta[0] == tb[-1] and ta[-1] == tb[0])
    return "equal" if same_given and not Counter(short) - Counter(long) else "differs"


def typo_checks(left: list[Node], right: list[Node]) -> dict[str, str]:
    """Each check over every pair of records holding the two IDs: 'differs' if any pair
    differs, else 'equal' if any pair agrees, else 'unknown'."""
    compare = {
        "date_of_birth": lambda x, y: _compare(x.date_of_birth, y.date_of_birth),
        "names": _names_check,
        "gender": lambda x, y: _compare(x.gender, y.gender),
    }
    checks: dict[str, str] = {}
    for name in TYPO_CHECKS:
        outcomes = {compare[name](x, y) for x in left for y in right}
        checks[name] = next(o for o in ("differs", "equal", "unknown") if o in outcomes)
    return checks


def typo_confirmed(checks: dict[str, str]) -> bool:
    """Nothing tells the two apart: birth dates and names known and equal, no gender differs."""
    return (
        checks["date_of_birth"] == "equal"
        and checks["names"] == "equal"
        and checks["gender"] != "differs"
    )


def typo_refusal(checks: dict[str, str]) -> str:
    label = {"date_of_birth": "date of birth", "names": "names", "gender": "gender"}
    differ = [label[c] for c in TYPO_CHECKS if checks[c] == "differs"]
    if differ:
        return f"national IDs one edit apart; {', '.join(differ)} differ: two people until reviewed"
    # an unknown gender tells nobody apart; unknown birth dates or names confirm nothing
    unknown = [label[c] for c in ("date_of_birth", "names") if checks[c] == "unknown"]
    return f"national IDs one edit apart; {', '.join(unknown)} unknown: not enough to confirm"


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


# names repeat across a component's records: each pair is weighed once
@functools.lru_cache(maxsize=65_536)
def _similarity(a: str, b: str) -> float:
    """How well one name token stands for another, known forms of a name counting as the name
    (nicknames, Swahili forms, transliterations: `names.variant`)."""
    if names.gendered_forms(a, b):
        return 0.0  # Otieno / Atieno, Kibet / Chebet: a brother and a sister
    if names.same_start(a, b):
        return 1.0  # 'Joe' for 'Joseph', 'Pure' for 'Purity'
    if names.variant(a, b):
        return 1.0  # 'Bryo' for 'Brian', 'Yohana' for 'John', 'Ebrahim' for 'Ibrahim'
    if a[:1] != b[:1]:
        # another first letter is another name; typists rarely miss the first letter
        return 0.0
    return JaroWinkler.similarity(a, b)


def _tokens_match(short: Sequence[str], long: Sequence[str], threshold: float) -> bool:
    """Each token of `short` pairs with its own close token of `long` (one-to-one, so
    'Baraka Barasa' does not pass for 'Mercy Barasa' by matching both to 'Barasa')."""
    free = list(long)
    for token in short:
        best = max(free, key=lambda other: _similarity(token, other), default=None)
        if best is None or _similarity(token, best) < threshold:
            return False
        free.remove(best)
    return True


def names_compatible(a: str | None, b: str | None) -> bool:
    """Nothing contradicts: every token of the shorter name (possibly none) has a close match,
    nicknames and looser spellings included ('Njesh Ndungu' for 'Njeri Moraa Ndungu', 'Gibb'
    for 'Lauren Gibb'); 'Wanjiru Kamau' and 'Njeri Kamau' are not compatible."""
    ta, tb = sorted((name_tokens(a), name_tokens(b)), key=len)
    return not ta or _tokens_match(ta, tb, NICKNAME_SIMILARITY)


def name_fits(a: str | None, b: str | None) -> bool:
    """`a` names someone called `b`: every token of `a` (at least one) is a close match or a
    known nickname of its own token of `b` ('Dave Kariuki' fits 'David Kariuki', 'Juma' does
    not fit 'Faith Auma Kiprop'). What picks one member of a family sharing a phone."""
    ta, tb = name_tokens(a), name_tokens(b)
    return bool(ta) and len(ta) <= len(tb) and _tokens_match(ta, tb, NAME_TOKEN_SIMILARITY)


@functools.lru_cache(maxsize=65_536)
def name_written(a: str | None, b: str | None) -> bool:
    """Every token of `a` (at least one) is a token of `b`, letter for letter."""
    ta = name_tokens(a)
    return bool(ta) and not Counter(ta) - Counter(name_tokens(b))


def _another_on_the_line(record: list[Node], holders: list[Node]) -> bool:
    """A record linked only by a phone, whose name is close to the holders' but not written as
    theirs: a name one letter off theirs (Nyeri for Njeri, Wanjiku for Wanjiru), or any other
    difference with an email that differs from all of theirs, is a sister or a brother on the
    family line more likely than a typo (people type their own names). A name written as
    theirs, when both are Kikuyu names a son carries reversed, is his son's as well (writing
    surname first): an email that differs from all of theirs says so."""
    emails = {n.email for n in record if n.email}
    theirs = {n.email for n in holders if n.email}
    emails_differ = bool(emails and theirs) and not emails & theirs
    written = False
    for holder in holders:
        if any(name_written(x.full_name, holder.full_name) for x in record):
            if not (emails_differ and names.generational_kikuyu(holder.full_name)):
                return False
            written = True
    if written:
        return True
    if any(_one_letter_off(x.full_name, y.full_name) for x in record for y in holders):
        return True
    return emails_differ


def _one_letter_off(a: str | None, b: str | None) -> bool:
    """A name token of `a` one letter off a token of `b` that it does not also write exactly:
    one letter changed or two swapped, as in sisters' names (Njeri / Nyeri, Wanjiru / Wanjiku),
    and not a known form of the name (Ahmad for Ahmed). A letter added or dropped is how
    diminutives are made (Pete for Peter, Gracie for Grace), so it does not count."""
    ta, tb = name_tokens(a), name_tokens(b)
    return any(
        len(x) == len(y) >= 4 and OSA.distance(x, y) == 1 and not names.variant(x, y)
        for x in ta
        if x not in tb
        for y in tb
        if y not in ta
    )


def _reversed_kikuyu(left: list[Node], right: list[Node]) -> bool:
    """One side writes the other's Kikuyu names in reverse order (`names.reversed_kikuyu`):
    his son, not him."""
    return any(
        names.reversed_kikuyu(x.full_name, y.full_name)
        for xs, ys in ((left, right), (right, left))
        for x in xs
        for y in ys
    )


def why_linked(record: Node, others: list[Node], kind: str, value: str | None) -> dict[str, Any]:
    """Why `record` joined the group of `others` by the rule `kind`: the rule, the record of
    theirs it was linked with (one holding the identifier `value`, the best named first), and
    how the two names read against each other."""
    identifier = kind.removesuffix("_and_name")

    def holds(node: Node) -> bool:
        return value is not None and (
            (identifier, value) in node.soft_identifiers()
            or value in (node.national_id, node.passport)
        )

    # a record holding the identifier, the best named among them
    partner = min(
        [n for n in others if holds(n)] or others,
        key=lambda n: (
            not name_fits(record.full_name, n.full_name),
            not name_tokens(n.full_name),
            n.key,
        ),
    )
    return {
        "rule": kind,
        "with": list(partner.key),
        "names": names.evidence(record.full_name, partner.full_name),
    }


def contradicts(left: list[Node], right: list[Node]) -> bool:
    """Two groups that cannot be one person: dates of birth or genders that differ, or names
    that do not fit each other even as nicknames ('Hassan' is not 'David Otieno'), given names
    included ('Juma Koech' is not his twin 'Kevin Auma Koech')."""
    for a in left:
        for b in right:
            if None not in (a.gender, b.gender) and a.gender != b.gender:
                return True
            if (
                None not in (a.date_of_birth, b.date_of_birth)
                and a.date_of_birth != b.date_of_birth
            ):
                return True
            if (
                name_tokens(a.full_name)
                and name_tokens(b.full_name)
                and not (
                    names_compatible(a.full_name, b.full_name)
                    and given_names_fit(a.full_name, b.full_name)
                )
            ):
                return True
    return False


def resembles(a: Node, b: Node) -> bool:
    """Some evidence of one person, short of confirmation: same birth date, or a shared name
    token (family name), or a shared phone or email."""
    if a.date_of_birth is not None and a.date_of_birth == b.date_of_birth:
        return True
    if set(a.soft_identifiers()) & set(b.soft_identifiers()):
        return True
    return bool(set(name_tokens(a.full_name)) & set(name_tokens(b.full_name)))


def given_names_fit(a: str | None, b: str | None) -> bool:
    """Two full names (two tokens or more each) start with the same given name, or are the same
    two names written surname first, so 'Wafula Mohamed' is not 'Akinyi Nafula Mohamed'. A name
    of one token ('Gibb') or none contradicts nothing here. Nicknames fit ('Dave' for 'David'),
    a merely similar name does not ('Mary' is not 'Mercy')."""
    ta, tb = name_tokens(a), name_tokens(b)
    if len(ta) < 2 or len(tb) < 2:
        return True

    def close(x: str, y: str) -> bool:
        return _similarity(x, y) >= NAME_TOKEN_SIMILARITY

    return close(ta[0], tb[0]) or (close(ta[0], tb[-1]) and close(ta[-1], tb[0]))
