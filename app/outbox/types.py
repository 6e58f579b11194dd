"""The JSON Schema of each outbound event type: the CloudEvents envelope the Brain sends, and
what `data` holds for each type (IDs, levels and field names, never a personal value)."""

from __future__ import annotations

from typing import Any

from app.outbox.service import (
    LINKED_RECORD_ADDED,
    MERGED,
    OUTBOUND_TYPES,
    PROFILE_CREATED,
    PROFILE_UPDATED,
    RISK_LEVEL_CHANGED,
    UNMERGED,
)

SOURCE = "c360"  # every outbound event's `source`
_ID = {"type": "string", "format": "uuid"}
_LEVEL = {"type": "string", "description": "LOW, MEDIUM or HIGH (docs/risk.md)"}
_REASON = {
    "type": "object",
    "properties": {
        "kind": {"type": "string"},
        "source": {"type": "string"},
        "ref": {"type": ["string", "null"]},
        "level": {"type": ["string", "null"]},
        "contribution": {"type": "number"},
    },
}
_DATA: dict[str, tuple[str, dict[str, Any]]] = {
    PROFILE_CREATED: ("A new profile (its fields follow as CustomerProfileUpdated)", {}),
    PROFILE_UPDATED: (
        "Golden fields changed: their names, not their values",
        {"changed": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
    ),
    MERGED: (
        "Profiles merged into the subject, the survivor: re-key the merged IDs to it",
        {"survivor_id": _ID, "merged_ids": {"type": "array", "items": _ID, "minItems": 1}},
    ),
    UNMERGED: (
        "A merged-away profile (the subject) is back, split from its survivor",
        {"survivor_id": _ID},
    ),
    RISK_LEVEL_CHANGED: (
        "The risk level moved (a new profile starts at LOW); the reasons without their detail",
        {
            "old": _LEVEL,
            "new": _LEVEL,
            "fraud_score": {"type": "string", "description": "0.000 to 1.000"},
            "reasons": {"type": "array", "items": _REASON},
        },
    ),
    LINKED_RECORD_ADDED: (
        "A source record is now part of the subject's profile",
        {
            "source_system": {"type": "string"},
            "source_customer_id": {"type": "string"},
            "match_rule": {"type": "string"},
        },
    ),
}


def outbound_schema(event_type: str) -> dict[str, Any]:
    """The JSON Schema of one outbound type, envelope and data."""
    description, data = _DATA[event_type]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": event_type,
        "description": description,
        "type": "object",
        "required": [
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "time",
            "profileversion",
            "position",
            "data",
        ],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {**_ID, "description": "the event's ID: a consumer's key for duplicates"},
            "source": {"const": SOURCE},
            "type": {"const": event_type},
            "subject": {**_ID, "description": "the Global Customer ID the event is about"},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "profileversion": {
                "type": "integer",
                "description": "the subject's version: one more with each of its events",
            },
            "position": {"type": "integer", "description": "the event's place in the feed"},
            "data": {
                "type": "object",
                "required": ["global_customer_id", *data],
                "properties": {"global_customer_id": _ID, **data},
                "additionalProperties": False,
            },
        },
    }


def outbound_schemas() -> dict[str, dict[str, Any]]:
    return {event_type: outbound_schema(event_type) for event_type in OUTBOUND_TYPES}
