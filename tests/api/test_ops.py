import dataclasses
import re
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert

from app import create_app
from app.access.keys import SCOPES
from app.ops.service import pipeline_status, queue_depths, redis_client
from app.pipeline.models import ingest_batch, quarantine, source_checkpoint, stream_poll

DOWN_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def now():
    return datetime.now(UTC)


@pytest.fixture
def checkpoint(conn):
    def add(source, stream, updated_at):
        conn.execute(
            insert(source_checkpoint).values(
                source_system=source,
                stream=stream,
                marker="m",
                source_key="k",
                updated_at=updated_at,
            )
        )

    return add


@pytest.fixture
def polled(conn):
    """A stream's last read: successful `ago` before now, or failing with `error`."""

    def add(source, stream, ago, error=None, kind="poll"):
        moment = datetime.now(UTC) - ago
        conn.execute(
            insert(stream_poll).values(
                source_system=source,
                stream=stream,
                kind=kind,
                last_attempt_at=moment,
                last_success_at=None if error else moment,
                failing_since=moment if error else None,
                last_error=error,
            )
        )

    return add


@pytest.fixture
def pipeline_rows(conn, checkpoint, polled, now):
    """core: two done batches (one old), one unfinished, one open and one resolved quarantine."""

    def batch(source, status, count, finished_ago=None, p50=None, max_ms=None, buckets=None):
        finished = now - finished_ago if finished_ago is not None else None
        conn.execute(
            insert(ingest_batch).values(
                source_system=source,
                stream="customers",
                status=status,
                record_count=count,
                finished_at=finished,
                latency_ms_p50=p50,
                latency_ms_max=max_ms,
                # cumulative over LATENCY_BUCKETS_S (0.1 0.25 0.5 1 2.5 5 10 30 60 300)
                latency_buckets=buckets,
                latency_sum_seconds=None if buckets is None else 0.5 * count,
                latency_count=None if buckets is None else count,
            )
        )

    batch("core", "done", 30, timedelta(seconds=10), 400, 900, [0, 10, 25] + [30] * 7)
    batch("core", "done", 70, timedelta(minutes=10), 5000, 99000, [0] * 5 + [40] + [70] * 4)
    batch("core", "staged", 5)
    batch("channel", "done", 4, timedelta(seconds=20), p50=200, max_ms=300)
    for resolved in (None, now):
        conn.execute(
            insert(quarantine).values(
                batch_id=1,
                source_system="core",
                entity="customer",
                source_key=f"k{resolved}",
                reason="no national id",
                raw={},
                resolved_at=resolved,
            )
        )
    checkpoint("core", "customers", now - timedelta(seconds=2))
    checkpoint("core", "accounts", now - timedelta(seconds=5))
    checkpoint("channel", "logins", now - timedelta(seconds=3))
    polled("core", "customers", timedelta(seconds=2))
    polled("core", "accounts", timedelta(seconds=5))
    polled("channel", "logins", timedelta(seconds=3))


def test_health_ok_when_everything_is_up_and_fresh(client, polled):
    polled("core", "customers", timedelta(seconds=1))
    polled("channel", "logins", timedelta(seconds=1))

    response = client.get("/health")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == {"status": "ok"}
    assert body["broker"] == {"status": "ok"}
    assert set(body["sources"]) == {"core", "channel"}
    assert body["sources"]["core"]["status"] == "ok"


def test_a_quiet_source_is_healthy(client, polled):
    # polled a second ago and found nothing: no checkpoint, no row, still ok
    polled("core", "customers", timedelta(seconds=1))
    polled("channel", "sessions", timedelta(seconds=1))

    body = client.get("/health").get_json()

    assert body["status"] == "ok"
    assert body["sources"]["channel"]["streams"]["sessions"]["status"] == "ok"


def test_health_degraded_when_polls_stop_running(client, polled):
    polled("core", "customers", timedelta(seconds=1))
    polled("channel", "logins", timedelta(seconds=31))  # max(30 s, 10 x 1 s)

    body = client.get("/health").get_json()

    assert body["status"] == "degraded"
    assert body["sources"]["channel"]["status"] == "behind"
    assert body["sources"]["core"]["status"] == "ok"


def test_a_failing_stream_is_named_with_the_database_message(client, polled):
    polled("core", "customers", timedelta(seconds=1))
    polled("channel", "users", timedelta(seconds=1))
    polled("channel", "sessions", timedelta(seconds=1), error='relation "sessions" does not exist')

    body = client.get("/health").get_json()

    assert body["status"] == "degraded"
    channel = body["sources"]["channel"]
    assert channel["status"] == "failing"
    assert channel["streams"]["sessions"]["error"] == 'relation "sessions" does not exist'
    assert channel["streams"]["users"]["status"] == "ok"


def test_a_never_polled_source_says_so(client):
    body = client.get("/health").get_json()

    assert body["status"] == "degraded"
    assert body["sources"]["core"] == {"status": "never_polled", "last_poll": None, "streams": {}}


def test_health_503_when_the_broker_is_down(settings, conn):
    app = create_app(dataclasses.replace(settings, redis_url=DOWN_REDIS))

    response = app.test_client().get("/health")

    assert response.status_code == 503
    assert response.get_json()["broker"] == {"status": "down"}
    assert response.get_json()["status"] == "down"


def test_socket_broker_urls_become_unix_urls():
    kwargs = redis_client("redis+socket:///tmp/redis.sock").connection_pool.connection_kwargs

    assert kwargs["path"] == "/tmp/redis.sock"


def test_queue_depths_cover_every_queue(settings):
    assert set(queue_depths(settings.redis_url)) == {
        "extract",
        "match",
        "upsert",
        "risk",
        "maintenance",
    }


