"""Pipeline state: checkpoints, durably staged batches, row versions, quarantine, backfills."""

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Identity,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from app.db import metadata

# Compound cursor per (source, stream): rows after (marker, key) are new.
source_checkpoint = Table(
    "source_checkpoint",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("stream", String(32), primary_key=True),
    Column("marker", Text, nullable=False),
    Column("source_key", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


class BackfillStatus(StrEnum):
    """A backfill's life: queued, its slices extracting, then extracted (its batches run on)
    or failed."""

    QUEUED = "queued"
    EXTRACTING = "extracting"
    EXTRACTED = "extracted"
    FAILED = "failed"


backfill = Table(
    "backfill",
    metadata,
    Column("backfill_id", BigInteger, Identity(), primary_key=True),
    Column("source_system", String(16), nullable=False),
    Column("since", DateTime(timezone=True)),
    Column("status", String(16), nullable=False, server_default=BackfillStatus.QUEUED.value),
    Column("error", Text),
    Column("requested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("extracted_at", DateTime(timezone=True)),
    # where the next slice reads on from: a stream, and the cursor after its last staged page
    # (none: the stream from `since`)
    Column("stream", String(32)),
    Column("marker", Text),
    Column("source_key", Text),
    # when a slice last staged a page (or the backfill was queued or requeued): the sweeper
    # queues a slice again for one unfinished and still for a while (its message may be lost)
    Column("progressed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


# A page of source rows as read, stored with the checkpoint in one transaction before queueing.
class BatchStatus(StrEnum):
    """A batch's life: each step is idempotent and moves it one status on; FAILED when a step
    gave up (a replay stages it again)."""

    STAGED = "staged"
    MATCHED = "matched"
    UPSERTED = "upserted"
    DONE = "done"
    FAILED = "failed"


# the statuses a batch ends in, as SQL lists them
FINISHED_SQL = f"('{BatchStatus.DONE}', '{BatchStatus.FAILED}')"

ingest_batch = Table(
    "ingest_batch",
    metadata,
    Column("batch_id", BigInteger, Identity(), primary_key=True),
    Column("source_system", String(16), nullable=False),
    Column("stream", String(32), nullable=False),
    Column("backfill_id", BigInteger),
    Column("status", String(16), nullable=False, server_default=BatchStatus.STAGED.value),
    Column("record_count", Integer, nullable=False),
    Column("quarantined_count", Integer, nullable=False, server_default="0"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # last time a step finished: the sweeper re-queues batches that stopped progressing
    Column("progressed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # the customers whose risk inputs this batch touched (set by the upsert step)
    Column("affected_customers", ARRAY(UUID(as_uuid=True))),
    Column("finished_at", DateTime(timezone=True)),
    # false for backfills and a stream's first read: their rows were written long before
    Column("measure_latency", Boolean, nullable=False, server_default="true"),
    Column("latency_ms_p50", BigInteger),
    Column("latency_ms_max", BigInteger),
    # its records' latencies as a histogram (LATENCY_BUCKETS_S, cumulative), their sum and count
    Column("latency_buckets", ARRAY(BigInteger)),
    Column("latency_sum_seconds", Float),
    Column("latency_count", BigInteger),
    Column("error", Text),
    # its raw rows (ingest_record) were purged, C360_RAW_RETENTION_DAYS after it was done
    Column("raw_purged_at", DateTime(timezone=True)),
    Index(
        "ix_ingest_batch_unfinished",
        "progressed_at",
        postgresql_where=text(f"status NOT IN {FINISHED_SQL}"),
    ),
    Index("ix_ingest_batch_finished", "source_system", "finished_at"),
    Index(
        "ix_ingest_batch_backfill", "backfill_id", postgresql_where=text("backfill_id IS NOT NULL")
    ),
)

ingest_record = Table(
    "ingest_record",
    metadata,
    Column("batch_id", BigInteger, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("source_key", Text, nullable=False),
    Column("written_at", DateTime(timezone=True)),  # the source's own write time
    Column("raw", JSONB, nullable=False),
)

# The newest marker staged per source row and stream: a look-back re-read of an unchanged row
# stages nothing.
source_row_version = Table(
    "source_row_version",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("stream", String(32), primary_key=True),
    Column("source_key", Text, primary_key=True),
    Column("marker", Text, nullable=False),
    Column("batch_id", BigInteger, nullable=False),
)

# Every inbound event staged, by the ID its source gave it: one seen again changes nothing. Kept
# as long as its batch's raw rows (retention.py).
ingest_event = Table(
    "ingest_event",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("event_id", Text, primary_key=True),
    Column("batch_id", BigInteger, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_ingest_event_batch", "batch_id"),
)

QUARANTINE_LEVELS = ("record", "field", "event")

quarantine = Table(
    "quarantine",
    metadata,
    Column("quarantine_id", BigInteger, Identity(), primary_key=True),
    # null for an inbound event refused before it was staged
    Column("batch_id", BigInteger),
    Column("source_system", String(16), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("source_key", Text, nullable=False),
    Column("reason", Text, nullable=False),
    # QUARANTINE_LEVELS: record, rejected whole; field, the record landed without the field the
    # reason names; event, an inbound event refused before it was staged
    Column("level", String(8), nullable=False, server_default="record"),
    # the row as read; null once purged (C360_QUARANTINE_RETENTION_DAYS after it was resolved)
    Column("raw", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("resolved_at", DateTime(timezone=True)),
    Column("raw_purged_at", DateTime(timezone=True)),
    # one open entry per bad source row (and level), however often the row is read again
    Index(
        "uq_quarantine_open",
        "source_system",
        "entity",
        "source_key",
        "level",
        unique=True,
        postgresql_where=text("resolved_at IS NULL"),
    ),
)


# The last digest seen of each key-range chunk of a scanned table (sources without a change
# marker): only chunks whose digest moved are read again, row by row.
source_chunk_digest = Table(
    "source_chunk_digest",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("scan", String(32), primary_key=True),
    Column("chunk", BigInteger, primary_key=True),
    Column("digest", Text, nullable=False),
    Column("scanned_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


# How each stream of each source fared the last time it was read: a failing stream is named
# with the database's message while the source's other streams go on; a stream that polls
# and finds nothing new is healthy (last_success_at moves).
stream_poll = Table(
    "stream_poll",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("stream", String(32), primary_key=True),
    Column("kind", String(8), nullable=False),  # poll | scan
    Column("last_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_success_at", DateTime(timezone=True)),
    Column("failing_since", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("logged_at", DateTime(timezone=True)),  # when its failure was last logged
)


# What old done batches added up to, per source, once folded out of `ingest_batch` (ledger.py):
# the metrics are these plus the batches still kept.
pipeline_totals = Table(
    "pipeline_totals",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("batches", BigInteger, nullable=False),
    Column("records_processed", BigInteger, nullable=False),
    Column("latency_sum_seconds", Float, nullable=False),
    Column("latency_count", BigInteger, nullable=False),
    Column("latency_buckets", ARRAY(BigInteger), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
