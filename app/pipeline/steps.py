"""The three processing steps of a batch: identity match, upsert, risk update.

Each step is a plain function of a batch ID, runs in one transaction, locks the batch row
(two deliveries of the same message serialize) and does nothing if the batch is already past
it: running any step twice changes nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app import db
from app.config import Settings
from app.customer.survivorship import refresh_golden_records
from app.identity.matcher import link_customers
from app.logs import log_event, mask_text
from app.pipeline.facts import FACTS, RECORD_TYPES, repoint_owners, upsert_facts
from app.pipeline.models import ingest_batch, quarantine
from app.pipeline.service import DONE, MATCHED, STAGED, UPSERTED, batch_records
from app.risk.scoring import update_risk_profiles
from connectors import get_connector
from connectors.base import Connector
from connectors.records import CustomerRecord, Record, RecordError

log = logging.getLogger("c360.pipeline")

# Facts whose arrival can change a Risk_Profile.
RISK_ENTITIES = {"fraud_case", "alert"}


@dataclass(frozen=True)
class Batch:
    batch_id: int
    source_system: str
    stream: str
    status: str
    backfill_id: int | None
    measure_latency: bool
    affected_customers: list[UUID]


@cache
def connector_for(source_system: str) -> Connector:
    """Transforms are pure, but live on the connector; one per source per process."""
    url = Settings.from_env().source_urls.get(source_system, "sqlite://")
    return get_connector(source_system, url)


def _lock_batch(conn: Connection, batch_id: int) -> Batch | None:
    row = conn.execute(
        select(
            ingest_batch.c.batch_id,
            ingest_batch.c.source_system,
            ingest_batch.c.stream,
            ingest_batch.c.status,
            ingest_batch.c.backfill_id,
            ingest_batch.c.measure_latency,
            ingest_batch.c.affected_customers,
        )
        .where(ingest_batch.c.batch_id == batch_id)
        .with_for_update()
    ).first()
    if row is None:
        return None
    return Batch(**{**row._asdict(), "affected_customers": row.affected_customers or []})


def _records(conn: Connection, batch: Batch) -> tuple[list[Record], list[dict[str, Any]]]:
    """Transform the stored raw rows; rows that cannot be transformed go to quarantine."""
    connector = connector_for(batch.source_system)
    good: list[Record] = []
    bad: list[dict[str, Any]] = []
    for row in batch_records(conn, batch.batch_id):
        try:
            good.append(connector.transform(row.entity, row.raw))
        except RecordError as error:
            bad.append(
                {
                    "batch_id": batch.batch_id,
                    "source_system": batch.source_system,
                    "entity": row.entity,
                    "source_key": row.source_key,
                    "reason": str(error),
                    "raw": row.raw,
                }
            )
    return good, bad


def _advance(conn: Connection, batch_id: int, status: str, **values: Any) -> None:
    conn.execute(
        update(ingest_batch)
        .where(ingest_batch.c.batch_id == batch_id)
        .values(status=status, progressed_at=text("clock_timestamp()"), **values)
    )


def match_step(batch_id: int) -> str:
    """Link the batch's person records to Global Customer IDs; quarantine unusable rows."""
    with db.transaction() as conn:
        batch = _lock_batch(conn, batch_id)
        if batch is None or batch.status != STAGED:
            return batch.status if batch else "missing"
        records, bad = _records(conn, batch)
        if bad:
            conn.execute(
                pg_insert(quarantine)
                .values(bad)
                .on_conflict_do_nothing(
                    index_elements=["batch_id", "entity", "source_key"],
                    index_where=quarantine.c.resolved_at.is_(None),
                )
            )
            log_event(
                log,
                "records quarantined",
                source=batch.source_system,
                batch_id=batch_id,
                count=len(bad),
                reasons=sorted({b["reason"] for b in bad})[:5],
            )
        people = [r for r in records if isinstance(r, CustomerRecord)]
        resolution = link_customers(conn, people, batch_id)
        repointed = repoint_owners(conn, list(resolution.moved), resolution.business_keys)
        affected = sorted(set(resolution.affected) | set(repointed), key=str)
        refresh_golden_records(conn, affected)
        _advance(
            conn,
            batch_id,
            MATCHED,
            quarantined_count=len(bad),
            affected_customers=affected,
        )
    if resolution.decisions:
        log_event(
            log,
            "identity resolved",
            source=batch.source_system,
            batch_id=batch_id,
            **dict(resolution.decisions),
        )
    return MATCHED


def upsert_step(batch_id: int) -> str:
    """Write the batch's facts to Account_360, Transaction_360, channel and risk inputs."""
    with db.transaction() as conn:
        batch = _lock_batch(conn, batch_id)
        if batch is None or batch.status != MATCHED:
            return batch.status if batch else "missing"
        records, _ = _records(conn, batch)
        by_entity: dict[str, list[Record]] = defaultdict(list)
        for record in records:
            entity = RECORD_TYPES.get(type(record))
            if entity:
                by_entity[entity].append(record)
        affected = set(batch.affected_customers)
        for entity, group in by_entity.items():
            written = upsert_facts(conn, FACTS[entity], group)
            if entity in RISK_ENTITIES:
                affected.update(written)
        _advance(conn, batch_id, UPSERTED, affected_customers=sorted(affected, key=str))
    log_event(
        log,
        "records upserted",
        source=batch.source_system,
        batch_id=batch_id,
        **{entity: len(group) for entity, group in by_entity.items()},
    )
    return UPSERTED


def risk_step(batch_id: int) -> str:
    """Recompute the Risk_Profile of the customers the batch touched; the batch is done."""
    with db.transaction() as conn:
        batch = _lock_batch(conn, batch_id)
        if batch is None or batch.status != UPSERTED:
            return batch.status if batch else "missing"
        changed = update_risk_profiles(conn, batch.affected_customers)
        _advance(conn, batch_id, DONE, finished_at=text("clock_timestamp()"))
        if batch.measure_latency:
            conn.execute(
                text(
                    """
                    UPDATE ingest_batch b SET
                        latency_ms_p50 = l.p50, latency_ms_max = l.max
                    FROM (
                        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
                               max(ms) AS max
                        FROM (SELECT 1000 * extract(epoch FROM clock_timestamp() - written_at)
                                     AS ms
                              FROM ingest_record
                              WHERE batch_id = :id AND written_at IS NOT NULL) AS r
                    ) AS l
                    WHERE b.batch_id = :id AND l.p50 IS NOT NULL
                    """
                ),
                {"id": batch_id},
            )
    log_event(log, "risk updated", source=batch.source_system, batch_id=batch_id, changed=changed)
    return DONE


def mark_failed(batch_id: int, error: str) -> None:
    with db.transaction() as conn:
        conn.execute(
            update(ingest_batch)
            .where(ingest_batch.c.batch_id == batch_id)
            .values(
                status="failed",
                error=mask_text(error)[:2000],  # driver messages can quote personal data
                progressed_at=text("clock_timestamp()"),
            )
        )
