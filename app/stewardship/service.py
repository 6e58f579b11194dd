"""Steward actions with four eyes. A proposal names an action and why; a different steward
approves it (which applies it) or rejects it. Applying a proposal writes the stewards'
decision about pairs of records (`identity_rule`: the same person, or different people) and
resolves the records concerned again through the matcher, under the same identity locks as any
batch, so a steward action and a batch touching the same people never interleave: links,
merges (with their history and 308s), facts, golden records and risk follow as for a batch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Result, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.customer import profiles
from app.customer.models import BUSINESS_KEY_SOURCE, merge_history, source_customer
from app.customer.service import survivor_id
from app.identity import invariants, locks
from app.identity.assignment import Steward
from app.identity.clustering import Key, cluster
from app.identity.component import shared_identifiers, steward_rules, stored_nodes
from app.identity.invariants import BrokenProfile
from app.identity.locks import IdentityLocks
from app.identity.matcher import resolve_stored
from app.identity.models import identity_rule, match_decision, review_item
from app.pipeline import membership
from app.pipeline.facts import misplaced_facts
from app.risk.scoring import update_risk_profiles
from app.stewardship.models import steward_proposal

MERGE, UNMERGE_RECORD, UNMERGE_MERGE = "merge", "unmerge_record", "unmerge_merge"
SAME_PERSON, DIFFERENT_PEOPLE = "same_person", "different_people"
ACTIONS = (MERGE, UNMERGE_RECORD, UNMERGE_MERGE, SAME_PERSON, DIFFERENT_PEOPLE)
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class Refused(Exception):
    """A proposal or decision that cannot be made as asked; `status` is the HTTP answer."""

    status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(Refused):
    status = 404


class Forbidden(Refused):
    status = 403


# --- reads -----------------------------------------------------------------------------------


def records_of(conn: Connection, global_id: UUID) -> list[Key]:
    sc = source_customer
    rows = conn.execute(
        select(sc.c.source_system, sc.c.source_customer_id)
        .where(sc.c.global_customer_id == global_id)
        .order_by(sc.c.source_system, sc.c.source_customer_id)
    ).all()
    return [tuple(row) for row in rows]


def profile_of(conn: Connection, key: Key) -> UUID:
    sc = source_customer
    gid = conn.execute(
        select(sc.c.global_customer_id).where(
            sc.c.source_system == key[0], sc.c.source_customer_id == key[1]
        )
    ).scalar()
    if gid is None:
        raise NotFound(f"no source record {key[0]}:{key[1]}")
    return gid


def _active(conn: Connection, global_id: UUID) -> UUID:
    survivor = survivor_id(conn, global_id)
    if survivor is None:
        raise NotFound(f"no customer {global_id}")
    if survivor != global_id:
        raise Refused(f"customer {global_id} was merged into {survivor}: name {survivor}")
    return global_id


def list_proposals(conn: Connection, status: str | None, limit: int) -> list[dict[str, Any]]:
    query = select(steward_proposal)
    if status:
        query = query.where(steward_proposal.c.status == status)
    rows = conn.execute(query.order_by(steward_proposal.c.proposal_id).limit(limit)).mappings()
    return [dict(row) for row in rows]


def get_proposal(conn: Connection, proposal_id: int, *, for_update: bool = False) -> dict:
    query = select(steward_proposal).where(steward_proposal.c.proposal_id == proposal_id)
    row = conn.execute(query.with_for_update() if for_update else query).mappings().first()
    if row is None:
        raise NotFound(f"no proposal {proposal_id}")
    return dict(row)


# --- proposing -------------------------------------------------------------------------------


def record_key(record: dict[str, str]) -> Key:
    return (record["source_system"], record["source_customer_id"])


def _lock_subject(conn: Connection, held: IdentityLocks, subject: dict[str, Any]) -> None:
    """Lock what a proposal names as a batch's resolution locks it, before it is read: its
    records, the profiles they and it name (with where those ended), and those profiles'
    records. Whoever moves a record in or out of a profile holds that profile's lock."""
    records = [record_key(r) for r in subject.get("records", [])]
    if "record" in subject:
        records.append(record_key(subject["record"]))
    held.take(locks.customer_key(*k) for k in records)
    named = [UUID(str(gid)) for gid in subject.get("global_customer_ids", [])]
    if "merge_id" in subject:
        merge = _merge(conn, subject["merge_id"])
        named += [merge["survivor_id"], merge["merged_id"]]
    named += conn.execute(
        select(source_customer.c.global_customer_id).where(
            tuple_(source_customer.c.source_system, source_customer.c.source_customer_id).in_(
                records or [("", "")]
            )
        )
    ).scalars()
    profiles = {gid for gid in named if gid is not None}
    profiles |= {s for gid in list(profiles) if (s := survivor_id(conn, gid)) is not None}
    held.take(locks.profile_key(gid) for gid in profiles)
    held.take(locks.customer_key(*k) for gid in profiles for k in records_of(conn, gid))


