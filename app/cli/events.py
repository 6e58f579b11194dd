"""The Brain's events: `c360 events replay` (docs/events.md)."""

from __future__ import annotations

import click

from app.cli.common import checked_settings


@click.group("events")
def events_group() -> None:
    """The events the Brain sends (the feed, c360.events, webhooks)."""


@events_group.command("replay")
@click.option(
    "--since", required=True, help="ISO 8601 with its offset, e.g. 2026-12-08T09:00+03:00"
)
def replay(since: str) -> None:
    """Send again every event from a time on, to the exchange and every webhook subscription
    (a parked one resumes). Consumers see some events twice: each carries its ID."""
    from app import db
    from app.events.service import replay as replay_since
    from app.pipeline.backfills import parse_since

    checked_settings(database=True)
    try:
        moment = parse_since(since)
    except ValueError as refused:
        raise click.BadParameter(str(refused), param_hint="--since") from None
    with db.transaction() as conn:
        done = replay_since(conn, moment)
    destinations = ", ".join(done["destinations"]) or "no destination yet"
    click.echo(f"from position {done['from_position']}: {destinations}")
