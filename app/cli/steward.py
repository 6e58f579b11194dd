"""Stewards' decisions and their review queue: `c360 steward ...`."""

from __future__ import annotations

import json
import os
import sys
from uuid import UUID

import click

from app.cli.common import ROW_NUMBER, _refusals_as_errors, checked_settings
from app.config import SOURCE_SYSTEMS, Settings
from app.identity.clustering import REVIEW_KINDS


@click.group("steward")
def steward_group() -> None:
    """Identity corrections with four eyes: one steward proposes, another approves.

    A steward proves who they are with their own key, as the API asks: C360_STEWARD_KEY, or
    typed when asked on a terminal. The key's name is the steward's (the name the proposal, the
    decision and the merge history record); --as, if given, must be that name.
    """


STEWARD_KEY_VARIABLE = "C360_STEWARD_KEY"


def _steward(conn, settings: Settings, name: str | None) -> str:
    from app.access.keys import STEWARD, authenticate

    presented = os.environ.get(STEWARD_KEY_VARIABLE)
    if not presented and sys.stdin.isatty():
        presented = click.prompt("Your steward key", hide_input=True)
    if not presented:
        raise click.ClickException(
            f"a steward acts with their own key: set {STEWARD_KEY_VARIABLE} (or run on a"
            " terminal, which asks for it)"
        )
    principal = authenticate(conn, presented.strip(), settings.api_keys)
    if principal is None or not principal.may(STEWARD):
        raise click.ClickException("that key is not an active key with the steward scope")
    if name and name != principal.name:
        raise click.ClickException(f"that key is {principal.name!r}'s, not {name!r}'s")
    return principal.name


def _record_key(text: str) -> dict[str, str]:
    system, _, key = text.partition(":")
    if system not in SOURCE_SYSTEMS or not key:
        raise click.BadParameter(f"{text!r}: give SOURCE:ID, e.g. core:101", param_hint="RECORD")
    return {"source_system": system, "source_customer_id": key}


def _subject(action: str, targets: tuple[str, ...]) -> dict:
    from app.stewardship.service import MERGE, UNMERGE_MERGE, UNMERGE_RECORD

    wanted = {MERGE: 2, UNMERGE_RECORD: 1, UNMERGE_MERGE: 1}.get(action, 2)
    if len(targets) != wanted:
        raise click.UsageError(f"{action} takes {wanted} target(s), got {len(targets)}")
    if action == MERGE:
        try:
            return {"global_customer_ids": [str(UUID(t)) for t in targets]}
        except ValueError:
            raise click.BadParameter("give two Global Customer IDs", param_hint="TARGETS") from None
    if action == UNMERGE_MERGE:
        if not targets[0].isdigit():
            raise click.BadParameter(
                "give a merge ID (merge_id in GET /customer/{id}/identity)", param_hint="TARGETS"
            )
        return {"merge_id": int(targets[0])}
    if action == UNMERGE_RECORD:
        return {"record": _record_key(targets[0])}
    return {"records": [_record_key(t) for t in targets]}


def _print_proposal(proposal: dict) -> None:
    decided = f" {proposal['status']} by {proposal['decided_by']}" if proposal["decided_by"] else ""
    click.echo(
        f"#{proposal['proposal_id']} {proposal['action']} {json.dumps(proposal['subject'])} "
        f"proposed by {proposal['proposed_by']} [{proposal['status']}]{decided}: "
        f"{proposal['reason']}"
    )
    if proposal.get("effect"):
        click.echo(f"  effect: {json.dumps(proposal['effect'])}")


@steward_group.command("propose")
@click.argument("action", type=click.Choice(["merge", "unmerge_record", "unmerge_merge",
                                             "same_person", "different_people"]))  # fmt: skip
@click.argument("targets", nargs=-1)
@click.option(
    "--item", type=ROW_NUMBER, help="A review-queue item (its #): its two records are the targets."
)
@click.option("--reason", required=True, help="Why: what the steward saw.")
@click.option("--as", "name", help="The proposing steward's key name (that of their key).")
def steward_propose(
    action: str, targets: tuple[str, ...], item: int | None, reason: str, name: str | None
) -> None:
    """Propose ACTION on TARGETS: two Global Customer IDs (merge), SOURCE:ID (unmerge_record),
    a merge ID (unmerge_merge), or two SOURCE:ID (same_person, different_people); or on a
    review-queue item with --item (same_person, different_people, or merge of its two sides'
    profiles), whose approval settles it."""
    from app import db
    from app.stewardship.queue import propose_from_item
    from app.stewardship.service import MERGE, Refused, propose

    settings = checked_settings(database=True)
    if item is not None:
        if targets or action not in ("same_person", "different_people", MERGE):
            raise click.UsageError(
                "--item takes same_person, different_people or merge, no targets"
            )
        with _refusals_as_errors(Refused), db.transaction() as conn:
            steward = _steward(conn, settings, name)
            proposal = propose_from_item(conn, item, action, reason, steward)
        _print_proposal(proposal)
        return
    if not targets:
        raise click.UsageError("name the TARGETS, or a review-queue item with --item")
    subject = _subject(action, targets)
    with _refusals_as_errors(Refused), db.transaction() as conn:
        proposal = propose(conn, action, subject, reason, _steward(conn, settings, name))
    _print_proposal(proposal)


