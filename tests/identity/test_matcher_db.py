"""Identity resolution against the real database: links, merges, splits, decisions, order
independence and concurrency."""

from __future__ import annotations

import multiprocessing
import os
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from app import db
from app.customer.models import customer_360, merge_history, source_customer
from app.customer.survivorship import refresh_golden_records
from app.identity import locks
from app.identity.clustering import SHARED_LIMIT
from app.identity.matcher import link_customers
from app.identity.models import match_decision, suspected_duplicate
from app.pipeline.facts import FACTS, repoint_owners, upsert_facts
from connectors.records import AccountRecord, CustomerRecord
from tests.conftest import gid_of, truncate_all

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def record(
    source,
    key,
    national_id=None,
    phone=None,
    email=None,
    name="Alice Wanjiru",
    at=NOW,
    dob=None,
    gender=None,
):
    return CustomerRecord(
        source_system=source,
        source_customer_id=key,
        full_name=name,
        national_id=national_id,
        phone=phone,
        email=email,
        date_of_birth=dob,
        is_active=True,
        created_at=at,
        updated_at=at,
        business_key=None,
        gender=gender,
    )


def grouping(conn) -> list[list[str]]:
    rows = conn.execute(
        select(
            source_customer.c.global_customer_id,
            source_customer.c.source_system,
            source_customer.c.source_customer_id,
        )
    ).all()
    groups: dict = {}
    for gid, system, key in rows:
        groups.setdefault(gid, []).append(f"{system}:{key}")
    return sorted(sorted(g) for g in groups.values())


def test_links_are_stored_and_reused(conn):
    link_customers(conn, [record("core", "c1", "ID12345678", "0712345678")], batch_id=1)
    link_customers(conn, [record("channel", "u1", phone="254712345678")], batch_id=2)
    assert gid_of(conn, "channel", "u1") == gid_of(conn, "core", "c1")
    stored = conn.execute(
        select(
            source_customer.c.phone, source_customer.c.phone_raw, source_customer.c.match_rule
        ).where(source_customer.c.source_system == "channel")
    ).one()
    assert tuple(stored) == ("+254712345678", "254712345678", "phone")
    decisions = conn.execute(select(match_decision.c.decision).order_by("decision_id")).scalars()
    assert list(decisions) == ["new", "matched"]


@pytest.mark.parametrize("login_first", [False, True])
def test_a_login_on_the_secondary_phone_links_in_either_order(conn, login_first):
    core = replace(record("core", "c1", "12345678", "0700000000"), secondary_phone="0733 000 002")
    login = record("channel", "u1", phone="254733000002", name="Alice W.")
    for batch in ([login], [core]) if login_first else ([core], [login]):
        link_customers(conn, batch)
    assert gid_of(conn, "channel", "u1") == gid_of(conn, "core", "c1")
    stored = conn.execute(
        select(
            source_customer.c.phone,
            source_customer.c.secondary_phone,
            source_customer.c.secondary_phone_raw,
        ).where(source_customer.c.source_system == "core")
    ).one()
    assert tuple(stored) == (None, "+254733000002", "0733 000 002")  # placeholder: no phone


@pytest.mark.parametrize("login_first", [False, True])
def test_both_records_of_a_link_say_why_in_either_order(conn, login_first):
    core = record("core", "c1", "12345678", "0722 400 001", name="Ibrahim Mohamed")
    login = record("channel", "u1", phone="254722400001", name="Ebrahim M.")
    for batch in ([login], [core]) if login_first else ([core], [login]):
        link_customers(conn, batch)
    rows = conn.execute(
        select(source_customer.c.source_system, source_customer.c.match_rule, source_customer.c.why)
    ).all()
    links = {system: (rule, why) for system, rule, why in rows}
    assert links["channel"] == (
        "phone",
        {
            "rule": "phone",
            "with": ["core", "c1"],
            "names": {
                "names": ["Ebrahim M.", "Ibrahim Mohamed"],
                "tokens": ["ebrahim ~ ibrahim: transliteration", "m ~ mohamed: initial"],
                "order": "as written",
            },
        },
    )
    assert links["core"][0] == "phone" and links["core"][1]["with"] == ["channel", "u1"]
    matched = conn.execute(
        select(match_decision.c.source_system, match_decision.c.why).where(
            match_decision.c.decision == "matched"
        )
    ).one()
    assert matched.why == links[matched.source_system][1]


