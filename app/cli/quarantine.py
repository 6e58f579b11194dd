"""Rows that could not be read: `c360 quarantine list|replay`."""

from __future__ import annotations

import click

from app.cli.backfill import _wait_for_batches
from app.cli.common import ROW_NUMBER, checked_settings
from app.config import SOURCE_SYSTEMS


@click.group("quarantine")
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
@click.option("--id", "ids", type=ROW_NUMBER, multiple=True, help="This entry (repeatable).")
@click.option("--wait", is_flag=True)
@click.option("--timeout", default=600.0, show_default=True)
def quarantine_replay(ids: tuple[int, ...], wait: bool, timeout: float) -> None:
    """Retry quarantined records with the current code (after a fix at the source or here)."""
    from app import db
    from app.pipeline.quarantine import replay as replay_quarantine
    from tasks.pipeline import enqueue_batch

    settings = checked_settings(database=True, broker=True)
    with db.transaction() as conn:
        outcome = replay_quarantine(conn, settings, list(ids) or None)
    for batch_id in outcome["batches"]:
        enqueue_batch(batch_id)
    click.echo(
        f"{outcome['resolved']} records taken back in {len(outcome['batches'])} batches; "
        f"{outcome['still_quarantined']} still quarantined"
    )
    if wait and outcome["batches"]:
        _wait_for_batches(outcome["batches"], timeout, "quarantine replay")
