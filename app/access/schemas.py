from marshmallow import Schema, ValidationError, fields, validate, validates_schema


class AccessLogArgsSchema(Schema):
    customer = fields.UUID(
        metadata={"description": "A Global Customer ID: its entries and those of IDs merged in"}
    )
    key = fields.String(validate=validate.Length(max=80), metadata={"description": "A key name"})
    since = fields.AwareDateTime(metadata={"description": "ISO 8601 with its offset"})
    until = fields.AwareDateTime(metadata={"description": "ISO 8601 with its offset"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))

    @validates_schema
    def ordered(self, data: dict, **kwargs: object) -> None:
        if "since" in data and "until" in data and data["since"] >= data["until"]:
            raise ValidationError("since must come before until.", "until")


class AccessLogEntrySchema(Schema):
    access_id = fields.Integer()
    at = fields.DateTime()
    key_name = fields.String(metadata={"description": "Who: the name of the key used"})
    method = fields.String()
    endpoint = fields.String(metadata={"description": "The route, e.g. /customer/<global_id>"})
    status = fields.Integer()
    customer_ids = fields.List(fields.UUID(), metadata={"description": "The customers served"})
    remote_addr = fields.String(allow_none=True, metadata={"description": "From where"})