def test_a_secondary_phone_is_the_golden_phone_when_no_primary_is_known(conn):
    core = replace(record("core", "c1", "12345678", "0700000000"), secondary_phone="0733000002")
    resolution = link_customers(conn, [core])
    refresh_golden_records(conn, resolution.affected)
    golden = conn.execute(select(customer_360.c.phone, customer_360.c.phone_source)).one()
    assert tuple(golden) == ("+254733000002", "core")


def test_a_phone_counts_as_shared_in_either_column(conn):
    ids = ["12345678", "23456781", "34567812", "45678123", "56781234", "67812345"]
    people = [
        replace(record("core", f"p{n}", nid), secondary_phone="0733000003")
        if n % 2
        else record("core", f"p{n}", nid, "0733000003")
        for n, nid in enumerate(ids)
    ]
    link_customers(conn, people)
    link_customers(conn, [record("channel", "u1", phone="254733000003")])
    assert gid_of(conn, "channel", "u1") not in {gid_of(conn, "core", f"p{n}") for n in range(6)}
    reason = conn.execute(
        select(match_decision.c.reason).where(match_decision.c.source_customer_id == "u1")
    ).scalar()
    assert "shared" in reason


def test_rerunning_a_batch_changes_nothing(conn):
    batch = [record("core", "c1", "12345678"), record("core", "c2", "87654321")]
    link_customers(conn, batch)
    before = grouping(conn), conn.execute(select(func.count()).select_from(match_decision)).scalar()
    link_customers(conn, batch)
    after = grouping(conn), conn.execute(select(func.count()).select_from(match_decision)).scalar()
    assert before == after
    assert conn.execute(select(func.count()).select_from(customer_360)).scalar() == 2


def test_an_older_version_never_overwrites_a_newer_one(conn):
    newer = record("core", "c1", "12345678", name="New Name", at=NOW + timedelta(days=1))
    older = record("core", "c1", "12345678", name="Old Name", at=NOW)
    link_customers(conn, [newer])
    link_customers(conn, [older])
    assert conn.execute(select(source_customer.c.full_name)).scalar() == "New Name"


def test_a_record_that_ties_two_profiles_merges_them_with_their_facts(conn):
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
    assert {gid_of(conn, s, k) for s, k in [("dfs", "d1"), ("web", "w1")]} == {survivor}
    merged = conn.execute(
        select(customer_360.c.status, customer_360.c.merged_into).where(
            customer_360.c.global_customer_id == loser
        )
    ).one()
    assert tuple(merged) == ("merged", survivor)
    history = conn.execute(select(merge_history)).one()
    assert (history.survivor_id, history.merged_id) == (survivor, loser)
    assert history.identifier in ("phone", "national_id")
    owner = conn.execute(text("SELECT global_customer_id FROM account_360")).scalar()
    assert owner == survivor


def test_a_phone_that_turns_out_shared_splits_the_login_off(conn):
    link_customers(conn, [record("core", "mother", "12345678", "0711000001")])
    # a login without a name: nothing but the phone says whose it is
    link_customers(conn, [record("channel", "login", phone="254711000001", name=None)])
    assert gid_of(conn, "channel", "login") == gid_of(conn, "core", "mother")

    link_customers(conn, [record("core", "son", "87654321", "0711000001", name="Otieno Wanjiru")])

    ids = {gid_of(conn, "core", "mother"), gid_of(conn, "core", "son")}
    assert len(ids) == 2 and gid_of(conn, "channel", "login") not in ids
    moved = conn.execute(
        select(match_decision.c.decision).where(match_decision.c.source_customer_id == "login")
    ).scalars()
    assert "moved" in list(moved)


