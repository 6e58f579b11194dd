"""The matching rule as a pure function: priority, conflicts, ambiguity, in-batch links."""

import uuid
from datetime import UTC, datetime

from app.identity.matcher import Identity, decide
from connectors.records import CustomerRecord

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def person(source, key, national_id=None, phone=None, email=None):
    return Identity.of(
        CustomerRecord(
            source_system=source,
            source_customer_id=key,
            full_name="X",
            national_id=national_id,
            phone=phone,
            email=email,
            date_of_birth=None,
            is_active=True,
            created_at=NOW,
            updated_at=NOW,
        )
    )


def test_national_id_first_across_formats():
    core = person("core", "c1", national_id="ID12345678", phone="0711111112")
    dfs = person("dfs", "d1", national_id="12 345 678", phone="0722222223")
    first, second = decide([core, dfs], [])
    assert first.decision == "new"
    assert second.decision == "matched" and second.identifier == "national_id"
    assert second.global_customer_id == first.global_customer_id


def test_phone_then_email():
    gid = uuid.uuid4()
    stored = person("core", "c1", national_id="12345678", phone="+254712345678", email="a@b.co")
    by_phone = person("channel", "u1", phone="254712345678")
    by_email = person("dfs", "d1", email=" A@B.CO ")
    decisions = decide([by_phone, by_email], [(gid, stored)])
    assert [(d.identifier, d.global_customer_id) for d in decisions] == [
        ("phone", gid),
        ("email", gid),
    ]


def test_different_national_ids_never_merge_on_shared_phone():
    gid = uuid.uuid4()
    parent = person("core", "c1", national_id="12345678", phone="0712345678")
    child = person("core", "c2", national_id="87654321", phone="0712345678")
    (decision,) = decide([child], [(gid, parent)])
    assert decision.decision == "new"
    assert decision.global_customer_id != gid
    assert any("another national ID" in r for r in decision.refusals)


def test_phone_shared_by_two_people_matches_nobody():
    a, b = uuid.uuid4(), uuid.uuid4()
    stored = [
        (a, person("core", "c1", national_id="12345678", phone="0712345678")),
        (b, person("core", "c2", national_id="87654321", phone="0712345678")),
    ]
    (decision,) = decide([person("channel", "u1", phone="254712345678")], stored)
    assert decision.decision == "new"
    assert decision.global_customer_id not in (a, b)
    assert any("ambiguous" in r for r in decision.refusals)


def test_placeholders_never_match():
    first, second = decide(
        [
            person("core", "c1", national_id="00000000", phone="0700000000", email="na@na.com"),
            person("dfs", "d1", national_id="00000000", phone="0700000000", email="na@na.com"),
        ],
        [],
    )
    assert first.global_customer_id != second.global_customer_id


def test_linked_record_keeps_its_id():
    gid = uuid.uuid4()
    (decision,) = decide(
        [person("core", "c1", national_id="11223344")], [(gid, person("core", "c1"))]
    )
    assert decision.decision == "existing" and decision.global_customer_id == gid


def test_passport_never_meets_national_id():
    first, second = decide(
        [person("core", "c1", national_id="A1234567"), person("dfs", "d1", national_id="1234567")],
        [],
    )
    assert first.global_customer_id != second.global_customer_id
