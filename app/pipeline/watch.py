"""Watches: rows that change in place without any marker are re-read by key while they are open.

A channel alert moved from Open to Acknowledged or Resolved, or a fraud case escalated or blocked
on a workbench whose clock is unknown, leaves nothing a cursor can follow. Every poll re-reads,
by primary key, the rows the Enterprise Brain holds open and stages those whose content digest
moved (the digest of each row staged is remembered in `source_row_version` under the watch's
name). The cost is one key look-up per open row at the source, never a scan of the table.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import BindParameter, Connection, Table, bindparam, select

from app import db
from app.channel.models import security_alert
from app.pipeline.staging import StagedBatch, stage_page
from app.risk.models import aml_alert, fraud_case, payment
from app.risk.scoring import CLOSED_ALERT, CLOSED_CASE, CONFIRMED_CASE, FINAL_PAYMENT, RESOLVED_AML
from connectors.base import Connector, Stream, WatchStream

KEYS_PER_READ = 1000

# entity -> (its table, the source key column, the statuses after which the row no longer moves)
OPEN_ROWS: dict[str, tuple[Table, str, frozenset[str]]] = {
    "alert": (security_alert, "source_alert_id", CLOSED_ALERT),
    "fraud_case": (fraud_case, "source_case_id", CLOSED_CASE | CONFIRMED_CASE),
    "payment": (payment, "source_payment_id", FINAL_PAYMENT),
    "aml_alert": (aml_alert, "source_alert_id", RESOLVED_AML),
}


def open_keys(conn: Connection, source_system: str, entity: str) -> list[str]:
    """Source keys of the rows of `entity` from `source_system` that may still change."""
    table, key, final = OPEN_ROWS[entity]
    # literal values, in the order of the partial index's predicate, so the index serves it
    closed: BindParameter[list[str]] = bindparam(
        "closed", sorted(final), expanding=True, literal_execute=True
    )
    query = select(table.c[key]).where(
        table.c.source_system == source_system, table.c.status.not_in(closed)
    )
    return list(conn.execute(query.order_by(table.c[key])).scalars())


def recheck_open(
    connector: Connector, watch: WatchStream, *, on_staged: Callable[[StagedBatch], None]
) -> int:
    """Re-read the open rows of a watch and stage the changed ones; returns rows staged."""
    with db.connect() as conn:
        keys = open_keys(conn, connector.source_system, watch.entity)
    stream = Stream(name=watch.name, entity=watch.entity, lookback=False)
    staged = 0
    for start in range(0, len(keys), KEYS_PER_READ):
        rows = connector.fetch_keys(watch, keys[start : start + KEYS_PER_READ])
        if not rows:
            continue
        with db.transaction() as conn:
            # only rows whose digest moved are staged; a change has no write time to measure
            batch = stage_page(
                conn, connector, stream, rows, advance_to=None, measure_latency=False
            )
        if batch is not None:
            staged += batch.records
            on_staged(batch)
    return staged