def test_typo_id_joins_only_when_confirmed_else_suspected(conn):
    link_customers(conn, [record("core", "c1", "12345678", dob=date(1990, 1, 2))])
    link_customers(conn, [record("dfs", "d1", "12345687", dob=date(1990, 1, 2))])
    assert gid_of(conn, "dfs", "d1") == gid_of(conn, "core", "c1")

    link_customers(conn, [record("core", "t1", "23456789", name="Wanjiru Kamau")])
    link_customers(conn, [record("core", "t2", "23456788", name="Njeri Kamau")])
    assert gid_of(conn, "core", "t1") != gid_of(conn, "core", "t2")
    suspect = conn.execute(select(suspected_duplicate)).one()
    assert (suspect.national_id_a, suspect.national_id_b) == ("23456788", "23456789")
    assert {suspect.global_customer_id_a, suspect.global_customer_id_b} == {
        gid_of(conn, "core", "t1"),
        gid_of(conn, "core", "t2"),
    }


def test_twins_are_suspects_with_their_evidence_and_gender_is_stored(conn):
    born = date(2001, 3, 4)
    link_customers(
        conn,
        [
            record("core", "him", "23456788", name="Otieno Ouma", dob=born, gender="M"),
            record("core", "her", "23456789", name="Atieno Ouma", dob=born, gender="Female"),
        ],
    )
    assert gid_of(conn, "core", "him") != gid_of(conn, "core", "her")
    suspect = conn.execute(select(suspected_duplicate)).one()
    assert suspect.evidence["checks"] == {
        "date_of_birth": "equal",
        "names": "differs",
        "gender": "differs",
    }
    assert [r["full_name"] for r in suspect.evidence["records_a"]] == ["Otieno Ouma"]
    assert suspect.evidence["records_b"] == [
        {
            "source_system": "core",
            "source_customer_id": "her",
            "full_name": "Atieno Ouma",
            "date_of_birth": "2001-03-04",
            "gender": "female",
        }
    ]
    stored = conn.execute(
        select(source_customer.c.gender, source_customer.c.gender_raw).order_by(
            source_customer.c.source_customer_id
        )
    ).all()
    assert [tuple(r) for r in stored] == [("female", "Female"), ("male", "M")]
    her = gid_of(conn, "core", "her")
    refresh_golden_records(conn, [her])
    golden = conn.execute(
        select(customer_360.c.gender, customer_360.c.gender_source).where(
            customer_360.c.global_customer_id == her
        )
    ).one()
    assert tuple(golden) == ("female", "core")


def test_a_phone_of_many_people_matches_nobody(conn):
    ids = ["12345678", "23456781", "34567812", "45678123", "56781234", "67812345"]
    assert len(ids) > SHARED_LIMIT
    # everyone is called Alice Wanjiru: not even the name could tell them apart
    family = [record("core", f"p{n}", nid, "0733000003") for n, nid in enumerate(ids)]
    link_customers(conn, family)
    link_customers(conn, [record("channel", "u1", phone="254733000003")])
    assert len({gid_of(conn, "core", f"p{n}") for n in range(len(ids))}) == len(ids)
    reason = conn.execute(
        select(match_decision.c.reason).where(match_decision.c.source_customer_id == "u1")
    ).scalar()
    assert "shared" in reason


# Small pools of identifiers so random records collide often.
IDS = ["12345678", "12345679", "23456789", None, None]
PHONES = ["0711000001", "0711000002", "0722000003", None]
EMAILS = ["a@mail.com", "b@mail.com", None, None]
NAMES = ["Achieng Otieno", "Wanjiru Kamau", "Njeri Kamau"]

