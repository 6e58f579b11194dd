from marshmallow import Schema, fields


class RiskProfileSchema(Schema):
    fraud_score = fields.Float(metadata={"description": "0 (no signal) to 1"})
    risk_level = fields.String(metadata={"description": "LOW, MEDIUM, HIGH or CRITICAL"})
    reasons = fields.List(fields.Raw(), metadata={"description": "What drove the score"})
    last_updated = fields.DateTime()


class FraudCaseSchema(Schema):
    source_system = fields.String()
    source_case_id = fields.String()
    transaction_reference = fields.String(allow_none=True)
    amount = fields.Decimal(as_string=True, allow_none=True)
    currency = fields.String(allow_none=True)
    merchant_name = fields.String(allow_none=True)
    transaction_type = fields.String(allow_none=True)
    risk_score = fields.Float()
    risk_level = fields.String()
    status = fields.String()
    flagged_reason = fields.String(allow_none=True)
    opened_at = fields.DateTime()


class CustomerRiskSchema(Schema):
    global_customer_id = fields.UUID()
    profile = fields.Nested(
        RiskProfileSchema,
        allow_none=True,
        metadata={"description": "null until the risk task has scored the customer"},
    )
    fraud_cases = fields.List(fields.Nested(FraudCaseSchema))
