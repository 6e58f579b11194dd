"""Operational state: health of the database and broker, and pipeline metrics from the database.

`pipeline_status` is shared by `/metrics` and the `c360 status` command.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from sqlalchemy import Connection, func, select, text

from app import db
from app.celeryconfig import QUEUES
from app.config import Settings
from app.events.service import BEHIND_AFTER_S, delivery_state
from app.ops.outages import BROKER, DATABASE, DATABASE_ERRORS, database_answers
from app.ops.planner_statistics import stale_tables
from app.pipeline.facts import FACTS
from app.pipeline.models import (
    BatchStatus,
    ingest_batch,
    pipeline_totals,
    quarantine,
    source_checkpoint,
)
from app.pipeline.steps import LATENCY_BUCKETS_S
from app.pipeline.stream_health import stream_states, stream_status
from app.pipeline.vocabulary import unknown_values

BROKER_TIMEOUT_S = 1.0
MIN_BEHIND_AFTER_S = 30.0
LATENCY_WINDOW = timedelta(minutes=5)
RATE_WINDOW = timedelta(seconds=60)


def redis_client(redis_url: str) -> redis.Redis:
    """A client with short timeouts; kombu's `redis+socket:///path` is redis-py's `unix:///path`."""
    if redis_url.startswith("redis+socket://"):
        redis_url = "unix://" + redis_url.removeprefix("redis+socket://")
    return redis.Redis.from_url(
        redis_url, socket_timeout=BROKER_TIMEOUT_S, socket_connect_timeout=BROKER_TIMEOUT_S
    )


def broker_answers(redis_url: str) -> bool:
    """Whether the broker answers a PING now."""
    client = redis_client(redis_url)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def queue_depths(redis_url: str) -> dict[str, int]:
    """Messages waiting per Celery queue. Raises redis.RedisError when the broker is down."""
    client = redis_client(redis_url)
    try:
        with client.pipeline(transaction=False) as pipe:
            for queue in QUEUES:
                pipe.llen(queue)
            return dict(zip(QUEUES, pipe.execute(), strict=True))
    finally:
        client.close()


def behind_after(settings: Settings) -> timedelta:
    """How long without a successful poll before a source counts as behind."""
    return timedelta(seconds=max(MIN_BEHIND_AFTER_S, 10 * settings.poll_interval))


def source_health(
    conn: Connection, settings: Settings, now: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """Per configured source: `status` — ok (polling, new rows or not), never_polled, failing
    (a stream's read fails; `streams` names it with the database's message) or behind (polls
    stopped running) — and the last successful poll."""
    now = now or datetime.now(UTC)
    states = stream_states(conn)
    rank = {"ok": 0, "behind": 1, "never_polled": 2, "failing": 3}
    report = {}
    for source in settings.source_urls:
        streams = {}
        for name, row in states.get(source, {}).items():
            limit = behind_after(settings)
            if row["kind"] == "scan":
                limit = max(limit, timedelta(seconds=3 * settings.scan_interval))
            streams[name] = {
                "status": stream_status(row, now, limit),
                "last_success_at": row["last_success_at"],
                "failing_since": row["failing_since"],
                "error": row["last_error"],
            }
        statuses = [s["status"] for s in streams.values()] or ["never_polled"]
        successes = [s["last_success_at"] for s in streams.values() if s["last_success_at"]]
        report[source] = {
            "status": max(statuses, key=rank.__getitem__),
            "last_poll": max(successes, default=None),
            "streams": streams,
        }
    return report


def statistics_health(conn: Connection) -> dict[str, Any]:
    """`stale` while a table's planner statistics are far older than its contents (its reads
    may be planned as if it were still empty: app/ops/planner_statistics.py), naming them."""
    stale = stale_tables(conn)
    return {"status": "stale" if stale else "ok", "stale_tables": stale}


def health(settings: Settings) -> dict[str, Any]:
    """Readiness: `down` if the database or broker is, `degraded` if a source is failing,
    behind or not polled yet, or a table's planner statistics are far older than its
    contents."""
    database: dict[str, Any] = {"status": "ok"}
    sources: dict[str, dict[str, Any]] = {}
    statistics: dict[str, Any] = {"status": "unknown", "stale_tables": {}}
    events: dict[str, Any] = {"status": "unknown"}
    # Any failure to reach a service is what this reports, whatever its exception type.
    try:
        with db.connect() as conn:
            conn.execute(text("SELECT 1"))
            sources = source_health(conn, settings)
            statistics = statistics_health(conn)
            events = events_health(delivery_state(conn, amqp=bool(settings.amqp_url)))
    except DATABASE_ERRORS as error:
        if database_answers():
            raise
        DATABASE.failed(error)  # one line per outage, not a traceback per health check
        database = {"status": "down"}
    else:
        DATABASE.answered()
    broker: dict[str, Any] = {"status": "ok"}
    if broker_answers(settings.redis_url):
        BROKER.answered()
    else:
        BROKER.failed("no answer to PING")
        broker = {"status": "down"}
    if "down" in (database["status"], broker["status"]):
        status = "down"
    elif (
        statistics["status"] == "stale"
        or events["status"] != "ok"
        or any(source["status"] != "ok" for source in sources.values())
    ):
        status = "degraded"
    else:
        status = "ok"
    return {
        "status": status,
        "database": database,
        "broker": broker,
        "sources": sources,
        "statistics": statistics,
        "events": events,
    }


# Facts whose owner has not arrived (a dangling reference, until it does): held, not lost. A
# business's account and its transactions have no person as owner: they are not held.
HELD_FACTS = " UNION ALL ".join(
    f"SELECT source_system, count(*) FROM {spec.table.name} WHERE global_customer_id IS NULL"
    + (" AND source_business_id IS NULL" if "source_business_id" in spec.table.c else "")
    + " GROUP BY source_system"
    for spec in FACTS.values()
)


def pipeline_status(
    conn: Connection, settings: Settings, now: datetime | None = None
) -> dict[str, Any]:
    """Per source: throughput, latency, lag, checkpoints, quarantine and unfinished batches;
    and the tables whose planner statistics are far older than their contents.

    Sources are the configured ones plus any the database has seen. Latencies are in seconds
    (None without a batch in the window); lag is None before the first checkpoint.
    """
    now = now or datetime.now(UTC)
    done = ingest_batch.c.status == BatchStatus.DONE
    batches = conn.execute(
        select(
            ingest_batch.c.source_system,
            func.coalesce(func.sum(ingest_batch.c.record_count).filter(done), 0).label("processed"),
            func.coalesce(
                func.sum(ingest_batch.c.record_count).filter(
                    done, ingest_batch.c.finished_at > now - RATE_WINDOW
                ),
                0,
            ).label("per_minute"),
            func.percentile_cont(0.5)
            .within_group(ingest_batch.c.latency_ms_p50)
            .filter(done, ingest_batch.c.finished_at > now - LATENCY_WINDOW)
            .label("p50_ms"),
            func.max(ingest_batch.c.latency_ms_max)
            .filter(done, ingest_batch.c.finished_at > now - LATENCY_WINDOW)
            .label("max_ms"),
            func.count().filter(~done).label("unfinished"),
        ).group_by(ingest_batch.c.source_system)
    ).mappings()
    by_source = {row["source_system"]: row for row in batches}
    folded = dict(
        conn.execute(
            select(pipeline_totals.c.source_system, pipeline_totals.c.records_processed)
        ).all()
    )
    quarantined = dict(
        conn.execute(
            select(quarantine.c.source_system, func.count())
            .where(quarantine.c.resolved_at.is_(None))
            .group_by(quarantine.c.source_system)
        ).all()
    )
    held = dict(conn.execute(text(HELD_FACTS)).all())
    unknown = unknown_values(conn)
    checkpoints: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(
        select(
            source_checkpoint.c.source_system,
            source_checkpoint.c.stream,
            source_checkpoint.c.marker,
            source_checkpoint.c.updated_at,
        ).order_by(source_checkpoint.c.source_system, source_checkpoint.c.stream)
    ).mappings():
        checkpoints.setdefault(row["source_system"], []).append(
            {"stream": row["stream"], "marker": row["marker"], "updated_at": row["updated_at"]}
        )

    polled = source_health(conn, settings, now)
    status: dict[str, Any] = {}
    names = sorted(
        set(settings.source_urls)
        | set(by_source)
        | set(quarantined)
        | set(checkpoints)
        | set(folded)
    )
    for source in names:
        row = by_source.get(source, {})
        streams = checkpoints.get(source, [])
        health_of = polled.get(source, {"status": "not_configured", "streams": {}})
        last_poll = health_of.get("last_poll")
        status[source] = {
            "state": health_of["status"],
            "failing_streams": {
                name: stream["error"]
                for name, stream in health_of["streams"].items()
                if stream["status"] == "failing"
            },
            # the batches kept, and those folded into the totals (ledger.py)
            "records_processed": int(row.get("processed") or 0) + folded.get(source, 0),
            "records_per_minute": int(row.get("per_minute") or 0),
            "latency_p50_seconds": _seconds(row.get("p50_ms")),
            "latency_max_seconds": _seconds(row.get("max_ms")),
            "batches_unfinished": int(row.get("unfinished") or 0),
            "quarantined_records": quarantined.get(source, 0),
            "held_records": held.get(source, 0),
            # codes no rule knows yet, counted per value: {vocabulary: {value: rows}}
            "unknown_values": unknown.get(source, {}),
            "last_poll": last_poll,
            "lag_seconds": (now - last_poll).total_seconds() if last_poll else None,
            "checkpoints": streams,
        }
    return {
        "generated_at": now,
        "sources": status,
        "stale_statistics": stale_tables(conn),
        "events": delivery_state(conn, amqp=bool(settings.amqp_url)),
    }


def events_health(state: dict[str, Any]) -> dict[str, Any]:
    """ok; parked while a webhook subscription is parked; behind while an event waits for the
    relay (outbox or a destination) longer than BEHIND_AFTER_S."""
    lags = [state["outbox"]["lag_seconds"]]
    lags += [d["lag_seconds"] for d in state["destinations"].values() if not d.get("parked")]
    if state["parked_subscriptions"]:
        status = "parked"
    elif max(lags) > BEHIND_AFTER_S:
        status = "behind"
    else:
        status = "ok"
    return {
        "status": status,
        "lag_seconds": max(lags),
        "undelivered": state["undelivered"],
        "parked_subscriptions": state["parked_subscriptions"],
    }


def latency_histograms(conn: Connection) -> dict[str, dict[str, Any]]:
    """Per source, the processing latency (source write to stored) of every record of its done
    batches, those folded into the totals included: cumulative bucket counts
    (LATENCY_BUCKETS_S), their sum and count."""
    histograms: dict[str, dict[str, Any]] = {}
    for row in conn.execute(select(pipeline_totals)).mappings():
        buckets = [int(n) for n in row["latency_buckets"]]
        histograms[row["source_system"]] = {
            "sum": float(row["latency_sum_seconds"]),
            "count": int(row["latency_count"]),
            "buckets": buckets + [0] * (len(LATENCY_BUCKETS_S) - len(buckets)),
        }
    for source, total, count in conn.execute(
        text(
            "SELECT source_system, sum(latency_sum_seconds), sum(latency_count) FROM ingest_batch"
            f" WHERE status = '{BatchStatus.DONE}' AND latency_count IS NOT NULL GROUP BY 1"
        )
    ):
        histogram = histograms.setdefault(
            source, {"sum": 0.0, "count": 0, "buckets": [0] * len(LATENCY_BUCKETS_S)}
        )
        histogram["sum"] += float(total or 0)
        histogram["count"] += int(count or 0)
    for source, index, count in conn.execute(
        text(
            "SELECT source_system, u.i, sum(u.n) FROM ingest_batch,"
            " unnest(latency_buckets) WITH ORDINALITY AS u(n, i)"
            f" WHERE status = '{BatchStatus.DONE}' AND latency_buckets IS NOT NULL"
            " GROUP BY 1, 2"
        )
    ):
        histograms[source]["buckets"][index - 1] += int(count)
    return histograms


def _seconds(milliseconds: float | None) -> float | None:
    return None if milliseconds is None else float(milliseconds) / 1000