population = st.lists(
    st.tuples(
        st.sampled_from(IDS), st.sampled_from(PHONES), st.sampled_from(EMAILS),
        st.sampled_from(NAMES),
    ),
    min_size=2,
    max_size=12,
)  # fmt: skip


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(population, st.randoms(use_true_random=False), st.integers(1, 4))
def test_the_same_records_give_the_same_grouping_in_any_order(conn, people, rng, batches):
    records = [
        record(("core", "dfs", "channel")[n % 3], f"r{n}", nid, phone, email, name)
        for n, (nid, phone, email, name) in enumerate(people)
    ]
    with conn.begin_nested() as reference:
        link_customers(conn, sorted(records, key=lambda r: r.source_customer_id))
        expected = grouping(conn)
        reference.rollback()
    with conn.begin_nested() as shuffled:
        order = list(records)
        rng.shuffle(order)
        size = max(1, len(order) // batches)
        for start in range(0, len(order), size):
            link_customers(conn, order[start : start + size])
        assert grouping(conn) == expected
        shuffled.rollback()


def _link_in_process(url: str, batches: list[list[CustomerRecord]], ready) -> None:
    engine = create_engine(url)
    db.set_engine(engine)
    with engine.connect():
        pass  # connect before the race starts
    ready.wait()  # every process is past its imports: the batches really overlap
    for batch in batches:
        with db.transaction() as conn:
            link_customers(conn, batch)
    engine.dispose()


def _population(people: int) -> list[CustomerRecord]:
    """People present in four systems, plus families sharing phones, shuffled."""
    records = []
    for n in range(1, people + 1):
        family_phone = f"071{(n - 1) // 3:07d}"  # three people per phone
        records += [
            record("core", f"core-{n}", national_id=f"2{n:07d}", phone=family_phone),
            record("dfs", f"dfs-{n}", national_id=f"ID 2{n:07d}", email=f"p{n}@mail.com"),
            record("web", f"web-{n}", email=f"P{n}@Mail.com"),
            record("channel", f"channel-{n}", phone=family_phone),
        ]
    random.Random(5).shuffle(records)
    return records


def test_concurrent_workers_give_the_grouping_of_one_worker(engine):
    """Four processes, each resolving its share of the population in small batches at once,
    end with exactly the grouping one process gives."""
    url = os.environ["C360_DATABASE_URL"]
    records = _population(150)
    truncate_all(engine)
    try:
        _link_in_process(url, [records], multiprocessing.get_context("spawn").Barrier(1))
    finally:
        db.set_engine(engine)  # in this process it replaced the session's engine
    with engine.connect() as conn:
        expected = grouping(conn)
    truncate_all(engine)

    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(4)
    shares = [records[i::4] for i in range(4)]
    workers = [
        context.Process(
            target=_link_in_process,
            args=(url, [share[s : s + 10] for s in range(0, len(share), 10)], ready),
        )
        for share in shares
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with engine.connect() as conn:
        actual = grouping(conn)
        active = conn.execute(
            text("SELECT count(*) FROM customer_360 WHERE status = 'active'")
        ).scalar()
    truncate_all(engine)
    assert actual == expected
    assert active == len(expected)  # no orphan profile left behind by a lost race
    # each person is one profile: core, dfs and web records together (the channel login of a
    # shared family phone stays apart)
    assert len(expected) == 150 * 2


@pytest.mark.parametrize("moves", [False, True], ids=["finds", "moves"])
def test_a_fact_upsert_waits_for_a_resolution_only_of_a_record_it_moves(engine, moves):
    """A web record with the core customer's national ID finds them and moves nobody: their
    facts can be written meanwhile. With the phone of another profile too, it merges that
    profile into the customer's: that record's facts wait until the merge is stored."""
    truncate_all(engine)
    with engine.begin() as conn:
        link_customers(conn, [record("core", "c1", "12345678", "0711000001")])
        link_customers(conn, [record("dfs", "d1", phone="0722000002")])
    arriving = record("web", "w1", "12345678", "0722000002" if moves else None)
    owners = [locks.customer_key("core", "c1"), locks.customer_key("dfs", "d1")]
    try:
        with engine.connect() as resolver, engine.connect() as upserter:
            with resolver.begin():
                resolution = link_customers(resolver, [arriving])
                assert (("dfs", "d1") in resolution.moved) is moves
                with upserter.begin():
                    upserter.execute(text("SET LOCAL lock_timeout = '300ms'"))
                    if moves:
                        with pytest.raises(OperationalError, match="lock timeout"):
                            locks.share(upserter, owners)
                    else:
                        locks.share(upserter, owners)
    finally:
        truncate_all(engine)
