"""Inbound events: the CloudEvents 1.0 envelope a source publishes, the JSON Schema of each type
(served at GET /events/schemas and validated against), and the reading of one event into the row
a poll would have staged. Pure: no database, no broker.

An event's `data` is the row as the source's table holds it, under its own column names: the
columns the source's poll reads (`connectors`, `event_shape`), so a polled row and an event go
through one transform. Columns the Brain does not read are dropped before anything is stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import fastjsonschema

from app.inputs import NO_NUL
from connectors import CONNECTORS
from connectors._common import OBSERVED_AT
from connectors.base import EventShape

SPEC_VERSION = "1.0"
# what each inbound type says happened, as the entity its data is a row of
INBOUND_TYPES: Mapping[str, str] = {
    "CustomerCreated": "customer",
    "CustomerUpdated": "customer",
    "AccountOpened": "account",
    "AccountUpdated": "account",
    "TransactionPosted": "transaction",
    "LoginSucceeded": "login",
    "FraudCaseOpened": "fraud_case",
    "FraudCaseUpdated": "fraud_case",
}
MAX_ID = 200  # an event ID or subject longer than this is no key of any source
ENVELOPE_FIELDS = ("specversion", "id", "source", "type", "time", "subject", "data")
DRAFT = "http://json-schema.org/draft-07/schema#"
_NUL = "\\u0000"  # how JSON writes one


@dataclass(frozen=True)
class Accepted:
    """An event read into the row a poll would have staged."""

    source_system: str
    event_id: str
    entity: str
    key: str
    time: datetime  # in UTC
    raw_json: str  # the row as staged: what a poll would have read, as JSON


@dataclass(frozen=True)
class Rejected:
    """An event that cannot be staged, with why; `source_system` and `key` as far as it says."""

    source_system: str
    key: str
    entity: str
    reason: str
    raw: Any


@cache
def shapes(event_type: str) -> dict[str, EventShape]:
    """{source: the shape of its data} for the sources whose events may have this type."""
    entity = INBOUND_TYPES[event_type]
    return {
        name: shape
        for name, connector in CONNECTORS.items()
        if (shape := connector.event_shape(entity)) is not None
    }


def variant(event_type: str, source: str, openapi: bool = False) -> dict[str, Any]:
    """The schema of one type's events from one source: the envelope, and the `data` that
    source carries (its key required; the other columns the Brain reads listed, each a plain
    value or null). JSON Schema draft-07, or with `openapi` the same in OpenAPI 3.0's dialect
    (which writes null as `nullable`)."""
    shape = shapes(event_type)[source]
    text = {"type": "string", "minLength": 1, "maxLength": MAX_ID, "pattern": NO_NUL}
    plain = [{"type": "string", "pattern": NO_NUL}, {"type": "number"}, {"type": "boolean"}]
    value = (
        {"anyOf": plain, "nullable": True}
        if openapi
        else {"type": ["string", "number", "boolean", "null"], "pattern": NO_NUL}
    )
    return {
        "type": "object",
        "required": list(ENVELOPE_FIELDS),
        "properties": {
            "specversion": {"type": "string", "enum": [SPEC_VERSION]},
            "id": text,
            "source": {"type": "string", "enum": [source]},
            "type": {"type": "string", "enum": [event_type]},
            "time": {"type": "string", "format": "date-time"},
            "subject": {**text, "description": f"the row's key in its source ({shape.key})"},
            "datacontenttype": {"type": "string", "enum": ["application/json"]},
            "data": {
                "type": "object",
                "required": [shape.key],
                "properties": {field: value for field in shape.fields},
            },
        },
    }


def type_schema(
    event_type: str, sources: Iterable[str] | None = None, openapi: bool = False
) -> dict[str, Any]:
    """The JSON Schema of one inbound type: one variant per source that may send it (of
    `sources` only, where given)."""
    names = sorted(
        shapes(event_type) if sources is None else set(sources) & set(shapes(event_type))
    )
    return {
        "title": event_type,
        "description": f"A {INBOUND_TYPES[event_type]} row of a source, as its table holds it, "
        "in a CloudEvents 1.0 JSON envelope.",
        "oneOf": [variant(event_type, name, openapi) for name in names],
    }


@cache
def _validator(event_type: str, source: str) -> Any:
    return fastjsonschema.compile({"$schema": DRAFT, **variant(event_type, source)})


def read_event(event: Any, configured: Mapping[str, str]) -> Accepted | Rejected:
    """One event read against its type's schema into the row a poll would stage, or why not.
    `configured`: the sources this process is configured for (an event of another is refused,
    as a poll of it would be)."""
    if not isinstance(event, dict):
        return _rejected(event, f"an event is a JSON object, not {type(event).__name__}")
    event_type = event.get("type")
    if not isinstance(event_type, str) or event_type not in INBOUND_TYPES:
        known = ", ".join(INBOUND_TYPES)
        return _rejected(event, f"unknown event type {_quoted(event_type)} (known: {known})")
    source = event.get("source")
    if not isinstance(source, str) or source not in shapes(event_type):
        return _rejected(event, f"no source sends {event_type} as {_quoted(source)}")
    if source not in configured:
        return _rejected(event, f"source {source!r} is not configured here")
    try:
        _validator(event_type, source)(event)
    except fastjsonschema.JsonSchemaException as problem:
        return _rejected(event, f"{event_type}: {_worded(str(problem))}")
    moment = _utc(event["time"])
    if moment is None:
        return _rejected(event, f"time {event['time']!r} is no moment in UTC's range")
    shape = shapes(event_type)[source]
    data = event["data"]
    raw = {field: data[field] for field in shape.fields if field in data}
    # when the source says it happened: the version of a row whose source keeps no trustworthy
    # change time, as the moment a poll read it is for a polled row
    raw[OBSERVED_AT] = moment.isoformat(timespec="microseconds")
    raw_json = json.dumps(raw)
    # the row's key is the data's own, as a poll reads it (the subject names it for a reader)
    return Accepted(source, event["id"], shape.entity, str(data[shape.key]), moment, raw_json)


def _worded(message: str) -> str:
    """fastjsonschema names the document `data`, as CloudEvents names the row: say which."""
    if message.startswith("data."):
        return message.removeprefix("data.")
    return "the event" + message.removeprefix("data")


def _utc(text: str) -> datetime | None:
    """The moment in UTC, or None: no offset, or past what UTC can hold (year 1 at -05:00)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None


