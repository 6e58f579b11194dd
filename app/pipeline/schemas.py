from marshmallow import Schema, fields, validate

from app.config import SOURCE_SYSTEMS
from app.pipeline.models import QUARANTINE_LEVELS


class QuarantineArgsSchema(Schema):
    source_system = fields.String(validate=validate.OneOf(SOURCE_SYSTEMS))
    level = fields.String(validate=validate.OneOf(QUARANTINE_LEVELS))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class QuarantineSchema(Schema):
    quarantine_id = fields.Integer()
    batch_id = fields.Integer(
        allow_none=True, metadata={"description": "null for an event refused before staging"}
    )
    source_system = fields.String()
    entity = fields.String()
    source_key = fields.String()
    level = fields.String()
    reason = fields.String()
    raw = fields.Dict(
        allow_none=True,
        metadata={"description": "The row as read; null once purged after its resolution"},
    )
    created_at = fields.DateTime()
