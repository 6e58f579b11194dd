"""Extraction tasks: per-source polls and scans (beat), backfills (CLI or Flower) and the
sweeper; each a few lines over `app.pipeline`."""

from __future__ import annotations

from celery import shared_task

from app.ops.outages import skipped_while_database_down
from app.pipeline import backfills, batches, extraction
from app.pipeline.extraction_slots import Slot, extraction_slot
from app.pipeline.staging import StagedBatch
from tasks.pipeline import enqueue_batch
from tasks.settings import current


def _queue(batch: StagedBatch) -> None:
    enqueue_batch(batch.batch_id)


# Polls and scans run every second per source and mostly find nothing: they send no task
# events, so Flower's task list and rates show the real work (batch steps, backfills);
# their health is in /health, `c360 status` and the logs.
@shared_task(name="tasks.extract.extract_source", send_events=False)
@skipped_while_database_down
def extract_source(source_system: str) -> int:
    """One poll of every stream of a source; batches are queued as soon as they are stored.
    Without a free extraction slot it skips: the next poll comes within an interval."""
    with extraction_slot(spare=True) as slot:
        if slot is Slot.NONE:
            return 0
        pages = 1 if slot is Slot.SPARE else None
        return extraction.poll_source(
            source_system, on_staged=_queue, max_pages=pages, settings=current()
        )


@shared_task(name="tasks.extract.scan_source", send_events=False)
@skipped_while_database_down
def scan_source(source_system: str) -> int:
    """The slower schedule: unindexed markers and digest scans (skipped without a free slot; the
    spare too, while no batch waits: a scan's chunks are short, and a scan skipped waits a whole
    scan interval)."""
    with extraction_slot(spare=True) as slot:
        return (
            extraction.scan_source(source_system, on_staged=_queue, settings=current())
            if slot
            else 0
        )


@shared_task(name="tasks.extract.backfill_source")
@skipped_while_database_down
def backfill_source(backfill_id: int) -> int:
    """A slice of a backfill: re-read a source from the backfill's `since` (the poll checkpoint
    is not touched), on from where the last slice stopped; then queue the next slice, at once
    or, while staged batches wait or no extraction slot is free, a second later."""
    with extraction_slot() as slot:
        work = (
            backfills.backfill_job(backfill_id, on_staged=_queue, settings=current())
            if slot is Slot.SLOT
            else None
        )
    if work is None or not work.finished:
        later = work is None or work.backlog
        if later:
            backfills.still_waiting(backfill_id)
        backfill_source.apply_async((backfill_id,), countdown=1 if later else 0)
    return work.staged if work else 0


@shared_task(name="tasks.extract.start_backfill")
def start_backfill(source_system: str, since: str | None = None) -> int:
    """Backfill entry point for Flower: `start_backfill("core", "2026-11-01T00:00:00Z")`. A
    source that is not configured, or a time without its offset, fails the task with a message
    (shown in Flower) before anything is queued."""
    configured = current().source_urls
    request = backfills.BackfillRequest.parse(source_system, since, configured)
    return request.submit(backfill_source.delay)


@shared_task(name="tasks.extract.sweep_stalled_batches")
@skipped_while_database_down
def sweep_stalled_batches() -> int:
    """Queue again the batches, and the backfills' next slices, whose messages were lost (Redis
    restarted without persistence, a worker killed)."""
    after = current().sweep_after_seconds
    backfills.requeue_stalled_backfills(after, enqueue=backfill_source.delay)
    return len(batches.requeue_stalled(after, enqueue=enqueue_batch))
