"""POST /ingest/events: events staged as polled rows are, once, with bad ones refused by reason
and quarantined while the rest are staged; GET /events/schemas, open."""

from __future__ import annotations

from datetime import UTC, datetime

import fastjsonschema
import pytest
from sqlalchemy import select, text

from app.identity.matcher import link_customers
from app.pipeline.models import ingest_batch, ingest_record, quarantine
from connectors.records import CustomerRecord


def customer_created(event_id="evt-1", key="c-1", **data):
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "core",
        "type": "CustomerCreated",
        "time": "2026-12-08T04:00:00+03:00",
        "subject": key,
        "data": {"Id": key, "FirstName": "Amina", **data},
    }


def post(client, headers, events):
    return client.post("/ingest/events", json=events, headers=headers)


def test_events_are_staged_once_as_a_batch_of_their_source(client, conn, headers_for):
    source = headers_for("ingest")

    first = post(client, source, [customer_created(PinHash="s3cret")])
    again = post(client, source, [customer_created(), customer_created("evt-2", "c-2")])

    assert first.status_code == 202, first.get_json()
    assert first.get_json() == {"staged": 1, "duplicates": 0, "refused": []}
    assert again.get_json() == {"staged": 1, "duplicates": 1, "refused": []}
    batches = conn.execute(
        select(ingest_batch.c.source_system, ingest_batch.c.stream, ingest_batch.c.record_count)
    ).all()
    assert [tuple(b) for b in batches] == [("core", "events", 1), ("core", "events", 1)]
    rows = conn.execute(select(ingest_record.c.source_key, ingest_record.c.raw)).all()
    assert sorted(r.source_key for r in rows) == ["c-1", "c-2"]
    assert all("PinHash" not in r.raw for r in rows)  # never read, never kept


def test_bad_events_are_refused_by_position_and_quarantined_while_the_rest_are_staged(
    client, conn, headers_for
):
    delivery = [
        customer_created("evt-9", "c-9"),
        {**customer_created("evt-10"), "type": "CustomerDeleted"},
        "not an event",
    ]

    response = post(client, headers_for("ingest"), delivery)

    assert response.status_code == 422
    body = response.get_json()["errors"]
    assert body["staged"] == 1 and [r["index"] for r in body["refused"]] == [1, 2]
    assert "unknown event type 'CustomerDeleted'" in body["refused"][0]["reason"]
    entries = conn.execute(
        select(quarantine.c.batch_id, quarantine.c.level, quarantine.c.source_key)
    ).all()
    assert sorted((e.batch_id, e.level) for e in entries) == [(None, "event"), (None, "event")]
    assert "evt-10" in {e.source_key for e in entries}
    staged = conn.execute(text("SELECT count(*) FROM ingest_event")).scalar()
    assert staged == 1


def test_only_a_key_with_the_ingest_scope_delivers(client, headers_for, auth_headers):
    assert post(client, auth_headers, [customer_created()]).status_code == 403
    assert post(client, {}, [customer_created()]).status_code == 401
    reader_and_steward = headers_for("read", "steward", "admin")
    assert post(client, reader_and_steward, [customer_created()]).status_code == 403


def test_a_body_that_is_not_a_delivery_is_refused(client, headers_for):
    source = headers_for("ingest")
    for body in ({}, [], "x"):
        response = post(client, source, body)
        assert response.status_code == 422
        assert "JSON array" in response.get_json()["message"]


def test_event_schemas_are_open_and_name_every_type(client):
    response = client.get("/events/schemas")

    assert response.status_code == 200
    schemas = response.get_json()
    assert set(schemas) == {
        "CustomerCreated", "CustomerUpdated", "AccountOpened", "AccountUpdated",
        "TransactionPosted", "LoginSucceeded", "FraudCaseOpened", "FraudCaseUpdated",
        "CustomerProfileCreated", "CustomerProfileUpdated", "CustomersMerged",
        "CustomerUnmerged", "RiskLevelChanged", "LinkedRecordAdded",
    }  # fmt: skip
    sources = {v["properties"]["source"]["enum"][0] for v in schemas["TransactionPosted"]["oneOf"]}
    assert {"core", "dfs", "global"} <= sources


def test_each_outbound_schema_validates_what_the_feed_serves(client, conn, headers_for):
    link_customers(conn, [person("c1", "12345678"), person("c2", "87654321")])
    schemas = client.get("/events/schemas").get_json()
    page = client.get("/events", headers=headers_for("read")).get_json()

    assert {e["type"] for e in page["events"]} == {"CustomerProfileCreated", "LinkedRecordAdded"}
    for event in page["events"]:
        fastjsonschema.validate(schemas[event["type"]], event)
    # a personal value has no place to go
    created = next(e for e in page["events"] if e["type"] == "CustomerProfileCreated")
    with pytest.raises(fastjsonschema.JsonSchemaException):
        leaking = {**created, "data": {**created["data"], "national_id": "12345678"}}
        fastjsonschema.validate(schemas["CustomerProfileCreated"], leaking)


def person(key, national_id):
    return CustomerRecord(
        source_system="core",
        source_customer_id=key,
        full_name="Akinyi Otieno",
        national_id=national_id,
        phone=None,
        email=None,
        date_of_birth=None,
        is_active=True,
        created_at=datetime(2026, 12, 8, tzinfo=UTC),
        updated_at=datetime(2026, 12, 8, tzinfo=UTC),
        business_key=None,
    )