def _rejected(event: Any, reason: str) -> Rejected:
    """Named by what the event says of itself, as far as it is text of a sensible length, and
    kept without what the Brain never reads: of its data, only the columns its source's shape
    names (none where the source or type is not known)."""
    said = event if isinstance(event, dict) else {}
    event_type = said.get("type")
    entity = INBOUND_TYPES.get(event_type, "event") if isinstance(event_type, str) else "event"
    source = _short(said.get("source"), 16) or "unknown"
    key = _short(said.get("id"), MAX_ID) or _digest(event)
    kept = _kept(said, entity, source) if said else {"received": type(event).__name__}
    # stored as JSONB, which holds no NUL: kept as the text of its escape
    text = json.dumps(kept, default=str)
    if _NUL in text:
        kept = json.loads(text.replace(_NUL, "\\\\u0000"))
    return Rejected(source, key, entity, reason, kept)


def _kept(event: dict[str, Any], entity: str, source: str) -> dict[str, Any]:
    kept = {name: event[name] for name in ENVELOPE_FIELDS if name in event and name != "data"}
    connector = CONNECTORS.get(source)
    shape = connector.event_shape(entity) if connector is not None else None
    data = event.get("data")
    if shape is not None and isinstance(data, dict):
        kept["data"] = {field: data[field] for field in shape.fields if field in data}
    return kept


def _short(value: Any, limit: int) -> str | None:
    usable = isinstance(value, str) and 0 < len(value) <= limit and "\x00" not in value
    return value if usable else None


def _digest(event: Any) -> str:
    """A key for an event with no usable ID: its content, so two bad events stay two entries."""
    text = json.dumps(event, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _quoted(value: Any) -> str:
    return repr(value) if isinstance(value, str) and len(value) <= 64 else "(not a name)"
