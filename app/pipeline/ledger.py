"""The pipeline's bookkeeping stays bounded. A done batch's row (`ingest_batch`) serves
replays, `c360 status` windows and the metrics; once its raw rows are purged and
C360_BATCH_RETENTION_DAYS have passed, it is folded into per-source running totals
(`pipeline_totals`: records, latency sum, count and histogram buckets) and deleted, so the
table holds a window of batches, not all of them, while the metrics stay the same numbers
(counters never go back)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, text

from app.pipeline.models import BatchStatus

# batches folded per statement: a first fold after a long time never holds one huge transaction
FOLD_CHUNK = 5000

_FOLD = """
WITH gone AS (
    DELETE FROM ingest_batch WHERE batch_id IN (
        SELECT batch_id FROM ingest_batch
        WHERE status = :done AND finished_at < :cutoff AND raw_purged_at IS NOT NULL
        ORDER BY batch_id LIMIT :chunk FOR UPDATE SKIP LOCKED)
    RETURNING source_system, record_count, latency_sum_seconds, latency_count, latency_buckets
), sums AS (
    SELECT source_system, count(*) AS batches, sum(record_count) AS records,
           coalesce(sum(latency_sum_seconds), 0) AS latency_sum,
           coalesce(sum(latency_count), 0) AS latency_count
    FROM gone GROUP BY source_system
), buckets AS (
    SELECT source_system, array_agg(n ORDER BY i) AS buckets FROM (
        SELECT g.source_system, u.i, sum(u.n) AS n
        FROM gone g, unnest(g.latency_buckets) WITH ORDINALITY AS u(n, i)
        GROUP BY 1, 2) AS per_bucket
    GROUP BY source_system
), saved AS (
INSERT INTO pipeline_totals AS t (source_system, batches, records_processed,
                                  latency_sum_seconds, latency_count, latency_buckets)
SELECT s.source_system, s.batches, s.records, s.latency_sum, s.latency_count,
       coalesce(b.buckets, '{}')
FROM sums s LEFT JOIN buckets b USING (source_system)
ON CONFLICT (source_system) DO UPDATE SET
    batches = t.batches + EXCLUDED.batches,
    records_processed = t.records_processed + EXCLUDED.records_processed,
    latency_sum_seconds = t.latency_sum_seconds + EXCLUDED.latency_sum_seconds,
    latency_count = t.latency_count + EXCLUDED.latency_count,
    latency_buckets = (
        SELECT coalesce(array_agg(coalesce(a.n, 0) + coalesce(e.n, 0)
                                  ORDER BY coalesce(a.i, e.i)), '{}')
        FROM unnest(t.latency_buckets) WITH ORDINALITY AS a(n, i)
        FULL JOIN unnest(EXCLUDED.latency_buckets) WITH ORDINALITY AS e(n, i) ON a.i = e.i),
    updated_at = now()
)
SELECT coalesce(sum(batches), 0) FROM sums
"""


def fold_done_batches(conn: Connection, now: datetime, retention_days: float) -> int:
    """Fold one chunk of old done batches into the totals; returns how many (call until 0)."""
    return int(
        conn.execute(
            text(_FOLD),
            {
                "done": BatchStatus.DONE,
                "cutoff": now - timedelta(days=retention_days),
                "chunk": FOLD_CHUNK,
            },
        ).scalar_one()
    )