@steward_group.command("proposals")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected"]))
@click.option("--limit", default=50, show_default=True)
def steward_proposals(status: str | None, limit: int) -> None:
    """Proposals, oldest first."""
    from app import db
    from app.stewardship.service import list_proposals

    checked_settings(database=True)
    with db.connect() as conn:
        proposals = list_proposals(conn, status, limit)
    for proposal in proposals:
        _print_proposal(proposal)
    click.echo(f"{len(proposals)} proposals")


@steward_group.command("approve")
@click.argument("proposal_id", type=ROW_NUMBER)
@click.option("--as", "name", help="The approving steward's key name (that of their key).")
@click.option("--note")
def steward_approve(proposal_id: int, name: str | None, note: str | None) -> None:
    """Approve and apply another steward's proposal."""
    from app import db
    from app.stewardship.service import Refused, approve

    settings = checked_settings(database=True)
    with _refusals_as_errors(Refused), db.transaction() as conn:
        proposal = approve(conn, proposal_id, _steward(conn, settings, name), note)
    _print_proposal(proposal)


@steward_group.command("reject")
@click.argument("proposal_id", type=ROW_NUMBER)
@click.option("--as", "name", help="The rejecting steward's key name (that of their key).")
@click.option("--note", required=True, help="Why not.")
def steward_reject(proposal_id: int, name: str | None, note: str) -> None:
    from app import db
    from app.stewardship.service import Refused, reject

    settings = checked_settings(database=True)
    with _refusals_as_errors(Refused), db.transaction() as conn:
        proposal = reject(conn, proposal_id, _steward(conn, settings, name), note)
    _print_proposal(proposal)


@steward_group.command("queue")
@click.option("--kind", type=click.Choice(REVIEW_KINDS))
@click.option("--source", type=click.Choice(SOURCE_SYSTEMS))
@click.option("--limit", default=50, show_default=True)
def steward_queue(kind: str | None, source: str | None, limit: int) -> None:
    """What the matcher held back for a person to decide, oldest first: per item its number,
    kind and reason, and each side's records and profile. With a steward's key in
    C360_STEWARD_KEY, each record's name, birth date and gender too, identifiers masked (the
    evidence in full is at GET /steward/review-queue); without one, no personal data."""
    from app import db
    from app.logs import mask_text
    from app.stewardship.queue import review_queue

    settings = checked_settings(database=True)
    with db.connect() as conn:
        steward = _steward(conn, settings, None) if os.environ.get(STEWARD_KEY_VARIABLE) else None
        found = review_queue(conn, kind, source, limit)
    for item in found["items"]:
        sides = []
        for side, gid in zip(("side_a", "side_b"), item["global_customer_ids"], strict=True):
            records = item["evidence"].get(side, [])
            shown = _evidence_line if steward else _record_line
            sides.append(f"profile {gid}: " + "; ".join(shown(r) for r in records))
        identifier = f" on a {item['identifier']}" if item["identifier"] else ""
        click.echo(
            f"#{item['item_id']} {item['kind']}{identifier}, seen"
            f" {item['detected_at'].isoformat(timespec='seconds')}: {mask_text(item['reason'])}"
            f"\n  {sides[0]}\n  {sides[1]}"
        )
        names = item["evidence"].get("names")
        if steward and names:
            click.echo(f"  names: {'; '.join(names['tokens'])} ({names['order']})")
    if found["items"]:
        click.echo(
            "act on one: c360 steward propose same_person|different_people|merge --item N"
            " --reason ..."
        )
    counts = ", ".join(f"{k} {n}" for k, n in sorted(found["counts"].items())) or "none"
    click.echo(f"{found['total']} open items ({counts})")


def _record_line(record: dict) -> str:
    return f"{record['source_system']}:{record['source_customer_id']}"


def _evidence_line(record: dict) -> str:
    """A record as a steward compares it on a terminal: name, birth date and gender, and its
    identifiers masked (their last digits tell records apart)."""
    from app.logs import mask

    facts = [record.get("full_name") or "(no name)"]
    if record.get("date_of_birth"):
        facts.append(f"born {record['date_of_birth']}")
    if record.get("gender"):
        facts.append(record["gender"])
    for field in ("national_id", "passport", "phone", "secondary_phone", "email"):
        if record.get(field):
            facts.append(f"{field.replace('_', ' ')} {mask(record[field])}")
    return f"{_record_line(record)} {', '.join(facts)}"
