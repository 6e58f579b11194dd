"""The events the one write path and the risk step write, against the real database: what each
change emits, in which order per customer, and never a personal value or a duress alert."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import insert, select, text

from app.channel.models import security_alert
from app.customer import profiles
from app.customer.survivorship import refresh_golden_records
from app.events import feed
from app.identity.matcher import link_customers
from app.outbox.models import outbox_event
from app.pipeline.facts import FACTS, repoint_owners, upsert_facts
from app.risk.models import fraud_case
from app.risk.scoring import update_risk_profiles
from connectors.records import AccountRecord, CustomerRecord
from tests.conftest import gid_of
from tests.outbox.invariants import versions_out_of_order

NOW = datetime(2026, 12, 8, tzinfo=UTC)
PERSONAL = ("12345678", "0711000001", "254711000001", "wanjiru@mail.com", "Alice", "Wanjiru")


def record(source, key, national_id=None, phone=None, email=None, name="Alice Wanjiru"):
    return CustomerRecord(
        source_system=source,
        source_customer_id=key,
        full_name=name,
        national_id=national_id,
        phone=phone,
        email=email,
        date_of_birth=None,
        is_active=True,
        created_at=NOW,
        updated_at=NOW,
        business_key=None,
    )


def events(conn, gid=None) -> list:
    query = select(outbox_event).order_by(outbox_event.c.outbox_id)
    if gid is not None:
        query = query.where(outbox_event.c.global_customer_id == gid)
    return conn.execute(query).all()


def assert_in_order_and_impersonal(conn) -> None:
    """Invariants of the whole outbox: each customer's versions run 1, 2, 3... in the order
    the events were written, and no event carries a personal value."""
    assert versions_out_of_order(conn) == []
    for event in events(conn):
        body = json.dumps(event.data)
        assert not [value for value in PERSONAL if value in body], body


def test_a_new_person_is_created_linked_then_filled_in(conn):
    link_customers(conn, [record("core", "c1", "12345678", "0711000001", "wanjiru@mail.com")])
    gid = gid_of(conn, "core", "c1")
    refresh_golden_records(conn, [gid])

    written = events(conn, gid)
    assert [e.type for e in written] == [
        "CustomerProfileCreated",
        "LinkedRecordAdded",
        "CustomerProfileUpdated",
    ]
    assert written[1].data == {
        "global_customer_id": str(gid),
        "source_system": "core",
        "source_customer_id": "c1",
        "match_rule": "new",
    }
    assert set(written[2].data["changed"]) == {
        "full_name",
        "national_id",
        "phone",
        "email",
        "created_date",
    }
    assert_in_order_and_impersonal(conn)

    # the same record read again, the golden record recomputed: nothing changed, no event
    link_customers(conn, [record("core", "c1", "12345678", "0711000001", "wanjiru@mail.com")])
    refresh_golden_records(conn, [gid])
    assert len(events(conn, gid)) == 3


def test_a_field_that_changes_is_named_without_its_value(conn):
    link_customers(conn, [record("core", "c1", "12345678", "0711000001")])
    gid = gid_of(conn, "core", "c1")
    refresh_golden_records(conn, [gid])
    link_customers(conn, [record("core", "c1", "12345678", "0711000001", "wanjiru@mail.com")])
    refresh_golden_records(conn, [gid])

    last = events(conn, gid)[-1]
    assert (last.type, last.data["changed"]) == ("CustomerProfileUpdated", ["email"])
    assert_in_order_and_impersonal(conn)


def test_a_merge_is_one_event_on_the_survivor_followed_by_its_risk_change(conn):
    link_customers(conn, [record("core", "c1", "12345678", "0711000001")])
    link_customers(conn, [record("dfs", "d1", phone="0722000002", email="w@mail.com")])
    loser = gid_of(conn, "dfs", "d1")
    account = AccountRecord(
        "dfs", "a1", "d1", "ACC1", "Savings", "KES", 10, None, "ACTIVE", False, None, None, NOW
    )
    upsert_facts(conn, FACTS["account"], [account])
    resolution = link_customers(conn, [record("web", "w1", "ID 12 345 678", "0722000002")])
    repoint_owners(conn, list(resolution.moved), resolution.business_keys)
    survivor = gid_of(conn, "core", "c1")
    conn.execute(
        insert(fraud_case).values(
            global_customer_id=survivor,
            source_case_id="case-1",
            source_system="fraud",
            customer_number="CUST-001",
            risk_score=0.9,
            risk_level="HIGH",
            status="ASSIGNED",
            opened_at=NOW,
            source_updated_at=NOW,
        )
    )
    update_risk_profiles(conn, [survivor])

    merged = [e for e in events(conn) if e.type == "CustomersMerged"]
    assert len(merged) == 1
    assert merged[0].global_customer_id == survivor
    assert merged[0].data["merged_ids"] == [str(loser)]
    after = [e for e in events(conn, survivor) if e.outbox_id > merged[0].outbox_id]
    risk = [e for e in after if e.type == "RiskLevelChanged"]
    assert len(risk) == 1 and (risk[0].data["old"], risk[0].data["new"]) == ("LOW", "HIGH")
    assert risk[0].profile_version > merged[0].profile_version
    assert risk[0].data["reasons"] == [
        {
            "kind": "fraud_case",
            "source": "fraud",
            "ref": "case-1",
            "level": "HIGH",
            "contribution": 0.9,
        }
    ]
    # the merged-away record is the survivor's now
    added = [
        e.data["source_customer_id"]
        for e in events(conn, survivor)
        if e.type == "LinkedRecordAdded"
    ]
    assert sorted(added) == ["c1", "d1", "w1"]
    assert_in_order_and_impersonal(conn)


def test_a_duress_alert_never_shows_in_an_event(conn):
    link_customers(conn, [record("channel", "u1", phone="0711000001")])
    gid = gid_of(conn, "channel", "u1")
    conn.execute(
        insert(security_alert).values(
            global_customer_id=gid,
            source_system="channel",
            source_alert_id="alert-1",
            source_customer_id="u1",
            alert_type="DURESS_MODE_ACTIVATED",
            severity="CRITICAL",
            status="Open",
            raised_at=NOW,
        )
    )
    update_risk_profiles(conn, [gid])

    (change,) = [e for e in events(conn, gid) if e.type == "RiskLevelChanged"]
    assert change.data["new"] == "HIGH"
    assert "DURESS" not in json.dumps(change.data).upper()


def test_an_unmerged_profile_comes_back_with_an_event(conn):
    link_customers(conn, [record("core", "c1", "12345678")])
    link_customers(conn, [record("dfs", "d1", phone="0722000002")])
    survivor, loser = gid_of(conn, "core", "c1"), gid_of(conn, "dfs", "d1")
    profiles.retire_merged(conn, {loser: survivor})
    profiles.restore(conn, loser)

    (unmerged,) = [e for e in events(conn, loser) if e.type == "CustomerUnmerged"]
    assert unmerged.data["survivor_id"] == str(survivor)
    assert_in_order_and_impersonal(conn)


def test_the_feed_gives_each_committed_event_a_place_once_in_order(conn):
    link_customers(conn, [record("core", "c1", "12345678")])
    link_customers(conn, [record("core", "c2", "87654321", name="Brian Otieno")])
    assert feed.stamp(conn) == len(events(conn))
    assert feed.stamp(conn) == 0

    page = feed.read(conn, 0, 2)
    rest = feed.read(conn, page.cursor, 100)
    got = page.events + rest.events
    assert [e["position"] for e in got] == list(range(1, len(events(conn)) + 1))
    assert [e["id"] for e in got] == [str(e.event_id) for e in events(conn)]
    assert rest.cursor == got[-1]["position"]
    assert feed.read(conn, rest.cursor, 100).events == []
    first = got[0]
    assert (first["specversion"], first["source"], first["type"]) == (
        "1.0",
        "c360",
        "CustomerProfileCreated",
    )
    assert first["subject"] == first["data"]["global_customer_id"]


def test_a_change_that_rolls_back_leaves_no_event(engine):
    with engine.connect() as connection:
        with connection.begin() as transaction:
            before = connection.execute(text("SELECT count(*) FROM outbox_event")).scalar()
            profiles.new_profile(connection)
            assert connection.execute(text("SELECT count(*) FROM outbox_event")).scalar() == (
                before + 1
            )
            transaction.rollback()
        assert connection.execute(text("SELECT count(*) FROM outbox_event")).scalar() == before
