"""Staging inbound events: each source's events become one staged batch, the same batches the
polls make, so match, upsert and risk stay one path. An event ID seen before is dropped; an
event that cannot be read is quarantined with its reason. The caller commits, and only then
answers or acknowledges: nothing is said to be received that is not durably stored."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, text

from app.db import array_literal
from app.intake.envelope import Accepted, Rejected, read_event
from app.logs import log_event, mask_reason
from app.pipeline.models import QUARANTINE_LEVELS, ingest_batch
from app.pipeline.quarantine import set_aside
from app.pipeline.staging import copy_records

log = logging.getLogger("c360.intake")
STREAM = "events"  # the stream name of every batch of inbound events
EVENT_LEVEL = QUARANTINE_LEVELS[2]  # a quarantine entry of an event that was never staged


@dataclass
class Intake:
    """What became of a delivery of events."""

    batches: list[int] = field(default_factory=list)
    staged: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (position, reason)


def take_events(conn: Connection, events: Sequence[Any], configured: Mapping[str, str]) -> Intake:
    """Read, stage and quarantine a delivery of events in the caller's transaction."""
    intake = Intake()
    accepted: dict[str, dict[str, Accepted]] = {}
    rejected: list[Rejected] = []
    for position, event in enumerate(events):
        read = read_event(event, configured)
        if isinstance(read, Rejected):
            rejected.append(read)
            intake.rejected.append((position, read.reason))
            continue
        of_source = accepted.setdefault(read.source_system, {})
        if read.event_id in of_source:
            intake.duplicates += 1  # the same event twice in one delivery
            continue
        of_source[read.event_id] = read
    for source, by_id in accepted.items():
        batch_id, staged = _stage(conn, source, list(by_id.values()))
        intake.duplicates += len(by_id) - staged
        intake.staged += staged
        if batch_id is not None:
            intake.batches.append(batch_id)
    quarantine_events(conn, rejected)
    return intake


def _stage(conn: Connection, source: str, events: list[Accepted]) -> tuple[int | None, int]:
    """One batch of the events not staged before; (its ID or None, how many)."""
    batch_id = conn.execute(
        insert(ingest_batch)
        .values(source_system=source, stream=STREAM, record_count=0)
        .returning(ingest_batch.c.batch_id)
    ).scalar_one()
    new = set(
        conn.execute(
            text(
                "INSERT INTO ingest_event (source_system, event_id, batch_id)"
                " SELECT :source, id, :batch FROM unnest(CAST(:ids AS text[])) AS id"
                " ON CONFLICT DO NOTHING RETURNING event_id"
            ),
            {"source": source, "batch": batch_id, "ids": array_literal(e.event_id for e in events)},
        ).scalars()
    )
    fresh = [e for e in events if e.event_id in new]
    if not fresh:
        conn.execute(ingest_batch.delete().where(ingest_batch.c.batch_id == batch_id))
        return None, 0
    # each written at the time its source gave (what publish-to-served latency is measured from)
    copy_records(conn, batch_id, ((e.entity, e.key, e.time, e.raw_json) for e in fresh))
    conn.execute(
        ingest_batch.update()
        .where(ingest_batch.c.batch_id == batch_id)
        .values(record_count=len(fresh))
    )
    return batch_id, len(fresh)


def quarantine_events(conn: Connection, rejected: Sequence[Rejected]) -> None:
    """Refused events, each with its reason, one open entry per event however often it comes."""
    rows = {
        (r.source_system, r.entity, r.key): {
            "batch_id": None,
            "source_system": r.source_system,
            "entity": r.entity,
            "source_key": r.key,
            "reason": r.reason,
            "level": EVENT_LEVEL,
            "raw": r.raw,
        }
        for r in rejected
    }
    if not rows:
        return
    set_aside(conn, list(rows.values()))
    log_event(
        log,
        "events quarantined",
        count=len(rejected),
        reasons=sorted({mask_reason(r.reason) for r in rejected})[:5],
    )
