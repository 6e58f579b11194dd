"""Events from the source systems over HTTP (for those that speak it rather than AMQP), and the
schema of every inbound type."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint, abort

from app import db
from app.access.auth import SecuredBlueprint
from app.access.keys import INGEST
from app.celeryconfig import create_celery
from app.intake.envelope import INBOUND_TYPES, type_schema
from app.intake.schemas import EVENTS_BODY, MAX_EVENTS, EventSchemasSchema, IntakeSchema
from app.intake.service import take_events
from app.outbox.types import outbound_schemas
from app.pipeline.handoff import enqueue_batches

blp = SecuredBlueprint(
    "ingest", __name__, scope=INGEST, description="Events from the source systems"
)
# what an event may hold is no secret: open, as /openapi.json is
schemas_blp = Blueprint("event-schemas", __name__, description="Event types, in and out")


@blp.route("/ingest/events", methods=["POST"])
@blp.doc(requestBody=EVENTS_BODY)
@blp.response(202, IntakeSchema)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def post_events() -> dict[str, Any]:
    """Deliver a batch of events (CloudEvents 1.0 JSON; the types at GET /events/schemas)

    Answered once every event is durably staged: an event ID seen before is counted and
    changes nothing. If any event cannot be read, the answer is 422 naming each by its
    position and reason (in `errors`, with what was staged), and those are quarantined; the
    others are staged all the same, so sending the corrected batch again stages only what was
    refused. An event is checked here against its type's schema; its row is checked by the
    pipeline as a polled row is (quarantined with its reason if it cannot be read).
    """
    body = request.get_json(silent=True)
    events: list[Any] = body if isinstance(body, list) else []
    if not 1 <= len(events) <= MAX_EVENTS:
        abort(422, message=f"The body is a JSON array of 1 to {MAX_EVENTS:,} events.")
    settings = current_app.config["C360_SETTINGS"]
    with db.transaction() as conn:
        intake = take_events(conn, events, settings.source_urls)
    _queue(intake.batches)
    summary = {
        "staged": intake.staged,
        "duplicates": intake.duplicates,
        "refused": [{"index": at, "reason": reason} for at, reason in intake.rejected],
    }
    if intake.rejected:
        message = f"{len(intake.rejected)} of {len(events)} events refused"
        abort(422, message=message, errors=summary)
    return summary


@schemas_blp.route("/events/schemas")
@schemas_blp.response(200, EventSchemasSchema)
def get_event_schemas() -> dict[str, Any]:
    """The JSON Schema of every event type: inbound (one variant per source that sends it) and
    outbound (what the feed, c360.events and the webhooks carry)"""
    inbound = {event_type: type_schema(event_type) for event_type in INBOUND_TYPES}
    return inbound | outbound_schemas()


def _queue(batches: list[int]) -> None:
    """Each staged batch on to match, upsert and risk, as a poll's are (the sweeper queues any
    whose message is lost). The API's Celery app only sends: Flask's pattern, kept in
    `app.extensions`."""
    if "celery" not in current_app.extensions:
        current_app.extensions["celery"] = create_celery(current_app.config["C360_SETTINGS"])
    enqueue_batches(current_app.extensions["celery"], batches)
