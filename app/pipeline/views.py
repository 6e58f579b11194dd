from typing import Any

from app import db
from app.access.auth import SecuredBlueprint
from app.access.keys import ADMIN
from app.pipeline.quarantine import list_quarantine
from app.pipeline.schemas import QuarantineArgsSchema, QuarantineSchema

blp = SecuredBlueprint("admin", __name__, scope=ADMIN, description="Pipeline administration")


@blp.route("/admin/quarantine")
@blp.arguments(QuarantineArgsSchema(), location="query")
@blp.response(200, QuarantineSchema(many=True))
def get_quarantine(args: dict[str, Any]) -> list[dict[str, Any]]:
    """Open quarantine entries, newest first: what was set aside, why, and the raw row"""
    with db.connect() as conn:
        return list_quarantine(conn, args.get("source_system"), args.get("level"), args["limit"])
