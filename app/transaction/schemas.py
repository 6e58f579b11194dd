from marshmallow import Schema, fields


class TransactionSchema(Schema):
    source_system = fields.String()
    source_transaction_id = fields.String()
    reference = fields.String(allow_none=True)
    account = fields.String(attribute="source_account_id", allow_none=True)
    amount = fields.Decimal(as_string=True)
    currency = fields.String()
    type = fields.String(
        metadata={
            "description": "CREDIT or DEBIT; NONE for a request that moves no money; UNKNOWN for a"
            " source type no rule knows yet (source_type keeps it)"
        }
    )
    source_type = fields.String(
        allow_none=True, metadata={"description": "The source's own type, as written"}
    )
    channel = fields.String()
    status = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    occurred_at = fields.DateTime()
