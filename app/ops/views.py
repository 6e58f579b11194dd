"""Open operational endpoints (no personal data): `/health` and Prometheus `/metrics`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import redis
from flask import Flask, Response, current_app
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from app import db
from app.config import Settings
from app.ops.api_metrics import init_request_metrics
from app.ops.api_metrics import register as register_request_metrics
from app.ops.service import health, latency_histograms, pipeline_status, queue_depths
from app.pipeline.steps import LATENCY_BUCKETS_S

blp = Blueprint("ops", __name__, description="Health and metrics (open, no personal data)")


class ServiceSchema(Schema):
    status = fields.String(metadata={"description": "ok or down"})


SOURCE_STATES = "ok (polling, with or without new rows), never_polled, failing or behind"


class StreamHealthSchema(Schema):
    status = fields.String(metadata={"description": SOURCE_STATES})
    last_success_at = fields.DateTime(allow_none=True)
    failing_since = fields.DateTime(allow_none=True)
    error = fields.String(
        allow_none=True, metadata={"description": "The database's message, while failing"}
    )


class SourceHealthSchema(Schema):
    status = fields.String(metadata={"description": f"{SOURCE_STATES} (its worst stream)"})
    last_poll = fields.DateTime(allow_none=True)
    streams = fields.Dict(keys=fields.String(), values=fields.Nested(StreamHealthSchema))


class TableStatisticsSchema(Schema):
    rows_at_analyze = fields.Integer(
        metadata={"description": "Rows the planner was told of at the last ANALYZE (0: never)"}
    )
    rows_now = fields.Integer()
    changed_since_analyze = fields.Integer(
        metadata={"description": "Rows inserted, updated or deleted since the last ANALYZE"}
    )
    analyzed_at = fields.DateTime(allow_none=True)


class StatisticsHealthSchema(Schema):
    status = fields.String(
        metadata={
            "description": "ok; stale while a table's planner statistics are far older than its"
            " contents (reads may be planned as if it were empty: the Brain's statistics check"
            " is not running, or is off and nobody analyzed); unknown while the database is down"
        }
    )
    stale_tables = fields.Dict(keys=fields.String(), values=fields.Nested(TableStatisticsSchema))


class EventsHealthSchema(Schema):
    status = fields.String(
        metadata={
            "description": "ok; behind while an event has waited over a minute for the relay"
            " (is `c360 relay` running?); parked while a webhook subscription is parked;"
            " unknown while the database is down"
        }
    )
    lag_seconds = fields.Float(metadata={"description": "The oldest undelivered event's age"})
    undelivered = fields.Integer()
    parked_subscriptions = fields.Integer()


class HealthSchema(Schema):
    status = fields.String(
        metadata={
            "description": "ok, degraded (a source is not ok, planner statistics are stale, or"
            " events are behind or parked)"
            " or down (database, broker)"
        }
    )
    database = fields.Nested(ServiceSchema)
    broker = fields.Nested(ServiceSchema)
    sources = fields.Dict(keys=fields.String(), values=fields.Nested(SourceHealthSchema))
    statistics = fields.Nested(StatisticsHealthSchema)
    events = fields.Nested(EventsHealthSchema)


@blp.route("/health")
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="The database or the broker is down")
def get_health() -> tuple[dict[str, Any], int]:
    """Liveness and readiness of the database and broker, and per-source freshness"""
    report = health(current_app.config["C360_SETTINGS"])
    return report, 503 if report["status"] == "down" else 200


class PipelineCollector(Collector):
    """Computes the metrics from the database at scrape time (the workers keep no counters)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        with db.connect() as conn:
            status = pipeline_status(conn, self.settings)
            histograms = latency_histograms(conn)
        sources = status["sources"]
        processed = CounterMetricFamily(
            "c360_records_processed", "Records of done batches", labels=["source"]
        )
        per_minute = GaugeMetricFamily(
            "c360_records_per_minute", "Records of batches done in the last 60 s", labels=["source"]
        )
        latency = HistogramMetricFamily(
            "c360_processing_latency_seconds",
            "Source write to stored in the Enterprise Brain, per record of done batches",
            labels=["source"],
        )
        lag = GaugeMetricFamily(
            "c360_source_lag_seconds", "Time since the last successful poll", labels=["source"]
        )
        failing = GaugeMetricFamily(
            "c360_stream_failing",
            "1 while reading the stream fails (its error is in /health)",
            labels=["source", "stream"],
        )
        quarantined = GaugeMetricFamily(
            "c360_quarantined_records", "Open quarantined records", labels=["source"]
        )
        unfinished = GaugeMetricFamily(
            "c360_batches_unfinished", "Batches not yet done", labels=["source"]
        )
        unknown = GaugeMetricFamily(
            "c360_unknown_values",
            "Rows holding a code no rule knows yet (landed as written), per value",
            labels=["source", "vocabulary", "value"],
        )
        for source, histogram in histograms.items():
            cumulative = [
                (str(bound), count)
                for bound, count in zip(LATENCY_BUCKETS_S, histogram["buckets"], strict=True)
            ]
            latency.add_metric(
                [source], [*cumulative, ("+Inf", histogram["count"])], histogram["sum"]
            )
        for source, state in sources.items():
            processed.add_metric([source], state["records_processed"])
            for vocabulary, values in state["unknown_values"].items():
                for value, rows in values.items():
                    unknown.add_metric([source, vocabulary, value], rows)
            per_minute.add_metric([source], state["records_per_minute"])

            if state["lag_seconds"] is not None:
                lag.add_metric([source], state["lag_seconds"])
            quarantined.add_metric([source], state["quarantined_records"])
            unfinished.add_metric([source], state["batches_unfinished"])
            for stream in state["failing_streams"]:
                failing.add_metric([source, stream], 1)
        stale = GaugeMetricFamily(
            "c360_planner_statistics_stale",
            "1 while a table's planner statistics are far older than its contents (in /health)",
            labels=["table"],
        )
        for table in status["stale_statistics"]:
            stale.add_metric([table], 1)
        yield from _event_metrics(status["events"])
        yield from (
            processed,
            per_minute,
            latency,
            lag,
            failing,
            quarantined,
            unfinished,
            unknown,
            stale,
        )

        depth = GaugeMetricFamily("c360_queue_depth", "Messages waiting", labels=["queue"])
        try:
            for queue, count in queue_depths(self.settings.redis_url).items():
                depth.add_metric([queue], count)
        except redis.RedisError:
            return  # broker down: no queue depths rather than no metrics
        yield depth


