from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from app.account.schemas import AccountSchema
from app.config import SOURCE_SYSTEMS
from app.identity import normalize
from app.risk.schemas import RiskProfileSchema
from app.transaction.schemas import TransactionSchema

MAX_QUERY_VALUE = 200
IDENTIFIERS = ("national_id", "phone", "email")


class GoldenTextSchema(Schema):
    value = fields.String(allow_none=True)
    source = fields.String(
        allow_none=True, metadata={"description": "The source system it came from"}
    )


class GoldenDateSchema(GoldenTextSchema):
    value = fields.Date(allow_none=True)


class SourceRecordSchema(Schema):
    source_system = fields.String()
    source_customer_id = fields.String()
    full_name = fields.String(allow_none=True)
    national_id = fields.String(allow_none=True, metadata={"description": "Normalized"})
    phone = fields.String(allow_none=True, metadata={"description": "Normalized (E.164)"})
    secondary_phone = fields.String(
        allow_none=True, metadata={"description": "A second number on file, normalized (E.164)"}
    )
    email = fields.String(allow_none=True, metadata={"description": "Normalized"})
    gender = fields.String(
        allow_none=True, metadata={"description": "male, female, or null when not known"}
    )
    is_active = fields.Boolean()
    kyc_status = fields.String(
        allow_none=True,
        metadata={"description": "KYC as this system states it: verified, pending, rejected, ..."},
    )
    match_rule = fields.String(metadata={"description": "How the record was linked"})
    linked_at = fields.DateTime()
    source_updated_at = fields.DateTime(allow_none=True)


class LoginSchema(Schema):
    login_at = fields.DateTime()
    device_id = fields.String(allow_none=True)
    ip_address = fields.String(allow_none=True)
    session_mode = fields.String(allow_none=True)
    source_system = fields.String()


class DeviceSchema(Schema):
    device_id = fields.String()
    first_seen = fields.DateTime()
    last_seen = fields.DateTime()
    logins = fields.Integer()


class ProfileSchema(Schema):
    global_customer_id = fields.UUID()
    full_name = fields.Nested(GoldenTextSchema)
    national_id = fields.Nested(GoldenTextSchema)
    phone = fields.Nested(GoldenTextSchema)
    email = fields.Nested(GoldenTextSchema)
    date_of_birth = fields.Nested(GoldenDateSchema)
    gender = fields.Nested(GoldenTextSchema)
    created_date = fields.DateTime(allow_none=True)
    source_records = fields.List(fields.Nested(SourceRecordSchema))
    accounts = fields.List(fields.Nested(AccountSchema))
    recent_transactions = fields.List(
        fields.Nested(TransactionSchema), metadata={"description": "The newest 10"}
    )
    last_login = fields.Nested(LoginSchema, allow_none=True)
    devices = fields.List(fields.Nested(DeviceSchema))
    risk = fields.Nested(
        RiskProfileSchema,
        allow_none=True,
        metadata={"description": "null until the risk task has scored the customer"},
    )


def _national_id_number(value: str) -> str | None:
    parsed = normalize.national_id(value)
    return parsed[0] if parsed else None


def _plain(value: str) -> str | None:
    return value.strip() or None


class NormalizedString(fields.String):
    """A query value normalized as the matcher normalizes it; one that identifies nobody
    (empty, a placeholder, invalid) is refused rather than silently finding nothing."""

    def __init__(self, normalizer: Callable[[str], str | None], what: str, **kwargs: Any) -> None:
        # what the OpenAPI document says of it (the checks below come first, with their words)
        kwargs.setdefault("validate", validate.Length(min=1, max=MAX_QUERY_VALUE))
        super().__init__(**kwargs)
        self.normalizer = normalizer
        self.what = what

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        # PostgreSQL text cannot hold NUL; bound the work done on junk input
        if len(text) > MAX_QUERY_VALUE or "\x00" in text:
            raise ValidationError(f"Not a valid {self.what}.")
        normalized = self.normalizer(text)
        if normalized is None:
            raise ValidationError(f"Not a usable {self.what} (empty, a placeholder or invalid).")
        return normalized


class SearchSchema(Schema):
    """A look-up by a personal identifier: in a JSON body, never in a URL (proxies and access
    logs keep URLs)."""

    national_id = NormalizedString(
        _national_id_number, "national ID or passport number", metadata={"example": "ID12345678"}
    )
    phone = NormalizedString(normalize.phone, "phone number", metadata={"example": "0712 345 678"})
    email = NormalizedString(normalize.email, "email address")

    @validates_schema
    def exactly_one_identifier(self, data: dict[str, Any], **kwargs: Any) -> None:
        if len([name for name in IDENTIFIERS if name in data]) != 1:
            raise ValidationError("Give exactly one of national_id, phone, email.")


def search_document(generated: dict[str, Any]) -> dict[str, Any]:
    """Search in the OpenAPI document: exactly one identifier (`exactly_one_identifier`)."""
    return {**generated, "minProperties": 1, "maxProperties": 1}


class SourceKeyArgsSchema(Schema):
    """A look-up by a source's own key, which is not personal data, so it may stay a GET."""

    source_system = fields.String(required=True, validate=validate.OneOf(SOURCE_SYSTEMS))
    source_customer_id = NormalizedString(
        _plain,
        "source customer ID",
        required=True,
        metadata={
            "description": "The source's own primary key",
            # something besides white space, which is stripped (Python's white space includes
            # the separators \x1c-\x1f and \x85, which a JSON Schema's \s does not)
            "pattern": r"[^\s\x1c-\x1f\x85]",
        },
    )

    @pre_load
    def no_personal_identifiers(self, data: Any, **kwargs: Any) -> Any:
        named = [name for name in IDENTIFIERS if name in data]
        if named:
            raise ValidationError(
                f"{', '.join(named)} is not taken in a URL, where proxies and logs keep it: "
                "POST it in a JSON body to /customers/search."
            )
        return data


class LookupResultSchema(Schema):
    global_customer_id = fields.UUID()
    full_name = fields.String(allow_none=True)
    matched_on = fields.String(
        metadata={"description": "national_id, phone, email or source_customer_id"}
    )


class ExportSchema(Schema):
    """Every row as stored: times in ISO 8601 with their offset, money as decimal text."""

    global_customer_id = fields.UUID()
    merged_ids = fields.List(fields.UUID(), metadata={"description": "IDs merged into it"})
    golden_record = fields.Dict(metadata={"description": "Golden fields, each with its source"})
    source_records = fields.List(fields.Dict())
    accounts = fields.List(fields.Dict())
    loans = fields.List(fields.Dict())
    transactions = fields.List(fields.Dict(), metadata={"description": "Every one, oldest first"})
    logins = fields.List(fields.Dict())
    devices = fields.List(fields.Dict())
    security_alerts = fields.List(fields.Dict())
    fraud_cases = fields.List(fields.Dict())
    credit_decisions = fields.List(fields.Dict())
    payments = fields.List(fields.Dict())
    aml_alerts = fields.List(fields.Dict())
    risk_profile = fields.Dict(allow_none=True)
    identity_decisions = fields.List(fields.Dict())
    merges = fields.List(fields.Dict())
