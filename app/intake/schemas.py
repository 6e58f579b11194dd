from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from marshmallow import Schema, fields

from app.intake.envelope import INBOUND_TYPES, type_schema
from app.outbox.service import OUTBOUND_TYPES

MAX_EVENTS = 10_000  # events in one delivery
EVENTS_COMPONENT = "InboundEvents"
EVENTS_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{EVENTS_COMPONENT}"}}
    },
}


def events_document(sources: Iterable[str]) -> dict[str, Any]:
    """A delivery in the OpenAPI document: an array of events, each one variant of an inbound
    type from a source configured here (what is staged rather than refused)."""
    configured = sorted(sources)
    variants = [
        variant
        for event_type in INBOUND_TYPES
        for variant in type_schema(event_type, configured, openapi=True)["oneOf"]
    ]
    return {
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_EVENTS,
        # the variants exclude each other (type and source): anyOf says as much, and a
        # client's validator need not try every one
        "items": {"anyOf": variants} if variants else {"not": {}},
        "description": "CloudEvents 1.0 JSON; each type's schema at GET /events/schemas",
    }


class RefusedSchema(Schema):
    index = fields.Integer(metadata={"description": "the event's position in the delivery"})
    reason = fields.String()


class IntakeSchema(Schema):
    staged = fields.Integer(metadata={"description": "events staged for the pipeline"})
    duplicates = fields.Integer(metadata={"description": "events seen before: nothing changed"})
    refused = fields.List(fields.Nested(RefusedSchema))


# one member per type, in and out, its JSON Schema
EventSchemasSchema = Schema.from_dict(
    {
        event_type: fields.Dict(metadata={"description": f"the JSON Schema of {event_type}"})
        for event_type in (*INBOUND_TYPES, *OUTBOUND_TYPES)
    },
    name="EventSchemas",
)
