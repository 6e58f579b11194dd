from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask_smorest import abort

from app import db
from app.access.auth import SecuredBlueprint, current_principal, serving
from app.access.keys import STEWARD
from app.stewardship import queue, service
from app.stewardship.schemas import (
    SUBJECT_FIELD,
    ApprovalSchema,
    ItemProposalSchema,
    ProposalArgsSchema,
    ProposalCreateSchema,
    ProposalSchema,
    RejectionSchema,
    ReviewQueueArgsSchema,
    ReviewQueueSchema,
)

blp = SecuredBlueprint(
    "stewardship", __name__, scope=STEWARD, description="Stewards correcting identity, four eyes"
)


@contextmanager
def _answering_refusals() -> Iterator[None]:
    """A proposal or decision that cannot be made answers with its status and why."""
    try:
        yield
    except service.Refused as error:
        abort(error.status, message=error.message)


@blp.route("/steward/proposals", methods=["POST"])
@blp.arguments(ProposalCreateSchema())
@blp.response(201, ProposalSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def create_proposal(body: dict[str, Any]) -> dict[str, Any]:
    """Propose a merge, an unmerge, or that two records are (not) the same person

    Nothing changes until another steward approves it.
    """
    field = SUBJECT_FIELD[body["action"]]
    subject = {field: body[field]}
    if field == "global_customer_ids":
        subject[field] = [str(gid) for gid in body[field]]
    with _answering_refusals(), db.transaction() as conn:
        proposal = service.propose(
            conn, body["action"], subject, body["reason"], current_principal().name
        )
    serving(proposal["customer_ids"])
    return proposal


@blp.route("/steward/proposals")
@blp.arguments(ProposalArgsSchema(), location="query")
@blp.response(200, ProposalSchema(many=True))
def list_proposals(args: dict[str, Any]) -> list[dict[str, Any]]:
    """Proposals, oldest first (`status=pending`: what waits for a second steward)"""
    with db.connect() as conn:
        proposals = service.list_proposals(conn, args.get("status"), args["limit"])
    serving(gid for proposal in proposals for gid in proposal["customer_ids"])
    return proposals


@blp.route("/steward/proposals/<row_id:proposal_id>")
@blp.response(200, ProposalSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_proposal(proposal_id: int) -> dict[str, Any]:
    """One proposal, with its decision and effect"""
    with _answering_refusals(), db.connect() as conn:
        proposal = service.get_proposal(conn, proposal_id)
    serving(proposal["customer_ids"])
    return proposal


@blp.route("/steward/proposals/<row_id:proposal_id>/approve", methods=["POST"])
@blp.arguments(ApprovalSchema())
@blp.response(200, ProposalSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def approve_proposal(body: dict[str, Any], proposal_id: int) -> dict[str, Any]:
    """Approve and apply another steward's proposal (never one's own)

    Applied under the same locks as the pipeline's batches.
    """
    with _answering_refusals(), db.transaction() as conn:
        proposal = service.approve(conn, proposal_id, current_principal().name, body["note"])
    serving(proposal["customer_ids"])
    return proposal


@blp.route("/steward/proposals/<row_id:proposal_id>/reject", methods=["POST"])
@blp.arguments(RejectionSchema())
@blp.response(200, ProposalSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def reject_proposal(body: dict[str, Any], proposal_id: int) -> dict[str, Any]:
    """Reject another steward's proposal, saying why"""
    with _answering_refusals(), db.transaction() as conn:
        proposal = service.reject(conn, proposal_id, current_principal().name, body["note"])
    serving(proposal["customer_ids"])
    return proposal


@blp.route("/steward/review-queue")
@blp.arguments(ReviewQueueArgsSchema(), location="query")
@blp.response(200, ReviewQueueSchema)
def get_review_queue(args: dict[str, Any]) -> dict[str, Any]:
    """What the matcher left for a person to decide, oldest first, with both sides' evidence

    Filter by `kind` and `source_system`; `total` and `counts` (per kind) count every open
    item, not only those on the page.
    """
    with db.connect() as conn:
        found = queue.review_queue(conn, args.get("kind"), args.get("source_system"), args["limit"])
    serving(gid for item in found["items"] for gid in item["global_customer_ids"] if gid)
    return found


@blp.route("/steward/review-queue/<row_id:item_id>/proposals", methods=["POST"])
@blp.arguments(ItemProposalSchema())
@blp.response(201, ProposalSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def propose_from_item(body: dict[str, Any], item_id: int) -> dict[str, Any]:
    """Propose that an item's two records are the same person, or different people

    Its approval by another steward settles the item.
    """
    with _answering_refusals(), db.transaction() as conn:
        proposal = queue.propose_from_item(
            conn, item_id, body["action"], body["reason"], current_principal().name
        )
    serving(proposal["customer_ids"])
    return proposal
