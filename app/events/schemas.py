from marshmallow import Schema, fields, validate

from app.inputs import text
from app.outbox.service import OUTBOUND_TYPES

_TYPES = fields.String(validate=validate.OneOf(OUTBOUND_TYPES))
# a scheme, a host (name, address, port and user info characters), then any path and query
WEBHOOK_URL = r"^https?://[A-Za-z0-9._~%!$&'()*+,;=:@\[\]-]+(/[^\x00-\x20\x7f]*)?$"


class FeedArgsSchema(Schema):
    after = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=2**63 - 1),
        metadata={"description": "The cursor of the last page read (0: from the oldest kept)"},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    types = fields.List(
        _TYPES,
        validate=validate.Length(min=1),
        metadata={"description": "Only these types (the cursor still moves past the others)"},
    )


class CloudEventSchema(Schema):
    specversion = fields.String()
    id = fields.String()
    source = fields.String()
    type = fields.String()
    subject = fields.String(metadata={"description": "The Global Customer ID"})
    time = fields.String()
    datacontenttype = fields.String()
    profileversion = fields.Integer(
        metadata={"description": "The subject's version: orders one customer's events"}
    )
    position = fields.Integer(metadata={"description": "The event's place in the feed"})
    data = fields.Dict()


class FeedPageSchema(Schema):
    events = fields.List(fields.Nested(CloudEventSchema))
    cursor = fields.Integer(
        metadata={"description": "Pass as `after` for the next page: every event up to it seen"}
    )


class SubscriptionCreateSchema(Schema):
    url = text(
        required=True,
        max_length=2000,
        pattern=WEBHOOK_URL,
        error="An http:// or https:// URL with a host, and no spaces or control characters.",
        metadata={"description": "Where each batch of events is POSTed (http or https)"},
    )
    types = fields.List(
        _TYPES,
        required=True,
        validate=validate.Length(min=1, max=len(OUTBOUND_TYPES)),
        metadata={"description": "The event types it receives"},
    )
    secret = text(
        required=True,
        min_length=16,
        max_length=256,
        metadata={"description": "Signs each delivery: the header's HMAC-SHA256 of its body"},
    )


class SubscriptionSchema(Schema):
    subscription_id = fields.Integer()
    url = fields.String()
    types = fields.List(fields.String())
    status = fields.String(metadata={"description": "active, or parked after the retry window"})
    position = fields.Integer(metadata={"description": "The last feed position it took"})
    undelivered = fields.Integer(metadata={"description": "Events of its types still to send"})
    attempts = fields.Integer(metadata={"description": "Failed attempts in a row"})
    failing_since = fields.DateTime(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
