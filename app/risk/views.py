from uuid import UUID

from app import db
from app.access.auth import SecuredBlueprint, current_principal, serving
from app.access.keys import READ, SECURITY
from app.customer.service import resolve_customer
from app.risk.schemas import CustomerRiskSchema
from app.risk.service import get_risk_profile, list_fraud_cases

blp = SecuredBlueprint("risk", __name__, scope=READ, description="A customer's risk profile")


@blp.route("/customer/<uuid:global_id>/risk")
@blp.response(200, CustomerRiskSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(308, response="PERMANENT_REDIRECT")
def get_risk(global_id: UUID) -> dict:
    """The customer's risk profile and the fraud cases behind it"""
    with db.read() as conn:
        ids = resolve_customer(conn, global_id)
        reveal = current_principal().may(SECURITY)
        risk = {
            "global_customer_id": global_id,
            "profile": get_risk_profile(conn, global_id, reveal_duress=reveal),
            "fraud_cases": list_fraud_cases(conn, ids),
        }
    serving([global_id])
    return risk
