from marshmallow import Schema, fields, validate


class SuspectedDuplicateArgsSchema(Schema):
    status = fields.String(
        load_default="open", validate=validate.OneOf(["open", "confirmed", "rejected"])
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class SuspectedDuplicateSchema(Schema):
    national_id_a = fields.String()
    national_id_b = fields.String()
    global_customer_id_a = fields.UUID(allow_none=True)
    global_customer_id_b = fields.UUID(allow_none=True)
    reason = fields.String()
    evidence = fields.Dict(
        metadata={
            "description": "checks: date_of_birth, names, gender, each equal, differs or "
            "unknown; records_a / records_b: the records holding each ID"
        }
    )
    status = fields.String()
    detected_at = fields.DateTime()


class MergeSchema(Schema):
    merge_id = fields.Integer(metadata={"description": "What an unmerge_merge proposal names"})
    kind = fields.String(
        metadata={"description": "merge, or unmerge (merged_id split out of survivor_id)"}
    )
    survivor_id = fields.UUID()
    merged_id = fields.UUID()
    identifier = fields.String(metadata={"description": "What linked them; steward for people"})
    rule = fields.String()
    source_system = fields.String(
        allow_none=True, metadata={"description": "The record whose identifier caused it"}
    )
    source_customer_id = fields.String(allow_none=True)
    merged_at = fields.DateTime()
    actor = fields.String(
        allow_none=True, metadata={"description": "The approving steward; null: automatic"}
    )
    proposal_id = fields.Integer(allow_none=True)
    records = fields.List(
        fields.List(fields.String()),
        allow_none=True,
        metadata={"description": "The records the merged-away ID held: [source, id] each"},
    )


WHY_DESCRIPTION = (
    "Why the link was made: rule (national_id, phone, email, phone_and_name, ..., steward), "
    "with (the record it was linked with: [source, id]) and names (how this record's name "
    "reads against that record's, token by token, and in which order); null when it was not "
    "linked to another record"
)


class LinkSchema(Schema):
    source_system = fields.String()
    source_customer_id = fields.String()
    full_name = fields.String(allow_none=True)
    match_rule = fields.String(metadata={"description": "How the record was linked"})
    why = fields.Dict(allow_none=True, metadata={"description": WHY_DESCRIPTION})
    linked_at = fields.DateTime()


class DecisionSchema(Schema):
    source_system = fields.String()
    source_customer_id = fields.String()
    global_customer_id = fields.UUID(allow_none=True)
    decision = fields.String()
    identifier = fields.String(allow_none=True)
    reason = fields.String()
    why = fields.Dict(allow_none=True, metadata={"description": WHY_DESCRIPTION})
    decided_at = fields.DateTime()


class IdentityHistorySchema(Schema):
    global_customer_id = fields.UUID()
    merges = fields.List(fields.Nested(MergeSchema))
    links = fields.List(
        fields.Nested(LinkSchema),
        metadata={"description": "The profile's source records, each with why it is linked"},
    )
    decisions = fields.List(fields.Nested(DecisionSchema))
