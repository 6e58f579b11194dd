from uuid import UUID

from flask_smorest.pagination import PaginationParameters

from app import db
from app.access.auth import SecuredBlueprint, serving
from app.access.keys import READ
from app.customer.service import resolve_customer
from app.transaction.schemas import TransactionSchema
from app.transaction.service import count_transactions, list_transactions

blp = SecuredBlueprint(
    "transactions", __name__, scope=READ, description="A customer's transactions"
)


@blp.route("/customer/<uuid:global_id>/transactions")
@blp.response(200, TransactionSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(308, response="PERMANENT_REDIRECT")
@blp.paginate(page_size=20, max_page_size=100)
def get_transactions(global_id: UUID, pagination_parameters: PaginationParameters) -> list[dict]:
    """The customer's transactions, newest first

    Paginated by `page` and `page_size` (at most 100); totals are in the X-Pagination header.
    """
    with db.read() as conn:
        ids = resolve_customer(conn, global_id)
        serving([global_id])
        total = count_transactions(conn, ids)
        pagination_parameters.item_count = total
        # Past the end there is nothing to read: and a huge page must not reach OFFSET (bigint).
        if pagination_parameters.first_item >= total:
            return []
        return list_transactions(
            conn,
            ids,
            limit=pagination_parameters.page_size,
            offset=pagination_parameters.first_item,
        )
