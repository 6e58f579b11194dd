"""Steward actions through the API over profiles made by the real matcher: four eyes, merge and
unmerge moving every fact, decisions that later records and replays cannot undo."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.customer.models import customer_360, merge_history
from app.identity.matcher import link_customers
from app.identity.models import match_decision
from app.pipeline.facts import FACTS, repoint_owners, upsert_facts
from connectors.records import AccountRecord, CustomerRecord
from tests.conftest import gid_of

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def person(source, key, national_id=None, phone=None, email=None, name="Achieng Otieno", at=NOW):
    return CustomerRecord(
        source, key, name, national_id, phone, email, None, True, at, at, business_key=None
    )


def account(source, key, owner, balance):
    return AccountRecord(
        source, key, owner, key, "Savings", "KES", Decimal(balance), None, "ACTIVE", False, None,
        None, NOW,
    )  # fmt: skip


def link(conn, *records):
    resolution = link_customers(conn, list(records))
    repoint_owners(conn, list(resolution.moved), resolution.business_keys)
    return resolution


def owner_of_account(conn, key):
    return conn.execute(
        select(FACTS["account"].table.c.global_customer_id).where(
            FACTS["account"].table.c.source_account_id == key
        )
    ).scalar_one()


@pytest.fixture
def stewards(headers_for):
    return headers_for("steward", name="steward-amina"), headers_for(
        "steward", name="steward-brian"
    )


@pytest.fixture
def merged_by_phone(conn):
    """core:1 (ID and phone) and dfs:9 (the same phone, no ID) made one profile by the phone;
    each with an account."""
    link(conn, person("core", "1", "12345678", "0711000001"))
    link(conn, person("dfs", "9", phone="0711000001"))
    upsert_facts(conn, FACTS["account"], [account("core", "A-core", "1", "100.00")])
    upsert_facts(conn, FACTS["account"], [account("dfs", "A-dfs", "9", "50.00")])
    assert gid_of(conn, "core", "1") == gid_of(conn, "dfs", "9")
    return gid_of(conn, "core", "1")


def propose(client, headers, **body):
    return client.post(
        "/steward/proposals", json={"reason": "seen at the branch", **body}, headers=headers
    )


def test_an_unmerge_needs_a_second_steward_and_moves_every_fact_back(
    client, conn, stewards, merged_by_phone
):
    amina, brian = stewards
    dfs = {"source_system": "dfs", "source_customer_id": "9"}

    proposal = propose(client, amina, action="unmerge_record", record=dfs)
    assert proposal.status_code == 201
    proposal_id = proposal.get_json()["proposal_id"]
    # proposed, nothing changed; and its proposer cannot approve it
    assert gid_of(conn, "dfs", "9") == merged_by_phone
    own = client.post(f"/steward/proposals/{proposal_id}/approve", json={}, headers=amina)
    assert own.status_code == 403
    assert "another steward must decide it" in own.get_json()["message"]
    assert gid_of(conn, "dfs", "9") == merged_by_phone

    approved = client.post(
        f"/steward/proposals/{proposal_id}/approve", json={"note": "checked"}, headers=brian
    )

    assert approved.status_code == 200, approved.get_json()
    body = approved.get_json()
    assert (body["status"], body["decided_by"], body["decision_note"]) == (
        "approved",
        "steward-brian",
        "checked",
    )
    split = gid_of(conn, "dfs", "9")
    assert split != merged_by_phone and gid_of(conn, "core", "1") == merged_by_phone
    assert body["effect"]["moved"] == {"dfs:9": str(split)}
    assert owner_of_account(conn, "A-dfs") == split
    assert owner_of_account(conn, "A-core") == merged_by_phone
    event = conn.execute(select(merge_history).where(merge_history.c.kind == "unmerge")).one()
    assert (event.survivor_id, event.merged_id, event.actor, event.proposal_id) == (
        merged_by_phone,
        split,
        "steward-brian",
        proposal_id,
    )
    decision = conn.execute(
        select(match_decision.c.reason)
        .where(match_decision.c.source_system == "dfs")
        .order_by(match_decision.c.decision_id.desc())
    ).first()
    assert f"proposal {proposal_id}, approved by steward-brian" in decision.reason
    # a second decision on the same proposal is refused
    again = client.post(f"/steward/proposals/{proposal_id}/approve", json={}, headers=brian)
    assert again.status_code == 409

    # the record read again (a replay, a look-back) and a new record holding both their
    # identifiers do not merge them again
    link(conn, person("dfs", "9", phone="0711000001", at=NOW.replace(hour=1)))
    link(conn, person("channel", "u1", "12345678", "0711000001"))
    assert gid_of(conn, "dfs", "9") == split
    assert gid_of(conn, "core", "1") == gid_of(conn, "channel", "u1") == merged_by_phone


def test_a_merge_by_stewards_is_in_the_history_and_redirects(client, conn, stewards):
    amina, brian = stewards
    link(conn, person("core", "1", "12345678", name="Achieng Otieno"))
    link(conn, person("dfs", "9", email="achieng@mail.co.ke", name="Achieng Otieno"))
    upsert_facts(conn, FACTS["account"], [account("dfs", "A-dfs", "9", "50.00")])
    a, b = gid_of(conn, "core", "1"), gid_of(conn, "dfs", "9")
    assert a != b

    proposal_id = propose(
        client, amina, action="merge", global_customer_ids=[str(a), str(b)]
    ).get_json()["proposal_id"]
    approved = client.post(f"/steward/proposals/{proposal_id}/approve", json={}, headers=brian)

    assert approved.status_code == 200, approved.get_json()
    survivor = gid_of(conn, "core", "1")
    assert gid_of(conn, "dfs", "9") == survivor
    merged = ({a, b} - {survivor}).pop()
    assert owner_of_account(conn, "A-dfs") == survivor
    event = conn.execute(select(merge_history).where(merge_history.c.merged_id == merged)).one()
    assert (event.kind, event.identifier, event.actor, event.proposal_id) == (
        "merge",
        "steward",
        "steward-brian",
        proposal_id,
    )
    assert f"proposal {proposal_id}" in event.rule
    assert (
        conn.execute(
            select(customer_360.c.merged_into).where(customer_360.c.global_customer_id == merged)
        ).scalar_one()
        == survivor
    )  # its ID answers 308 to the survivor, as after any merge


def test_different_people_stay_apart_whatever_arrives_later(client, conn, stewards):
    amina, brian = stewards
    link(conn, person("core", "1", "12345678", "0711000001"))
    link(conn, person("core", "2", "87654321", email="wanjiru@mail.co.ke", name="Wanjiru Kamau"))
    records = [
        {"source_system": "core", "source_customer_id": "1"},
        {"source_system": "core", "source_customer_id": "2"},
    ]
    proposal_id = propose(client, amina, action="different_people", records=records).get_json()[
        "proposal_id"
    ]
    assert (
        client.post(f"/steward/proposals/{proposal_id}/approve", json={}, headers=brian).status_code
        == 200
    )

    # a record holding one's national ID and the other's email would join them
    link(conn, person("dfs", "5", "12345678", email="wanjiru@mail.co.ke"))

    assert gid_of(conn, "core", "1") != gid_of(conn, "core", "2")


def test_a_merge_undone_restores_the_merged_away_id(client, conn, stewards):
    amina, brian = stewards
    link(conn, person("core", "1", "12345678"))
    link(conn, person("dfs", "9", email="achieng@mail.co.ke"))
    upsert_facts(conn, FACTS["account"], [account("dfs", "A-dfs", "9", "50.00")])
    original = gid_of(conn, "dfs", "9")
    # a record with both identifiers merges them automatically
    link(conn, person("channel", "u1", "12345678", email="achieng@mail.co.ke"))
    survivor = gid_of(conn, "core", "1")
    assert gid_of(conn, "dfs", "9") == survivor != original
    merge = conn.execute(select(merge_history).where(merge_history.c.merged_id == original)).one()
    assert (merge.source_system, merge.source_customer_id, merge.identifier) == (
        "channel",
        "u1",
        "email",
    )  # the merge names the record and identifier that caused it

    proposal_id = propose(
        client, amina, action="unmerge_merge", merge_id=merge.merge_id
    ).get_json()["proposal_id"]
    approved = client.post(f"/steward/proposals/{proposal_id}/approve", json={}, headers=brian)

    assert approved.status_code == 200, approved.get_json()
    assert gid_of(conn, "dfs", "9") == original
    assert owner_of_account(conn, "A-dfs") == original
    restored = conn.execute(
        select(customer_360.c.status, customer_360.c.merged_into).where(
            customer_360.c.global_customer_id == original
        )
    ).one()
    assert tuple(restored) == ("active", None)
    assert gid_of(conn, "core", "1") == survivor


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"action": "merge"}, 422, "global_customer_ids"),
        ({"action": "merge", "global_customer_ids": ["not-a-uuid", "x"]}, 422, "Invalid"),
        ({"action": "explode", "record": {}}, 422, "action"),
        (
            {
                "action": "unmerge_record",
                "record": {"source_system": "core", "source_customer_id": "404"},
            },
            404,
            "no source record core:404",
        ),
        ({"action": "unmerge_merge", "merge_id": 999999}, 404, "no merge 999999"),
        # text PostgreSQL cannot hold is refused as the document's pattern says, never a 500
        (
            {
                "action": "unmerge_record",
                "record": {"source_system": "core", "source_customer_id": "1\x002"},
            },
            422,
            "NUL",
        ),
        ({"action": "unmerge_merge", "merge_id": 1, "reason": "a\x00b c"}, 422, "NUL"),
    ],
)
def test_bad_proposals_are_refused_clearly(client, stewards, body, status, message):
    response = propose(client, stewards[0], **body)

    assert response.status_code == status
    assert message in str(response.get_json())


def test_a_read_key_cannot_propose_or_approve(client, auth_headers):
    assert propose(client, auth_headers, action="merge").status_code == 403
    assert (
        client.post("/steward/proposals/1/approve", json={}, headers=auth_headers).status_code
        == 403
    )


def queue(client, headers, **params):
    response = client.get("/steward/review-queue", query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_review_queue_shows_what_was_held_back_and_settles_on_approval(client, conn, stewards):
    amina, brian = stewards
    link(conn, person("core", "1", "12345678", "0711000001", name="Achieng Otieno"))
    # the same phone, a name and birth date that are somebody else's: held apart for review
    other = replace(
        person("dfs", "9", phone="0711000001", name="Mary Wambui"), date_of_birth=date(1970, 1, 1)
    )
    link(conn, other)
    assert gid_of(conn, "core", "1") != gid_of(conn, "dfs", "9")

    found = queue(client, amina)

    assert found["total"] == 1 and found["counts"] == {"shared_line": 1}
    (item,) = found["items"]
    assert item["identifier"] == "phone" and "different people" in item["reason"]
    sides = item["evidence"]["side_a"] + item["evidence"]["side_b"]
    assert {(r["source_system"], r["full_name"], r["phone"]) for r in sides} == {
        ("core", "Achieng Otieno", "+254711000001"),
        ("dfs", "Mary Wambui", "+254711000001"),
    }
    assert set(item["global_customer_ids"]) == {
        str(gid_of(conn, "core", "1")),
        str(gid_of(conn, "dfs", "9")),
    }
    assert queue(client, amina, kind="risk_gate")["total"] == 0
    assert queue(client, amina, source_system="dfs")["total"] == 1

    proposal = client.post(
        f"/steward/review-queue/{item['item_id']}/proposals",
        json={"action": "different_people", "reason": "mother and daughter"},
        headers=amina,
    ).get_json()
    assert queue(client, amina)["total"] == 1  # proposed is not decided
    approved = client.post(
        f"/steward/proposals/{proposal['proposal_id']}/approve", json={}, headers=brian
    )

    assert approved.status_code == 200, approved.get_json()
    assert queue(client, amina)["total"] == 0


def test_a_merge_on_a_phone_with_a_profile_under_a_fraud_case_waits_for_a_steward(
    client, conn, stewards, add_fraud_case
):
    amina, brian = stewards
    link(conn, person("core", "1", "12345678", "0711000001", name="Juma Hassan"))
    link(conn, person("dfs", "9", email="juma@mail.co.ke", name="Juma Hassan"))
    flagged, other = gid_of(conn, "core", "1"), gid_of(conn, "dfs", "9")
    add_fraud_case(flagged, "FC-1", status="BLOCKED")

    # dfs:9 now gives core:1's phone: phone evidence alone, and a blocked case on one side
    link(
        conn,
        person("dfs", "9", "", "0711000001", "juma@mail.co.ke", "Juma Hassan", NOW.replace(hour=2)),
    )

    assert (gid_of(conn, "core", "1"), gid_of(conn, "dfs", "9")) == (flagged, other)
    (item,) = queue(client, amina, kind="risk_gate")["items"]
    assert item["identifier"] == "phone"
    assert "open fraud case (fraud:FC-1 (BLOCKED))" in item["reason"]  # the case to look at

    proposal = client.post(
        f"/steward/review-queue/{item['item_id']}/proposals",
        json={"action": "same_person", "reason": "called the customer"},
        headers=amina,
    ).get_json()
    approved = client.post(
        f"/steward/proposals/{proposal['proposal_id']}/approve", json={}, headers=brian
    )

    assert approved.status_code == 200, approved.get_json()
    assert gid_of(conn, "core", "1") == gid_of(conn, "dfs", "9")
    assert queue(client, amina)["total"] == 0


def test_a_number_past_any_row_finds_nothing_rather_than_failing(client, headers_for):
    """A proposal or item number larger than a BIGINT names no row: 404, never a 500 from the
    database, and the document says how large one can be."""
    steward = headers_for("steward")
    too_large = 2**63
    for method, path in (
        ("get", f"/steward/proposals/{too_large}"),
        ("post", f"/steward/proposals/{too_large}/approve"),
        ("post", f"/steward/review-queue/{too_large}/proposals"),
    ):
        response = getattr(client, method)(path, json={}, headers=steward)
        assert response.status_code == 404, path
    refused = client.post(
        "/steward/proposals",
        json={"action": "unmerge_merge", "reason": "checked", "merge_id": too_large},
        headers=steward,
    )
    assert refused.status_code == 422
    spec = client.get("/openapi.json").get_json()
    (number,) = spec["paths"]["/steward/proposals/{proposal_id}"]["parameters"]
    assert number["schema"]["maximum"] == too_large - 1
    variants = spec["components"]["schemas"]["ProposalCreate"]["oneOf"]
    assert {v["properties"]["action"]["enum"][0] for v in variants} == {
        "merge",
        "unmerge_record",
        "unmerge_merge",
        "same_person",
        "different_people",
    }
    assert all(v["additionalProperties"] is False for v in variants)
