"""Reading inbound events (pure): what is staged of an event, and why one is refused."""

from __future__ import annotations

import json

import fastjsonschema
import pytest

from app.intake.envelope import INBOUND_TYPES, Accepted, Rejected, read_event, type_schema
from connectors import CONNECTORS

CONFIGURED = {"core": "postgresql://core", "channel": "postgresql://salama"}


def event(**fields):
    base = {
        "specversion": "1.0",
        "id": "evt-1",
        "source": "core",
        "type": "CustomerCreated",
        "time": "2026-12-08T04:00:00+03:00",
        "subject": "c-1",
        "data": {
            "Id": "c-1",
            "CustomerNumber": "CUST0001",
            "FirstName": "Amina",
            "LastName": "Wanjiru",
            "Status": "Active",
            "IdentificationNumber": "12345678",
            "CreatedAt": "2026-12-08T00:59:00+00:00",
            "UpdatedAt": "2026-12-08T01:00:00+00:00",
        },
    }
    return base | fields


def test_an_event_becomes_the_row_a_poll_would_stage():
    read = read_event(event(), CONFIGURED)

    assert isinstance(read, Accepted)
    assert (read.source_system, read.event_id, read.entity, read.key) == (
        "core",
        "evt-1",
        "customer",
        "c-1",
    )
    raw = json.loads(read.raw_json)
    assert raw["FirstName"] == "Amina"
    # the time the source gave is the version a row whose source keeps no trustworthy clock has
    assert raw["_observed_at"] == "2026-12-08T01:00:00.000000+00:00"
    # transformed as a polled row is
    record = CONNECTORS["core"]("sqlite://").transform(read.entity, raw)
    assert record.source_customer_id == "c-1" and record.national_id == "12345678"


def test_what_the_brain_never_reads_is_never_kept():
    secret = event(data={"Id": "c-1", "FirstName": "Amina", "PinHash": "s3cret"})

    read = read_event(secret, CONFIGURED)
    refused = read_event({**secret, "time": "yesterday"}, CONFIGURED)

    assert isinstance(read, Accepted) and "s3cret" not in read.raw_json
    assert isinstance(refused, Rejected) and "s3cret" not in json.dumps(refused.raw)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"type": "CustomerDeleted"}, "unknown event type 'CustomerDeleted'"),
        ({"source": "dfs"}, "source 'dfs' is not configured here"),
        ({"source": "mainframe"}, "no source sends CustomerCreated as 'mainframe'"),
        ({"time": "2026-12-08T04:00:00"}, "time must be date-time"),
        ({"specversion": "0.3"}, "specversion must be one of ['1.0']"),
        ({"data": {"FirstName": "Amina"}}, "data must contain ['Id'] properties"),
        ({"data": {"Id": "c-1", "FirstName": {"a": 1}}}, "data.FirstName must be string"),
        ({"data": {"Id": "c-1", "FirstName": "A\x00"}}, "data.FirstName must match pattern"),
        ({"id": ""}, "id must be longer than or equal to 1 characters"),
    ],
)
def test_an_event_that_cannot_be_read_is_refused_with_its_reason(changes, reason):
    read = read_event(event(**changes), CONFIGURED)

    assert isinstance(read, Rejected)
    assert reason in read.reason
    json.dumps(read.raw)  # storable as JSON, NUL included (as its escape)
    assert "\x00" not in json.dumps(read.raw, ensure_ascii=False)


@pytest.mark.parametrize("thing", [[], "CustomerCreated", 42, None])
def test_something_other_than_an_event_is_refused(thing):
    read = read_event(thing, CONFIGURED)

    assert isinstance(read, Rejected) and read.reason.startswith("an event is a JSON object")
    assert read.key.startswith("sha256:")  # two different bad things stay two entries


@pytest.mark.parametrize("event_type", INBOUND_TYPES)
def test_each_type_has_a_schema_that_accepts_its_example_and_names_its_sources(event_type):
    schema = type_schema(event_type)
    validate = fastjsonschema.compile(schema)
    sources = [variant["properties"]["source"]["enum"][0] for variant in schema["oneOf"]]
    assert sources, f"no source sends {event_type}"
    for variant in schema["oneOf"]:
        key = variant["properties"]["data"]["required"][0]
        source = variant["properties"]["source"]["enum"][0]
        validate(event(type=event_type, source=source, subject="k-1", data={key: "k-1"}))
