"""Digest scans: rows that change without any change marker, found by comparing chunk
digests computed in the source with the last ones seen."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app import db
from app.pipeline.models import (
    source_chunk_digest,
)
from app.pipeline.staging import StagedBatch, stage_page
from connectors.base import Connector, ScanStream, Stream


def scan_for_changes(
    connector: Connector,
    scan: ScanStream,
    *,
    chunk_size: int,
    on_staged: Callable[[StagedBatch], None],
) -> int:
    """Find rows changed without a change marker: compare chunk digests computed in the
    source with the last ones seen, read only the chunks that moved, and stage the rows whose
    own digest moved (the version table remembers each row's digest). Each chunk's rows and
    its new digest are stored in one transaction, so a crash re-reads it. Returns rows staged."""
    source = connector.source_system
    digests = connector.chunk_digests(scan, chunk_size)
    with db.connect() as conn:
        seen = dict(
            conn.execute(
                select(source_chunk_digest.c.chunk, source_chunk_digest.c.digest).where(
                    source_chunk_digest.c.source_system == source,
                    source_chunk_digest.c.scan == scan.name,
                )
            ).all()
        )
    stream = Stream(name=scan.name, entity=scan.entity, lookback=False)
    staged = 0
    for chunk in sorted(c for c, digest in digests.items() if seen.get(c) != digest):
        rows = connector.fetch_chunk(scan, chunk, chunk_size)
        with db.transaction() as conn:
            # a change found by a scan has no write time to measure latency from
            batch = (
                stage_page(conn, connector, stream, rows, advance_to=None, measure_latency=False)
                if rows
                else None
            )
            stmt = pg_insert(source_chunk_digest).values(
                source_system=source, scan=scan.name, chunk=chunk, digest=digests[chunk]
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["source_system", "scan", "chunk"],
                    set_={"digest": stmt.excluded.digest, "scanned_at": func.now()},
                )
            )
        if batch is not None:
            staged += batch.records
            on_staged(batch)
    return staged