def _subject_customers(conn: Connection, action: str, subject: dict[str, Any]) -> list[UUID]:
    """The active profiles a proposal concerns; refuses one that cannot be applied today."""
    if action == MERGE:
        a, b = (_active(conn, UUID(str(gid))) for gid in subject["global_customer_ids"])
        if a == b:
            raise Refused("a profile cannot be merged with itself")
        _refuse_over_different(conn, records_of(conn, a), records_of(conn, b))
        return [a, b]
    if action in (SAME_PERSON, DIFFERENT_PEOPLE):
        a, b = (record_key(r) for r in subject["records"])
        if a == b:
            raise Refused("name two different records")
        customers = list(dict.fromkeys([profile_of(conn, a), profile_of(conn, b)]))
        _refuse_contradiction(conn, a, b, "same" if action == SAME_PERSON else "different")
        return customers
    if action == UNMERGE_RECORD:
        key = record_key(subject["record"])
        profile = profile_of(conn, key)
        if records_of(conn, profile) == [key]:
            raise Refused(f"{key[0]}:{key[1]} is alone in its profile already")
        return [profile]
    merge = _merge(conn, subject["merge_id"])
    survivor = survivor_id(conn, merge["survivor_id"])
    split, rest = _merge_split(conn, merge, survivor)
    if not split:
        raise Refused(f"nothing merge {merge['merge_id']} brought is in one profile with the rest")
    if not rest:
        raise Refused(
            f"what merge {merge['merge_id']} brought is all its profile holds now: there is"
            " nothing to take it apart from"
        )
    return [survivor, merge["merged_id"]]


# a decision's pair of records, (system, id) of each
_PAIR = (
    identity_rule.c.system_a,
    identity_rule.c.customer_a,
    identity_rule.c.system_b,
    identity_rule.c.customer_b,
)


def _decisions(conn: Connection, relation: str, *where: Any) -> Result:
    """The standing decisions of this relation that match, oldest first: their pair and
    proposal."""
    rule = identity_rule
    return conn.execute(
        select(*_PAIR, rule.c.proposal_id)
        .where(rule.c.relation == relation, *where)
        .order_by(rule.c.proposal_id)
    )


def _refuse_contradiction(conn: Connection, a: Key, b: Key, relation: str) -> None:
    """A decision about two records cannot contradict the standing ones: the same person as
    someone declared different from a person they are the same as, or different people who
    are tied by same-person decisions through others. The one in the way is named."""
    tied, links = _same_closure(conn, [a, b] if relation == "same" else [a], skip=(a, b))
    if relation == "different":
        if b in tied:
            raise Refused(
                f"{_name(a)} and {_name(b)} are the same person by standing decisions"
                f" (proposals {', '.join(str(p) for p in sorted(links))}): retract those first"
                " (a different_people proposal on the records they name)"
            )
        return
    different = _decisions(
        conn,
        "different",
        tuple_(*_PAIR[:2]).in_(sorted(tied)),
        tuple_(*_PAIR[2:]).in_(sorted(tied)),
        tuple_(*_PAIR) != (*min(a, b), *max(a, b)),
    ).first()
    if different is not None:
        x, y = (different[0], different[1]), (different[2], different[3])
        raise Refused(
            f"{_name(a)} and {_name(b)} as one person would make {_name(x)} and {_name(y)} one,"
            f" whom proposal {different.proposal_id} declared different people: retract that"
            " first"
        )


