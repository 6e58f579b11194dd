"""Reading sources again: `c360 backfill` and `c360 replay`."""

from __future__ import annotations

import sys
from datetime import UTC

import click

from app.cli.common import ROW_NUMBER, checked_settings
from app.progress import Tally, follow


@click.command()
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
    from app.pipeline.backfills import BackfillRequest, UnknownSource, backfill_progress
    from tasks.extract import backfill_source

    settings = checked_settings(database=True, broker=True)
    if bool(source) == all_sources:
        raise click.UsageError("name one SOURCE or give --all")
    names = list(settings.source_urls) if all_sources else [source or ""]
    requests = []
    for name in names:
        # the same request, checked the same way, as Flower's start_backfill
        try:
            requests.append(BackfillRequest.parse(name, since, settings.source_urls))
        except UnknownSource as refused:
            raise click.BadParameter(str(refused), param_hint="SOURCE") from None
        except ValueError as refused:
            raise click.BadParameter(str(refused), param_hint="--since") from None
    moment = requests[0].since if requests else None
    if moment is not None:
        click.echo(f"since {moment.astimezone(UTC).isoformat()}", err=True)
    ids = []
    for request in requests:
        backfill_id = request.submit(backfill_source.delay)
        ids.append(backfill_id)
        click.echo(f"backfill {backfill_id} of {request.source_system} queued")
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


@click.command()
@click.option("--all", "all_batches", is_flag=True, help="Every batch ever staged.")
@click.option("--failed", is_flag=True, help="Only the batches that failed.")
@click.option(
    "--batch", "batch_ids", type=ROW_NUMBER, multiple=True, help="This batch (repeatable)."
)
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
