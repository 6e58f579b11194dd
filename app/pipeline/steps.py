"""The three processing steps of a batch: identity match, upsert, risk update.

Each step is a plain function of a batch ID, runs in one transaction, locks the batch row
(two deliveries of the same message serialize) and does nothing if the batch is already past
it: running any step twice changes nothing.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select, text, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from app import db
from app.config import Settings
from app.customer.models import source_customer
from app.identity import locks
from app.identity.assignment import Resolution
from app.identity.locks import IdentityLocks
from app.identity.matcher import link_customers
from app.logs import log_event, mask_reason, mask_text
from app.pipeline import membership, validate
from app.pipeline.batches import batch_records
from app.pipeline.facts import FACTS, FactSpec, upsert_facts
from app.pipeline.models import BatchStatus, ingest_batch
from app.pipeline.quarantine import set_aside
from app.pipeline.sources import source_connector
from app.pipeline.vocabulary import warn_unknown
from app.risk.scoring import update_risk_profiles
from connectors.records import ENTITY_OF, CustomerRecord, Record, RecordError

log = logging.getLogger("c360.pipeline")

# Upper bounds (seconds) of the processing-latency histogram, source write to stored.
LATENCY_BUCKETS_S = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

# Facts whose arrival can change a Risk_Profile.
RISK_ENTITIES = {"fraud_case", "alert", "credit_decision", "payment", "aml_alert"}


@dataclass(frozen=True)
class Batch:
    batch_id: int
    source_system: str
    stream: str
    status: str
    backfill_id: int | None
    measure_latency: bool
    affected_customers: list[UUID]


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


def _records(
    conn: Connection, batch: Batch, settings: Settings, *, people: bool
) -> tuple[list[Record], list[dict[str, Any]], dict[str, Any]]:
    """Transform and check the batch's person rows (`people`, for the match step) or its other
    rows (for the upsert step): each row is transformed once, by the step that uses it. Rows
    that break a rule come back as quarantine entries (level 'record'); a customer with an
    unreadable identifier comes back without it, plus a 'field' entry. Also {key: raw row}."""
    connector = source_connector(batch.source_system, settings)
    good: list[Record] = []
    quarantined: list[dict[str, Any]] = []
    raws: dict[str, Any] = {}
    for row in batch_records(
        conn, batch.batch_id, entity=ENTITY_OF[CustomerRecord], matching=people
    ):
        raws[row.source_key] = row.raw
        try:
            record = connector.transform(row.entity, row.raw)
            validate.check(record)
        except RecordError as error:
            quarantined.append(_quarantine_row(batch, row.entity, row.source_key, row.raw, error))
            continue
        if isinstance(record, CustomerRecord):
            record, problems = validate.unreadable_identifiers(record)
            for problem in problems:
                quarantined.append(
                    _quarantine_row(batch, row.entity, row.source_key, row.raw, problem, "field")
                )
        good.append(record)
    return good, quarantined, raws


def _without_reused_business_keys(
    conn: Connection, batch: Batch, people: list[CustomerRecord], raws: dict[str, Any]
) -> tuple[list[CustomerRecord], list[dict[str, Any]]]:
    """A business key (core's CustomerNumber, what fraud cases point at) names one person. A
    second record claiming a key another record holds is quarantined, not linked: the cases
    would otherwise reach whichever of the two matched last."""
    keyed = [p for p in people if p.business_key]
    if not keyed:
        return people, []
    owners = dict(
        conn.execute(
            select(source_customer.c.business_key, source_customer.c.source_customer_id).where(
                source_customer.c.source_system == batch.source_system,
                db.in_array(source_customer.c.business_key, {p.business_key for p in keyed}),
            )
        ).all()
    )
    for person in sorted(keyed, key=lambda p: p.source_customer_id):
        owners.setdefault(person.business_key, person.source_customer_id)
    reused = [p for p in keyed if owners[p.business_key] != p.source_customer_id]
    if not reused:
        return people, []
    rejected = [
        _quarantine_row(
            batch,
            "customer",
            p.source_customer_id,
            raws.get(p.source_customer_id, {}),
            f"business key {p.business_key!r} already belongs to record {owners[p.business_key]}",
        )
        for p in reused
    ]
    return [p for p in people if p not in reused], rejected


def _quarantine_row(
    batch: Batch, entity: str, key: str, raw: Any, reason: object, level: str = "record"
) -> dict[str, Any]:
    return {
        "batch_id": batch.batch_id,
        "source_system": batch.source_system,
        "entity": entity,
        "source_key": key,
        "reason": str(reason),
        "level": level,
        "raw": raw,
    }


def _quarantine(conn: Connection, batch: Batch, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    set_aside(conn, rows)
    log_event(
        log,
        "records quarantined",
        source=batch.source_system,
        batch_id=batch.batch_id,
        count=len(rows),
        reasons=sorted({mask_reason(r["reason"]) for r in rows})[:5],
    )


def _advance(conn: Connection, batch_id: int, status: str, **values: Any) -> None:
    conn.execute(
        update(ingest_batch)
        .where(ingest_batch.c.batch_id == batch_id)
        .values(status=status, progressed_at=text("clock_timestamp()"), **values)
    )


def _link_people(
    conn: Connection,
    held: IdentityLocks,
    batch: Batch,
    people: list[CustomerRecord],
    bad: list[dict[str, Any]],
    raws: dict[str, Any],
) -> tuple[list[CustomerRecord], list[dict[str, Any]], Resolution]:
    """One attempt at the batch's identity work: (people linked, rows quarantined, outcome)."""
    # who holds a business key is decided under identity locks, as who is who is (the key's
    # own, with the records'): two batches claiming one key are never both let through
    keys = [locks.customer_key(p.source_system, p.source_customer_id) for p in people]
    keys += [locks.business_key(p.source_system, p.business_key) for p in people if p.business_key]
    held.take(keys)
    people, reused = _without_reused_business_keys(conn, batch, people, raws)
    bad = bad + reused
    _quarantine(conn, batch, bad)
    return people, bad, link_customers(conn, people, batch.batch_id, held)


def match_step(batch_id: int, settings: Settings) -> str:
    """Link the batch's person records to Global Customer IDs; quarantine unusable rows."""
    with db.transaction() as conn:
        batch = _lock_batch(conn, batch_id)
        if batch is None or batch.status != BatchStatus.STAGED:
            return batch.status if batch else "missing"
        records, bad, raws = _records(conn, batch, settings, people=True)
        people = [r for r in records if isinstance(r, CustomerRecord)]
        people, bad, resolution = locks.resolving(
            conn, lambda held: _link_people(conn, held, batch, people, bad, raws)
        )
        affected = membership.settle(
            conn, resolution.moved, resolution.business_keys, resolution.affected
        )
        _advance(
            conn,
            batch_id,
            BatchStatus.MATCHED,
            quarantined_count=sum(1 for b in bad if b["level"] == "record"),
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
    return BatchStatus.MATCHED


def upsert_step(batch_id: int, settings: Settings) -> str:
    """Write the batch's facts to Account_360, Transaction_360, channel and risk inputs."""
    with db.transaction() as conn:
        batch = _lock_batch(conn, batch_id)
        if batch is None or batch.status != BatchStatus.MATCHED:
            return batch.status if batch else "missing"
        records, rejected, _ = _records(conn, batch, settings, people=False)
        by_entity: dict[str, list[Record]] = defaultdict(list)
        for record in records:
            entity = ENTITY_OF[type(record)]
            if entity in FACTS:  # customers were placed by the match step
                by_entity[entity].append(record)
        affected = set(batch.affected_customers)
        # every owner at once, in order: no resolution moves them while their facts are written
        locks.share(
            conn,
            [k for e, group in by_entity.items() for r in group if (k := FACTS[e].owner_key(r))],
        )
        for entity, group in by_entity.items():
            written = _upsert_isolating(conn, FACTS[entity], group, batch, rejected)
            if entity in RISK_ENTITIES:
                affected.update(written)
        _quarantine(conn, batch, rejected)
        _advance(
            conn,
            batch_id,
            BatchStatus.UPSERTED,
            affected_customers=sorted(affected, key=str),
            quarantined_count=ingest_batch.c.quarantined_count
            + sum(1 for r in rejected if r["level"] == "record"),
        )
    warn_unknown(record for group in by_entity.values() for record in group)
    log_event(
        log,
        "records upserted",
        source=batch.source_system,
        batch_id=batch_id,
        **{entity: len(group) for entity, group in by_entity.items()},
    )
    return BatchStatus.UPSERTED


def _upsert_isolating(
    conn: Connection,
    spec: FactSpec,
    records: list[Record],
    batch: Batch,
    rejected: list[dict[str, Any]],
) -> list[UUID]:
    """Upsert a group; if the database refuses it (a value it cannot store), split the group
    until the refused records are alone and quarantine those: one bad row never blocks a batch.
    Lost connections are not the data's fault: they propagate and the task retries."""
    try:
        with conn.begin_nested():
            return upsert_facts(conn, spec, records)
    except DBAPIError as error:
        if isinstance(error, OperationalError | InterfaceError):
            raise
        if len(records) == 1:
            record = records[0]
            key = getattr(record, spec.table.primary_key.columns.values()[1].name)
            reason = f"refused by the database: {type(error.orig).__name__}: {error.orig}"
            rejected.append(
                _quarantine_row(
                    batch, spec.entity, str(key), _as_json(record), mask_text(reason)[:500]
                )
            )
            return []
        middle = len(records) // 2
        return _upsert_isolating(conn, spec, records[:middle], batch, rejected) + _upsert_isolating(
            conn, spec, records[middle:], batch, rejected
        )


def _as_json(record: Record) -> dict[str, Any]:
    return json.loads(json.dumps(dataclasses.asdict(record), default=str))


def risk_step(batch_id: int) -> str:
    """Recompute the Risk_Profile of the customers the batch touched; the batch is done."""
    with db.transaction() as conn:
        batch = _lock_batch(conn, batch_id)
        if batch is None or batch.status != BatchStatus.UPSERTED:
            return batch.status if batch else "missing"
        changed = update_risk_profiles(conn, batch.affected_customers)
        _advance(conn, batch_id, BatchStatus.DONE, finished_at=text("clock_timestamp()"))
        if batch.measure_latency:
            buckets = ", ".join(
                f"count(*) FILTER (WHERE s <= {bound})" for bound in LATENCY_BUCKETS_S
            )
            conn.execute(
                text(
                    f"""
                    UPDATE ingest_batch b SET
                        latency_ms_p50 = l.p50, latency_ms_max = l.max,
                        latency_buckets = l.buckets, latency_sum_seconds = l.total,
                        latency_count = l.n
                    FROM (
                        SELECT 1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50,
                               1000 * max(s) AS max, ARRAY[{buckets}] AS buckets,
                               sum(s) AS total, count(*) AS n
                        FROM (SELECT extract(epoch FROM clock_timestamp() - written_at) AS s
                              FROM ingest_record
                              WHERE batch_id = :id AND written_at IS NOT NULL) AS r
                    ) AS l
                    WHERE b.batch_id = :id AND l.p50 IS NOT NULL
                    """
                ),
                {"id": batch_id},
            )
    log_event(log, "risk updated", source=batch.source_system, batch_id=batch_id, changed=changed)
    return BatchStatus.DONE
