from typing import Any
from uuid import UUID

from app import db
from app.access.auth import SecuredBlueprint, serving
from app.access.keys import READ, STEWARD
from app.customer.service import resolve_customer
from app.identity.schemas import (
    IdentityHistorySchema,
    SuspectedDuplicateArgsSchema,
    SuspectedDuplicateSchema,
)
from app.identity.service import identity_history, list_suspected_duplicates

blp = SecuredBlueprint(
    "identity", __name__, scope=READ, description="Identity resolution, for review"
)


@blp.route("/identity/suspected-duplicates", scope=STEWARD)
@blp.arguments(SuspectedDuplicateArgsSchema(), location="query")
@blp.response(200, SuspectedDuplicateSchema(many=True))
def get_suspected_duplicates(args: dict[str, Any]) -> list[dict[str, Any]]:
    """National IDs one edit apart that were not merged: possible typos, for a person to review"""
    with db.read() as conn:
        suspects = list_suspected_duplicates(conn, args["status"], args["limit"])
    serving(
        gid
        for row in suspects
        for gid in (row["global_customer_id_a"], row["global_customer_id_b"])
        if gid is not None
    )
    return suspects


@blp.route("/customer/<uuid:global_id>/identity")
@blp.response(200, IdentityHistorySchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(308, response="PERMANENT_REDIRECT")
def get_identity_history(global_id: UUID) -> dict[str, Any]:
    """How this profile came to be: its merges and the decisions on its source records"""
    with db.read() as conn:
        history = identity_history(conn, resolve_customer(conn, global_id))
    serving([global_id])
    return history
