"""Quarantined records: listing them, and taking them back once the cause is fixed."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.config import Settings
from app.pipeline import validate
from app.pipeline.models import QUARANTINE_LEVELS, quarantine
from app.pipeline.sources import SourceNotConfigured, source_connector
from app.pipeline.staging import stage_replay
from connectors.records import CustomerRecord, RecordError


def list_quarantine(
    conn: Connection, source_system: str | None = None, level: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    query = select(quarantine).where(quarantine.c.resolved_at.is_(None))
    if source_system:
        query = query.where(quarantine.c.source_system == source_system)
    if level:
        query = query.where(quarantine.c.level == level)
    rows = conn.execute(query.order_by(quarantine.c.quarantine_id.desc()).limit(limit))
    return [dict(row) for row in rows.mappings()]


EVENT = QUARANTINE_LEVELS[2]


def replay(
    conn: Connection, settings: Settings, quarantine_ids: list[int] | None = None
) -> dict[str, Any]:
    """Try every open entry (or the given ones) again with today's code. Rows that now pass
    are staged as new batches (one per source) and their entries resolved; the others keep
    their entry, with the reason brought up to date. Returns the batches to queue. Refused
    inbound events are not rows: their replay is the intake's (`app.intake.service`)."""
    query = (
        select(quarantine)
        .where(quarantine.c.resolved_at.is_(None), quarantine.c.level != EVENT)
        .with_for_update()
    )
    if quarantine_ids is not None:
        query = query.where(quarantine.c.quarantine_id.in_(quarantine_ids))
    passing: dict[str, list[tuple[str, str, dict]]] = defaultdict(list)
    resolved, still = [], 0
    for entry in conn.execute(query).mappings():
        try:
            connector = source_connector(entry["source_system"], settings)
        except SourceNotConfigured:
            still += 1  # a source no longer configured here: its entries wait, reason unchanged
            continue
        try:
            record = connector.transform(entry["entity"], entry["raw"])
            validate.check(record)
            if isinstance(record, CustomerRecord) and entry["level"] == "field":
                _, problems = validate.unreadable_identifiers(record)
                if problems:
                    raise RecordError("; ".join(problems))
        except RecordError as error:
            still += 1
            conn.execute(
                update(quarantine)
                .where(quarantine.c.quarantine_id == entry["quarantine_id"])
                .values(reason=str(error))
            )
            continue
        passing[entry["source_system"]].append((entry["entity"], entry["source_key"], entry["raw"]))
        resolved.append(entry["quarantine_id"])
    if resolved:
        conn.execute(
            update(quarantine)
            .where(quarantine.c.quarantine_id.in_(resolved))
            .values(resolved_at=func.now())
        )
    batches = [stage_replay(conn, source, rows) for source, rows in passing.items()]
    return {"resolved": len(resolved), "still_quarantined": still, "batches": batches}


def set_aside(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Quarantine entries, one open entry per bad row (and level) however often it comes: a
    row set aside again brings its entry's batch, reason and raw copy up to date."""
    unique: dict[tuple, dict[str, Any]] = {}
    for row in rows:  # ON CONFLICT cannot touch one entry twice in a statement
        unique[(row["source_system"], row["entity"], row["source_key"], row["level"])] = row
    stmt = pg_insert(quarantine).values(list(unique.values()))
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["source_system", "entity", "source_key", "level"],
            index_where=quarantine.c.resolved_at.is_(None),
            set_={
                "batch_id": stmt.excluded.batch_id,
                "reason": stmt.excluded.reason,
                "raw": stmt.excluded.raw,
            },
        )
    )
