"""The customer-facing reads: the unified profile of one customer, its export, and look-ups by
a personal identifier (POST, kept out of URLs) or by a source's own key."""

from typing import Any
from uuid import UUID

from flask import Response, current_app
from flask_smorest import abort

from app import db
from app.access.auth import SecuredBlueprint, current_principal, serving
from app.access.keys import READ, SECURITY
from app.customer.service import find_customers
from app.profile.export import export_customer
from app.profile.schemas import (
    ExportSchema,
    LookupResultSchema,
    ProfileSchema,
    SearchSchema,
    SourceKeyArgsSchema,
    Unidentifying,
    identifying,
)
from app.profile.service import get_profile

blp = SecuredBlueprint("customers", __name__, scope=READ, description="Unified customer profiles")


@blp.route("/customer/<uuid:global_id>")
@blp.response(200, ProfileSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(308, response="PERMANENT_REDIRECT")
def get_customer(global_id: UUID) -> Response:
    """The unified profile of one customer

    A merged-away ID answers 308 with the survivor's URL in `Location`.
    """
    with db.read() as conn:
        profile = get_profile(conn, global_id, reveal_duress=current_principal().may(SECURITY))
    serving([global_id])
    # ProfileSchema's JSON as PostgreSQL built it (app/served.py), sent as it came
    return current_app.response_class(profile, mimetype="application/json")


@blp.route("/customer/<uuid:global_id>/export")
@blp.response(200, ExportSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(308, response="PERMANENT_REDIRECT")
def get_customer_export(global_id: UUID) -> dict[str, Any]:
    """Everything held about one customer, as one document (a data subject's access request)

    Golden fields with their sources, the source records, accounts, loans, every transaction,
    logins and devices, risk inputs, identity decisions and merges, the records merged into
    this customer included.
    """
    with db.read() as conn:
        document = export_customer(conn, global_id, reveal_duress=current_principal().may(SECURITY))
    serving([global_id])
    return document


@blp.route("/customers/search", methods=["POST"])
@blp.arguments(SearchSchema())
@blp.response(200, LookupResultSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
def search_customers(criteria: dict[str, str]) -> list[dict[str, Any]]:
    """Find customers by a national ID, phone or email, normalized as the matcher does it

    The identifier travels in the JSON body, never in a URL. One that can identify nobody
    (a placeholder such as `noemail@...` or `0700000000`, or not a number or address at all)
    answers 404 saying so; one that could but is held by nobody, an empty list.
    """
    try:
        usable = identifying(criteria)
    except Unidentifying as nobody:
        abort(404, message=str(nobody))
    with db.read() as conn:
        found = find_customers(conn, usable)
    serving(row["global_customer_id"] for row in found)
    return found


@blp.route("/customers")
@blp.arguments(SourceKeyArgsSchema(), location="query")
@blp.response(200, LookupResultSchema(many=True))
def lookup_customers(criteria: dict[str, str]) -> list[dict[str, Any]]:
    """Find the customer holding a source's own record (`source_system`, `source_customer_id`)"""
    with db.read() as conn:
        found = find_customers(conn, criteria)
    serving(row["global_customer_id"] for row in found)
    return found
