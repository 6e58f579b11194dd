"""Steward actions over profiles made by the real matcher, in the service (one transaction per
test): an approved merge makes one profile, an unmerge moves one record and what hangs on it
alone, a merge over a standing "different people" decision is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.customer.models import customer_360, merge_history, source_customer
from app.customer.service import survivor_id
from app.identity import invariants
from app.identity.matcher import link_customers
from app.identity.models import identity_rule
from app.stewardship import service
from connectors.records import CustomerRecord
from tests.conftest import gid_of

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def person(source, key, name, national_id=None, phone=None, born=None, secondary=None):
    return CustomerRecord(
        source, key, name, national_id, phone, None, born, True, NOW, NOW,
        secondary_phone=secondary,
    )  # fmt: skip


def record(source, key):
    return {"source_system": source, "source_customer_id": key}


def decide(conn, action, **subject):
    """Proposed by one steward, approved by another; the approved proposal."""
    proposal = service.propose(conn, action, subject, "seen at the branch", "steward-amina")
    return service.approve(conn, proposal["proposal_id"], "steward-brian", None)


def profiles(conn, *keys):
    return [gid_of(conn, *key) for key in keys]


def rules(conn):
    return {
        ((r.system_a, r.customer_a), (r.system_b, r.customer_b), r.relation)
        for r in conn.execute(select(identity_rule))
    }


def test_an_approved_merge_leaves_one_profile_with_every_record_of_both(conn):
    a = ("core", "A")
    b = ("core", "B")
    login = ("channel", "L")
    link_customers(
        conn,
        [
            person(*a, "John Mwangi Njoroge", "23456789", "0711000001", date(1985, 2, 3)),
            person(*b, "John Mwangi Njoroge", "23456798", "0711000001", secondary="0722000002"),
            person(*login, "John M Njoroge", phone="0722000002"),
        ],
    )
    first, second, third = profiles(conn, a, b, login)
    assert first != second == third  # the typo rule cannot confirm A and B

    decide(conn, service.MERGE, global_customer_ids=[str(first), str(second)])

    after = set(profiles(conn, a, b, login))
    assert len(after) == 1
    (survivor,) = after
    assert {survivor_id(conn, first), survivor_id(conn, second)} == {survivor}
    assert invariants.broken(conn, [first, second, survivor]) == []


def test_unmerging_one_record_moves_it_with_what_hangs_on_it_alone(conn):
    x, y = ("core", "X"), ("core", "Y")
    login_x, login_y = ("channel", "LX"), ("channel", "LY")
    link_customers(
        conn,
        [
            person(*x, "Mary Wanjiku Kamau", "12345678", "0711000011", date(1990, 5, 6)),
            person(*y, "Mary Wanjiku Kamau", "12 345 678", "0711000012", date(1990, 5, 6)),
            person(*login_x, "Mary Kamau", phone="0711000011"),
            person(*login_y, "Mary W Kamau", phone="0711000012"),
        ],
    )
    (original,) = set(profiles(conn, x, y, login_x, login_y))

    decide(conn, service.UNMERGE_RECORD, record=record(*x))

    moved, login_x_now, y_now, login_y_now = profiles(conn, x, login_x, y, login_y)
    assert y_now == login_y_now == original  # the original ID keeps what stays
    assert moved == login_x_now != original  # her login, linked through X alone, goes with it
    assert (
        conn.execute(
            select(customer_360.c.status).where(customer_360.c.global_customer_id == original)
        ).scalar_one()
        == "active"
    )
    # the decision the steward made, and no other: X is not the people who stay
    assert rules(conn) == {
        (login_y, x, "different") if login_y < x else (x, login_y, "different"),
        (x, y, "different"),
    }
    assert invariants.broken(conn, [original, moved]) == []


def test_a_merge_over_a_standing_different_people_decision_is_refused(conn):
    father, son = ("core", "F"), ("core", "S")
    link_customers(
        conn,
        [
            person(*father, "Peter Otieno Ouma", "21000001", "0711000021", date(1960, 1, 1)),
            person(*son, "Peter Otieno Ouma", "31000001", "0711000022", date(1990, 1, 1)),
        ],
    )
    decide(conn, service.DIFFERENT_PEOPLE, records=[record(*father), record(*son)])
    first, second = profiles(conn, father, son)

    with pytest.raises(service.Refused, match="declared .* different people"):
        service.propose(
            conn,
            service.MERGE,
            {"global_customer_ids": [str(first), str(second)]},
            "looks the same",
            "steward-amina",
        )
    assert profiles(conn, father, son) == [first, second]


def test_a_record_split_off_says_so_and_its_unmerge_is_not_taken_for_a_merge(conn):
    core, dfs = ("core", "1"), ("dfs", "9")
    link_customers(
        conn,
        [
            person(*core, "Achieng Otieno", "12345678", "0711000001"),
            person(*dfs, "A Otieno", phone="0711000001"),
        ],
    )
    assert _match_rule(conn, dfs) == "phone"

    decide(conn, service.UNMERGE_RECORD, record=record(*dfs))

    assert _match_rule(conn, dfs) == "split"  # not the phone that no longer links it
    unmerge = conn.execute(
        select(merge_history.c.merge_id).where(merge_history.c.kind == "unmerge")
    ).scalar_one()
    with pytest.raises(service.Refused, match=f"history entry {unmerge} is an unmerge"):
        service.propose(conn, service.UNMERGE_MERGE, {"merge_id": unmerge}, "undo", "steward-amina")


def _match_rule(conn, key):
    return conn.execute(
        select(source_customer.c.match_rule).where(
            source_customer.c.source_system == key[0],
            source_customer.c.source_customer_id == key[1],
        )
    ).scalar_one()
