from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.config import SOURCE_SYSTEMS
from app.db import BIGINT_MAX
from app.identity.clustering import REVIEW_KINDS
from app.inputs import text
from app.stewardship.service import (
    ACTIONS,
    DIFFERENT_PEOPLE,
    MERGE,
    SAME_PERSON,
    UNMERGE_MERGE,
    UNMERGE_RECORD,
)


class RecordKeySchema(Schema):
    source_system = fields.String(required=True, validate=validate.OneOf(SOURCE_SYSTEMS))
    source_customer_id = text(min_length=1, max_length=64, required=True)


# what each action acts on
SUBJECT_FIELD = {
    MERGE: "global_customer_ids",
    UNMERGE_RECORD: "record",
    UNMERGE_MERGE: "merge_id",
    SAME_PERSON: "records",
    DIFFERENT_PEOPLE: "records",
}


class ProposalCreateSchema(Schema):
    action = fields.String(
        required=True,
        validate=validate.OneOf(ACTIONS),
        metadata={
            "description": "merge (two profiles), unmerge_record (split one source record out "
            "of its profile), unmerge_merge (split out everything a merge brought), "
            "same_person or different_people (two source records)"
        },
    )
    reason = text(min_length=3, max_length=2000, required=True)
    global_customer_ids = fields.List(
        fields.UUID(), validate=validate.Length(equal=2), metadata={"description": "merge"}
    )
    record = fields.Nested(RecordKeySchema, metadata={"description": "unmerge_record"})
    merge_id = fields.Integer(
        validate=validate.Range(min=1, max=BIGINT_MAX), metadata={"description": "unmerge_merge"}
    )
    records = fields.List(
        fields.Nested(RecordKeySchema),
        validate=validate.Length(equal=2),
        metadata={"description": "same_person, different_people"},
    )

    @validates_schema
    def subject_of_its_action(self, data: dict[str, Any], **kwargs: Any) -> None:
        needed = SUBJECT_FIELD.get(data.get("action", ""))
        if needed is None:
            return
        if needed not in data:
            raise ValidationError(f"Required for {data['action']}.", needed)
        extra = [f for f in set(SUBJECT_FIELD.values()) - {needed} if f in data]
        if extra:
            raise ValidationError(f"Not taken by {data['action']}.", extra[0])


def proposal_document(generated: dict[str, Any]) -> dict[str, Any]:
    """ProposalCreate in the OpenAPI document as what it accepts: one object per action, with
    the action's own subject and nothing else (`subject_of_its_action`)."""
    properties = generated["properties"]
    return {
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "action": {**properties["action"], "enum": [action]},
                    "reason": properties["reason"],
                    subject: properties[subject],
                },
                "required": ["action", "reason", subject],
                "additionalProperties": False,
            }
            for action, subject in SUBJECT_FIELD.items()
        ]
    }


class ApprovalSchema(Schema):
    note = text(max_length=2000, load_default=None)


class RejectionSchema(Schema):
    note = text(min_length=3, max_length=2000, required=True)


class ProposalArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(["pending", "approved", "rejected"]))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ProposalSchema(Schema):
    proposal_id = fields.Integer()
    action = fields.String()
    subject = fields.Dict()
    reason = fields.String()
    proposed_by = fields.String(metadata={"description": "The key name of the proposer"})
    proposed_at = fields.DateTime()
    status = fields.String(metadata={"description": "pending, approved or rejected"})
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
    effect = fields.Dict(
        allow_none=True,
        metadata={"description": "What the approval changed: merged IDs, moved records"},
    )
    customer_ids = fields.List(fields.UUID())


class ReviewQueueArgsSchema(Schema):
    kind = fields.String(validate=validate.OneOf(REVIEW_KINDS))
    source_system = fields.String(validate=validate.OneOf(SOURCE_SYSTEMS))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ReviewItemSchema(Schema):
    item_id = fields.Integer()
    kind = fields.String(
        metadata={
            "description": "national_id_typo (IDs one edit apart), shared_line (a phone or "
            "email several people hold), contradiction (an identifier matches, names or birth "
            "dates do not), on_the_line (a name one letter off on a phone), reversed_names (a "
            "name that writes the holder's Kikuyu names in reverse order on a phone: a possible "
            "son), risk_gate (a merge with a profile under an open fraud case, on a phone or "
            "email alone)"
        }
    )
    identifier = fields.String(allow_none=True)
    reason = fields.String(metadata={"description": "The rule that held the link back"})
    evidence = fields.Dict(
        metadata={
            "description": "side_a, side_b: each side's records, side by side; names: how the "
            "first record of side b reads against the first of side a, token by token, and in "
            "which order (a transliteration, a nickname, a possible son)"
        }
    )
    global_customer_ids = fields.List(fields.UUID())
    records = fields.List(fields.Nested(RecordKeySchema))
    detected_at = fields.DateTime()
    last_seen_at = fields.DateTime()


class ReviewQueueSchema(Schema):
    total = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    items = fields.List(fields.Nested(ReviewItemSchema), metadata={"description": "Oldest first"})


class ItemProposalSchema(Schema):
    action = fields.String(
        required=True,
        validate=validate.OneOf([SAME_PERSON, DIFFERENT_PEOPLE, MERGE]),
        metadata={
            "description": "same_person or different_people about the item's two records, or"
            " merge of the two profiles they are in"
        },
    )
    reason = text(min_length=3, max_length=2000, required=True)
