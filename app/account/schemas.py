from marshmallow import Schema, fields


class AccountSchema(Schema):
    source_system = fields.String()
    source_account_id = fields.String()
    account_number = fields.String(allow_none=True)
    account_type = fields.String(allow_none=True)
    currency = fields.String()
    # money as decimal strings: no float rounding of shillings
    balance = fields.Decimal(as_string=True)
    available_balance = fields.Decimal(as_string=True, allow_none=True)
    status = fields.String()
    is_closed = fields.Boolean()
    closed_at = fields.DateTime(allow_none=True)
    opened_at = fields.DateTime(allow_none=True)
    source_updated_at = fields.DateTime(allow_none=True)
    business_name = fields.String(
        allow_none=True, metadata={"description": "The business that holds it (a business wallet)"}
    )
    holder_role = fields.String(
        metadata={"description": "owner, or director of the business that holds it"}
    )


class LoanSchema(Schema):
    source_system = fields.String()
    source_loan_id = fields.String()
    loan_number = fields.String(allow_none=True)
    source_account_id = fields.String(allow_none=True)
    principal_amount = fields.Decimal(as_string=True)
    outstanding_balance = fields.Decimal(as_string=True, allow_none=True)
    interest_rate = fields.Decimal(as_string=True, allow_none=True)
    term_months = fields.Integer(allow_none=True)
    currency = fields.String()
    status = fields.String()
    disbursed_at = fields.DateTime(allow_none=True)
    maturity_date = fields.DateTime(allow_none=True)
    source_created_at = fields.DateTime(allow_none=True)
    source_updated_at = fields.DateTime(allow_none=True)
    business_name = fields.String(
        allow_none=True,
        metadata={"description": "The business it was taken for (booked on its director)"},
    )
