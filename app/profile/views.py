"""The customer-facing reads: the unified profile of one customer, and lookup by identifier."""

from typing import Any
from uuid import UUID

from app import db
from app.auth import SecuredBlueprint
from app.customer.service import find_customers
from app.profile.schemas import LookupArgsSchema, LookupResultSchema, ProfileSchema
from app.profile.service import get_profile

blp = SecuredBlueprint("customers", __name__, description="Unified customer profiles")


@blp.route("/customer/<uuid:global_id>")
@blp.response(200, ProfileSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(308, response="PERMANENT_REDIRECT")
def get_customer(global_id: UUID) -> dict[str, Any]:
    """The unified profile of one customer

    A merged-away ID answers 308 with the survivor's URL in `Location`.
    """
    with db.connect() as conn:
        return get_profile(conn, global_id)


@blp.route("/customers")
@blp.arguments(LookupArgsSchema, location="query")
@blp.response(200, LookupResultSchema(many=True))
def lookup_customers(criteria: dict[str, str]) -> list[dict[str, Any]]:
    """Find customers by one identifier, normalized as the matcher does it"""
    with db.connect() as conn:
        return find_customers(conn, criteria)
