from marshmallow import Schema, fields, validate

from app.inputs import text


class AccessLogArgsSchema(Schema):
    customer = fields.UUID(
        metadata={"description": "A Global Customer ID: its entries and those of IDs merged in"}
    )
    key = text(max_length=80, metadata={"description": "A key name"})
    since = fields.AwareDateTime(
        metadata={"description": "Entries at or after this time, ISO 8601 with its offset"}
    )
    until = fields.AwareDateTime(
        metadata={
            "description": "Entries before this time, ISO 8601 with its offset; at or before "
            "`since`, the range holds no entry"
        }
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class AccessLogEntrySchema(Schema):
    access_id = fields.Integer()
    at = fields.DateTime()
    key_name = fields.String(metadata={"description": "Who: the name of the key used"})
    method = fields.String()
    endpoint = fields.String(metadata={"description": "The route, e.g. /customer/<global_id>"})
    status = fields.Integer()
    customer_ids = fields.List(fields.UUID(), metadata={"description": "The customers served"})
    remote_addr = fields.String(allow_none=True, metadata={"description": "From where"})