def _event_metrics(state: dict[str, Any]) -> Iterator[Metric]:
    """The outbound events: waiting for the relay, per destination, parked subscriptions."""
    outbox = GaugeMetricFamily(
        "c360_events_outbox_lag_seconds", "Age of the oldest event not yet in the feed"
    )
    outbox.add_metric([], state["outbox"]["lag_seconds"])
    undelivered = GaugeMetricFamily(
        "c360_events_undelivered", "Events not yet taken", labels=["destination"]
    )
    lag = GaugeMetricFamily(
        "c360_events_lag_seconds",
        "Age of the oldest event not yet taken",
        labels=["destination"],
    )
    for destination, figures in state["destinations"].items():
        undelivered.add_metric([destination], figures["undelivered"])
        lag.add_metric([destination], figures["lag_seconds"])
    parked = GaugeMetricFamily(
        "c360_webhook_subscriptions_parked", "Webhook subscriptions parked after failing"
    )
    parked.add_metric([], state["parked_subscriptions"])
    yield from (outbox, undelivered, lag, parked)


def init_metrics(app: Flask) -> None:
    """A registry per app, not prometheus_client's global one (one app per test, no clashes):
    the pipeline's metrics from the database, the API's request metrics."""
    registry = CollectorRegistry()
    registry.register(PipelineCollector(app.config["C360_SETTINGS"]))
    register_request_metrics(registry)
    init_request_metrics(app)
    app.extensions["c360_metrics"] = registry


@blp.route("/metrics")
@blp.doc(
    responses={
        "200": {"description": "Prometheus text format", "content": {"text/plain": {}}},
        "503": {"description": "The database is down"},
    }
)
def get_metrics() -> Response:
    """Pipeline metrics for Prometheus, computed from the database at scrape time"""
    try:
        body = generate_latest(current_app.extensions["c360_metrics"])
    except SQLAlchemyError:
        abort(503, message="The database is unreachable")
    # the whole header as Prometheus names it: `mimetype=` would add a second charset
    return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST})
