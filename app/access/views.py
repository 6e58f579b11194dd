from typing import Any

from app import db
from app.access.audit import list_access
from app.access.auth import SecuredBlueprint
from app.access.keys import ADMIN
from app.access.schemas import AccessLogArgsSchema, AccessLogEntrySchema

blp = SecuredBlueprint("access", __name__, scope=ADMIN, description="Who read whose data")


@blp.route("/admin/access-log")
@blp.arguments(AccessLogArgsSchema(), location="query")
@blp.response(200, AccessLogEntrySchema(many=True))
def get_access_log(args: dict[str, Any]) -> list[dict[str, Any]]:
    """The access log, newest first: who (key name) read which customers, through which
    endpoint, when and from where"""
    with db.connect() as conn:
        return list_access(
            conn,
            customer=args.get("customer"),
            key_name=args.get("key"),
            since=args.get("since"),
            until=args.get("until"),
            limit=args["limit"],
        )