def _same_closure(
    conn: Connection, start: list[Key], skip: tuple[Key, Key]
) -> tuple[set[Key], set[int]]:
    """The records tied to these by same-person decisions, through any number of others (the
    pair `skip` aside: the decision being replaced), and the proposals that tie them."""
    tied, frontier, proposals = set(start), list(start), set()
    skipped = (*min(skip), *max(skip))
    while frontier:
        rows = _decisions(
            conn,
            "same",
            or_(tuple_(*_PAIR[:2]).in_(frontier), tuple_(*_PAIR[2:]).in_(frontier)),
        ).all()
        frontier = []
        for row in rows:
            if tuple(row[:4]) == skipped:
                continue
            for key in ((row[0], row[1]), (row[2], row[3])):
                if key not in tied:
                    tied.add(key)
                    frontier.append(key)
            proposals.add(row.proposal_id)
    return tied, proposals


def _name(key: Key) -> str:
    return f"{key[0]}:{key[1]}"


def _refuse_over_different(conn: Connection, left: list[Key], right: list[Key]) -> None:
    """A merge cannot overrule a standing decision that records of the two profiles are
    different people: that decision is retracted first, by a same-person proposal on its pair."""
    if not left or not right:
        return
    pairs = [tuple(sorted((a, b))) for a in left for b in right]
    standing = _decisions(
        conn, "different", tuple_(*_PAIR).in_([(*a, *b) for a, b in pairs])
    ).first()
    if standing is not None:
        raise Refused(
            f"proposal {standing.proposal_id} declared {standing.system_a}:{standing.customer_a}"
            f" and {standing.system_b}:{standing.customer_b} different people: a merge cannot"
            " overrule it (propose same_person on those two records to retract it)"
        )


