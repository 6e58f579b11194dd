from uuid import UUID

from app import db
from app.access.auth import SecuredBlueprint, serving
from app.access.keys import READ
from app.account.schemas import AccountSchema, LoanSchema
from app.account.service import list_accounts, list_loans
from app.customer.service import resolve_customer

blp = SecuredBlueprint("accounts", __name__, scope=READ, description="A customer's accounts")


@blp.route("/customer/<uuid:global_id>/accounts")
@blp.response(200, AccountSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(308, response="PERMANENT_REDIRECT")
def get_accounts(global_id: UUID) -> list[dict]:
    """Every account of the customer, across source systems"""
    with db.read() as conn:
        accounts = list_accounts(conn, resolve_customer(conn, global_id))
    serving([global_id])
    return accounts


@blp.route("/customer/<uuid:global_id>/loans")
@blp.response(200, LoanSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(308, response="PERMANENT_REDIRECT")
def get_loans(global_id: UUID) -> list[dict]:
    """Every loan of the customer, from core banking and the digital lending platform"""
    with db.read() as conn:
        loans = list_loans(conn, resolve_customer(conn, global_id))
    serving([global_id])
    return loans
