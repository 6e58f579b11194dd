from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from app.account.schemas import AccountSchema
from app.config import SOURCE_SYSTEMS
from app.identity import normalize
from app.inputs import text
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


class SourceKey(fields.String):
    """A source's own key as given, trimmed: blank, or holding NUL (which no key holds and
    PostgreSQL text cannot), it is refused, as the document's pattern says."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(min=1, max=MAX_QUERY_VALUE), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text or "\x00" in text:
            raise ValidationError("Not a usable source customer ID (blank or holding NUL).")
        return text


def _identifier(pattern: str, error: str, **metadata: Any) -> fields.String:
    """A searched identifier: its length, and its shape as a pattern."""
    return text(
        min_length=1, max_length=MAX_QUERY_VALUE, pattern=pattern, error=error, metadata=metadata
    )


class SearchSchema(Schema):
    """A look-up by a personal identifier: in a JSON body, never in a URL (proxies and access
    logs keep URLs). The document gives each identifier's shape; one of that shape that can
    identify nobody (a placeholder, a number no plan holds) finds nobody: `identifying`."""

    national_id = _identifier(
        r"^[ A-Za-z0-9.:#/-]*[A-Za-z0-9][ A-Za-z0-9.:#/-]*$",
        "Not a national ID or passport number: letters, digits and . : # / - only.",
        example="ID12345678",
    )
    phone = _identifier(
        r"^[ 0-9+().-]*[0-9][ 0-9+().-]*$",
        "Not a phone number: digits, spaces and + ( ) . - only.",
        example="0712 345 678",
    )
    email = _identifier(
        r"^ *[^@ ]+@[^@ ]+\.[^@ ]+ *$", "Not an email address.", example="amina@wekeza.co.ke"
    )

    @validates_schema
    def exactly_one_identifier(self, data: dict[str, Any], **kwargs: Any) -> None:
        if len([name for name in IDENTIFIERS if name in data]) != 1:
            raise ValidationError("Give exactly one of national_id, phone, email.")


# each identifier searched for: normalized as the matcher normalizes it, and what it is called
_IDENTIFYING: dict[str, tuple[Callable[[str], str | None], str]] = {
    "national_id": (_national_id_number, "national ID or passport number"),
    "phone": (normalize.phone, "phone number"),
    "email": (normalize.email, "email address"),
}


class Unidentifying(Exception):
    """A searched value that can identify nobody: empty, a placeholder or invalid."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"No customer is found by this {what}: it is not a usable one (empty, a placeholder "
            "or invalid), so it identifies nobody."
        )


def identifying(criteria: dict[str, str]) -> dict[str, str]:
    """The search's identifier as the matcher normalizes it; Unidentifying where it cannot
    identify anyone (the message names the kind of identifier, never the value)."""
    result = {}
    for name, value in criteria.items():
        normalizer, what = _IDENTIFYING[name]
        # PostgreSQL text cannot hold NUL, and no identifier does
        normalized = None if "\x00" in value else normalizer(value)
        if normalized is None:
            raise Unidentifying(what)
        result[name] = normalized
    return result


def search_document(generated: dict[str, Any]) -> dict[str, Any]:
    """Search in the OpenAPI document: exactly one identifier (`exactly_one_identifier`)."""
    return {**generated, "minProperties": 1, "maxProperties": 1}


class SourceKeyArgsSchema(Schema):
    """A look-up by a source's own key, which is not personal data, so it may stay a GET."""

    source_system = fields.String(required=True, validate=validate.OneOf(SOURCE_SYSTEMS))
    source_customer_id = SourceKey(
        required=True,
        metadata={
            "description": "The source's own primary key",
            # something besides white space, which is stripped (Python's white space includes
            # the separators \x1c-\x1f and \x85, which a JSON Schema's \s does not), and no NUL
            "pattern": r"^[^\x00]*[^\s\x00\x1c-\x1f\x85][^\x00]*$",
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