def propose(
    conn: Connection, action: str, subject: dict[str, Any], reason: str, proposed_by: str
) -> dict[str, Any]:
    if action not in ACTIONS:
        raise Refused(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
    customers = _subject_customers(conn, action, subject)
    proposal_id = conn.execute(
        insert(steward_proposal)
        .values(
            action=action,
            subject=subject,
            reason=reason,
            proposed_by=proposed_by,
            customer_ids=customers,
        )
        .returning(steward_proposal.c.proposal_id)
    ).scalar_one()
    return get_proposal(conn, proposal_id)


# --- deciding --------------------------------------------------------------------------------


def reject(conn: Connection, proposal_id: int, by: str, note: str) -> dict[str, Any]:
    proposal = _pending(conn, proposal_id, by)
    _decide(conn, proposal["proposal_id"], REJECTED, by, note, None)
    return get_proposal(conn, proposal_id)


def approve(conn: Connection, proposal_id: int, by: str, note: str | None) -> dict[str, Any]:
    """Apply a pending proposal proposed by someone else, in the caller's transaction."""
    proposal = _pending(conn, proposal_id, by)
    steward = Steward(by, proposal["proposal_id"])
    try:
        effect = locks.resolving(conn, lambda held: _apply(conn, held, proposal, steward))
    except BrokenProfile as broken:
        raise Refused(
            f"proposal {proposal_id} was not applied: it would leave profiles wrong"
            f" ({'; '.join(broken.problems)})"
        ) from None
    _decide(conn, proposal["proposal_id"], APPROVED, by, note, effect)
    if proposal["subject"].get("review_item_id"):
        conn.execute(
            update(review_item)
            .where(review_item.c.item_id == proposal["subject"]["review_item_id"])
            .values(status="resolved", resolved_at=func.now(), proposal_id=proposal_id)
        )
    return get_proposal(conn, proposal_id)


def _pending(conn: Connection, proposal_id: int, by: str) -> dict[str, Any]:
    proposal = get_proposal(conn, proposal_id, for_update=True)
    if proposal["status"] != PENDING:
        raise Refused(f"proposal {proposal_id} was {proposal['status']} already")
    if proposal["proposed_by"] == by:
        raise Forbidden(
            f"proposal {proposal_id} was proposed by {by}: another steward must decide it"
        )
    return proposal


def _decide(
    conn: Connection, proposal_id: int, status: str, by: str, note: str | None, effect: Any
) -> None:
    conn.execute(
        update(steward_proposal)
        .where(steward_proposal.c.proposal_id == proposal_id)
        .values(
            status=status, decided_by=by, decided_at=func.now(), decision_note=note, effect=effect
        )
    )


def _merge(conn: Connection, merge_id: int) -> dict[str, Any]:
    row = (
        conn.execute(
            select(merge_history).where(
                merge_history.c.merge_id == merge_id, merge_history.c.kind == "merge"
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        unmerge = conn.execute(
            select(merge_history.c.proposal_id).where(
                merge_history.c.merge_id == merge_id, merge_history.c.kind == "unmerge"
            )
        ).first()
        if unmerge is not None:
            raise Refused(
                f"history entry {merge_id} is an unmerge (proposal {unmerge.proposal_id}), not a"
                " merge: to undo it, merge the two profiles again"
            )
        raise NotFound(f"no merge {merge_id}")
    return dict(row)


def _merge_split(
    conn: Connection, merge: dict[str, Any], survivor: UUID | None
) -> tuple[list[Key], list[Key]]:
    """(the records the merge brought that are still with its survivor, the survivor's
    others). The merge lists its records; before it did, the decisions that placed them say."""
    if survivor is None:
        return [], []
    brought = {tuple(key) for key in merge["records"] or []}
    if not merge["records"]:
        decided = conn.execute(
            select(match_decision.c.source_system, match_decision.c.source_customer_id)
            .where(match_decision.c.global_customer_id == merge["merged_id"])
            .distinct()
        ).all()
        brought = {tuple(row) for row in decided}
    current = records_of(conn, survivor)
    return [k for k in current if k in brought], [k for k in current if k not in brought]


def _write_rules(conn: Connection, pairs: list[tuple[Key, Key]], relation: str, proposal: int):
    rows = [
        {
            "system_a": a[0],
            "customer_a": a[1],
            "system_b": b[0],
            "customer_b": b[1],
            "relation": relation,
            "proposal_id": proposal,
        }
        for a, b in (sorted(pair) for pair in pairs)
    ]
    if not rows:
        return
    stmt = pg_insert(identity_rule).values(rows)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["system_a", "customer_a", "system_b", "customer_b"],
            set_={
                "relation": stmt.excluded.relation,
                "proposal_id": stmt.excluded.proposal_id,
                "decided_at": func.now(),
            },
        )
    )


def _apply(
    conn: Connection, held: IdentityLocks, proposal: dict[str, Any], steward: Steward
) -> dict[str, Any]:
    action, subject = proposal["action"], proposal["subject"]
    # the subject's profiles and records are locked as a batch locks them, before they are read
    _lock_subject(conn, held, subject)
    customers = _subject_customers(conn, action, subject)  # still applicable today?
    already = set(_problems(conn, customers))  # not this action's doing
    repointed: list[Key] = []
    split_from: UUID | None = None
    if action == MERGE:
        a, b = (records_of(conn, gid) for gid in customers)
        if not a or not b:
            raise Refused("a profile without source records cannot be merged")
        # the stewards said every record of both is one person: each tied to one of them, so
        # no rule can leave one behind (one tie between the profiles would hold only the two
        # records it names)
        keys = a + b
        _write_rules(conn, [(keys[0], other) for other in keys[1:]], "same", steward.proposal_id)
    elif action in (SAME_PERSON, DIFFERENT_PEOPLE):
        a, b = (record_key(r) for r in subject["records"])
        relation = "same" if action == SAME_PERSON else "different"
        _write_rules(conn, [(a, b)], relation, steward.proposal_id)
        keys = [a, b, *(k for gid in customers for k in records_of(conn, gid))]
    elif action == UNMERGE_RECORD:
        record = record_key(subject["record"])
        split_from = customers[0]
        others = [k for k in records_of(conn, split_from) if k != record]
        staying = _staying(conn, others)
        # the decision the steward made: this record is not the person who stays; what was in
        # the profile only through it leaves with it (its own login, say), bound by nothing
        _write_rules(conn, [(record, k) for k in staying], "different", steward.proposal_id)
        leaving = [record, *(k for k in others if k not in staying)]
        # the profile's ID stays with what stays
        profiles.split_off(conn, leaving, profiles.new_profile(conn))
        repointed = leaving
        keys = [record, *others]
    else:
        merge = _merge(conn, subject["merge_id"])
        split_from, restored = customers
        brought, rest = _merge_split(conn, merge, split_from)
        pairs = [(x, y) for x in brought for y in rest]
        _write_rules(conn, pairs, "different", steward.proposal_id)
        # the merged-away ID comes back for what it brought: its 308 ends, its links return
        profiles.restore(conn, restored)
        profiles.split_off(conn, brought, restored)
        repointed = brought
        keys = brought + rest
    keep = frozenset({split_from, *customers[1:]} if split_from is not None else ())
    resolution = resolve_stored(conn, held, list(dict.fromkeys(keys)), steward, keep)
    moved = list(dict.fromkeys([*resolution.moved, *repointed]))
    now_in, business_keys = _where_now(conn, moved)
    concerned = {*resolution.affected, *customers, *resolution.merged}
    affected = membership.settle(conn, moved, business_keys, concerned)
    update_risk_profiles(conn, affected)
    if split_from is not None:
        _record_unmerges(conn, split_from, now_in, steward)
        _record_split_decisions(conn, split_from, repointed, now_in, steward)
    caused = [p for p in _problems(conn, {*affected, *now_in.values()}) if p not in already]
    if caused:
        raise BrokenProfile(caused)
    return {
        "merged": {str(old): str(new) for old, new in resolution.merged.items()},
        "moved": {f"{k[0]}:{k[1]}": str(gid) for k, gid in now_in.items()},
        "customers": [str(gid) for gid in affected],
    }


def _staying(conn: Connection, others: list[Key]) -> list[Key]:
    """The records that stay in a profile when one leaves it: of the rest grouped without it
    (by the same rules and decisions), the largest group, ties going to the one linked first.
    The others were in the profile through the leaving record alone."""
    nodes = stored_nodes(conn, others)
    if not nodes:
        return []
    result = cluster(nodes.values(), shared_identifiers(conn, nodes), steward_rules(conn, nodes))

    def weight(group: list[Key]) -> tuple:
        return (-len(group), min(str(nodes[k].linked_at or "") for k in group), group)

    return min(result.clusters, key=weight)


def _problems(conn: Connection, profiles: Iterable[UUID]) -> list[str]:
    """What is wrong with these profiles: their membership, and their facts."""
    ids = list(profiles)
    return invariants.broken(conn, ids) + misplaced_facts(conn, ids)


def _where_now(conn: Connection, keys: list[Key]) -> tuple[dict[Key, UUID], list[str]]:
    """Where these records are linked now, and the business keys of the core ones (their
    fraud cases move with them): one query."""
    if not keys:
        return {}, []
    sc = source_customer
    rows = conn.execute(
        select(
            sc.c.source_system, sc.c.source_customer_id, sc.c.global_customer_id, sc.c.business_key
        )
        .where(tuple_(sc.c.source_system, sc.c.source_customer_id).in_(keys))
        .order_by(sc.c.source_system, sc.c.source_customer_id)
    ).all()
    now_in = {(row[0], row[1]): row[2] for row in rows}
    business_keys = [row[3] for row in rows if row[0] == BUSINESS_KEY_SOURCE and row[3] is not None]
    return now_in, business_keys


def _record_split_decisions(
    conn: Connection,
    split_from: UUID,
    keys: list[Key],
    now_in: dict[Key, UUID],
    steward: Steward,
) -> None:
    """The records a steward split out, each with its decision (the matcher records those it
    moved itself)."""
    rows = [
        {
            "source_system": key[0],
            "source_customer_id": key[1],
            "global_customer_id": gid,
            "decision": "moved",
            "identifier": "steward",
            "reason": f"steward action (proposal {steward.proposal_id}, approved by "
            f"{steward.name}): split out of {split_from}",
        }
        for key in keys
        if (gid := now_in[key]) != split_from
    ]
    if rows:
        conn.execute(insert(match_decision), rows)


def _record_unmerges(
    conn: Connection, split_from: UUID, now_in: dict[Key, UUID], steward: Steward
) -> None:
    """An unmerge is a merge-history event too: per profile the records went to."""
    by_profile: dict[UUID, list[Key]] = {}
    for key, gid in now_in.items():
        if gid != split_from:
            by_profile.setdefault(gid, []).append(key)
    for gid, keys in by_profile.items():
        conn.execute(
            insert(merge_history).values(
                kind="unmerge",
                survivor_id=split_from,
                merged_id=gid,
                identifier="steward",
                rule=f"a steward split them out (proposal {steward.proposal_id})",
                source_system=keys[0][0],
                source_customer_id=keys[0][1],
                actor=steward.name,
                proposal_id=steward.proposal_id,
                records=[list(k) for k in sorted(keys)],
                # the moment the records left, on the clock the access log is written on
                merged_at=func.clock_timestamp(),
            )
        )