def test_pipeline_status_per_source(conn, settings, pipeline_rows, now):
    core = pipeline_status(conn, settings, now)["sources"]["core"]

    assert core["records_processed"] == 100
    assert core["records_per_minute"] == 30
    assert core["latency_p50_seconds"] == 0.4
    assert core["latency_max_seconds"] == 0.9  # the 10-minute-old batch is out of the window
    assert core["batches_unfinished"] == 1
    assert core["quarantined_records"] == 1
    assert core["lag_seconds"] == pytest.approx(2, abs=0.05)
    assert core["state"] == "ok"
    assert core["failing_streams"] == {}
    assert [c["stream"] for c in core["checkpoints"]] == ["accounts", "customers"]


def test_metrics_are_computed_from_the_database(client, pipeline_rows):
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert 'c360_records_processed_total{source="core"} 100.0' in text
    assert 'c360_records_processed_total{source="channel"} 4.0' in text
    assert 'c360_records_per_minute{source="core"} 30.0' in text
    assert response.headers["Content-Type"] == CONTENT_TYPE_LATEST  # one charset, not two
    assert response.headers["Content-Type"].count("charset") == 1
    families = {f.name: f for f in text_string_to_metric_families(text)}
    latency = {
        (s.name, s.labels.get("le")): s.value
        for s in families["c360_processing_latency_seconds"].samples
        if s.labels["source"] == "core"
    }
    # both batches, bucket by bucket: 10+0 records within 0.25 s, 30+40 within 5 s, all 100
    assert latency[("c360_processing_latency_seconds_bucket", "0.25")] == 10
    assert latency[("c360_processing_latency_seconds_bucket", "5.0")] == 70
    assert latency[("c360_processing_latency_seconds_bucket", "+Inf")] == 100
    assert latency[("c360_processing_latency_seconds_count", None)] == 100
    assert latency[("c360_processing_latency_seconds_sum", None)] == 50
    assert 'c360_source_lag_seconds{source="core"}' in text
    assert 'c360_quarantined_records{source="core"} 1.0' in text
    assert 'c360_batches_unfinished{source="core"} 1.0' in text
    for queue in ("extract", "match", "upsert", "risk"):
        assert f'c360_queue_depth{{queue="{queue}"}}' in text


def test_metrics_skip_queue_depth_when_the_broker_is_down(settings, conn):
    app = create_app(dataclasses.replace(settings, redis_url=DOWN_REDIS))

    response = app.test_client().get("/metrics")

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "c360_queue_depth{" not in text
    assert "c360_records_processed_total" in text


def test_each_app_has_its_own_registry(settings):
    first, second = create_app(settings), create_app(settings)

    assert first.extensions["c360_metrics"] is not second.extensions["c360_metrics"]


def test_openapi_lists_every_path_and_the_bearer_scheme(client):
    spec = client.get("/openapi.json").get_json()

    assert set(spec["paths"]) == {
        "/customer/{global_id}",
        "/customer/{global_id}/accounts",
        "/customer/{global_id}/loans",
        "/customer/{global_id}/transactions",
        "/customer/{global_id}/risk",
        "/customer/{global_id}/identity",
        "/customer/{global_id}/export",
        "/customers",
        "/customers/search",
        "/identity/suspected-duplicates",
        "/steward/proposals",
        "/steward/proposals/{proposal_id}",
        "/steward/proposals/{proposal_id}/approve",
        "/steward/proposals/{proposal_id}/reject",
        "/steward/review-queue",
        "/steward/review-queue/{item_id}/proposals",
        "/admin/quarantine",
        "/admin/access-log",
        "/ingest/events",
        "/events/schemas",
        "/events",
        "/subscriptions",
        "/subscriptions/{subscription_id}",
        "/subscriptions/{subscription_id}/resume",
        "/health",
        "/metrics",
    }
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            secured = operation.get("security")
            if path in ("/health", "/metrics", "/events/schemas"):
                assert secured is None, path
            else:
                assert secured == [{"bearerAuth": []}], path
                assert {"401", "403"} <= set(operation["responses"]), path
                assert operation["x-scope"] in SCOPES, path


def test_swagger_ui(client):
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"


def test_api_requests_are_counted_by_endpoint_and_status(client, auth_headers):
    client.get("/health")
    client.get(f"/customer/{uuid4()}", headers=auth_headers)  # 404
    text = client.get("/metrics").get_data(as_text=True)
    samples = [
        s
        for family in text_string_to_metric_families(text)
        if family.name == "c360_api_requests"
        for s in family.samples
        if s.name == "c360_api_requests_total"
    ]
    counted = {(s.labels["endpoint"], s.labels["status"]): s.value for s in samples}
    assert counted[("/customer/<uuid:global_id>", "404")] >= 1  # the rule, never the ID
    assert counted[("/health", "200")] >= 1
    assert "c360_api_request_duration_seconds_bucket" in text


def test_the_document_says_what_a_search_and_a_look_up_accept(client):
    """A request the document allows is one the API takes: exactly one identifier to search
    by, never an empty one."""
    spec = client.get("/openapi.json").get_json()
    search = spec["components"]["schemas"]["Search"]
    assert (search["minProperties"], search["maxProperties"]) == (1, 1)
    assert all(field["minLength"] == 1 for field in search["properties"].values())
    look_up = spec["paths"]["/customers"]["get"]["parameters"]
    (key,) = [p for p in look_up if p["name"] == "source_customer_id"]
    assert key["schema"]["minLength"] == 1
    # only white space (separators included) is refused, and the document says so
    for value, allowed in (("\x1f\x1e", False), (" \x85", False), (" C-1 ", True)):
        assert bool(re.search(key["schema"]["pattern"], value)) is allowed
