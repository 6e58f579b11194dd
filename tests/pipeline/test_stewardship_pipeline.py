"""Stewards through the real worker and beat: an unmerge moves every fact back and no replay
merges again; a "different people" decision outlives a record that would link them; a merge on
a phone with a profile under a fraud case waits for a steward; a steward action and a batch on
the same people take the same lock and leave one consistent result."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from sqlalchemy import create_engine, text

from app import create_app, db
from app.access.keys import create_key
from app.config import Settings
from app.identity.locks import IdentityLocks, customer_key
from app.pipeline.batches import replay_batches
from sandbox.simulator import Simulator
from sandbox.sources import create_sources, drop_sources
from tasks.pipeline import enqueue_batch
from tests.conftest import environment

pytestmark = pytest.mark.integration


@pytest.fixture
def stewards(pipeline):
    """Two steward keys, as API clients, and a reader."""
    settings = dataclasses.replace(Settings.from_env(), api_keys=())
    app = create_app(settings)
    clients = {}
    with db.transaction() as conn:
        for name, scopes in (("amina", ["steward"]), ("brian", ["steward"]), ("reader", ["read"])):
            client = app.test_client()
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {create_key(conn, name, scopes)}"
            clients[name] = client
    return clients


def propose_and_approve(stewards, **body):
    proposal = stewards["amina"].post("/steward/proposals", json={"reason": "checked", **body})
    assert proposal.status_code == 201, proposal.get_json()
    return approve(stewards, proposal.get_json()["proposal_id"])


def approve(stewards, proposal_id):
    approved = stewards["brian"].post(f"/steward/proposals/{proposal_id}/approve", json={})
    assert approved.status_code == 200, approved.get_json()
    return approved.get_json()


def replay_everything(pipeline):
    with db.transaction() as conn:
        batches = replay_batches(conn, None, failed_only=False)
    for batch_id in batches:
        enqueue_batch(batch_id)
    pipeline.wait_until(pipeline.idle, timeout=90, what="every batch replayed")
    return batches


def test_an_unmerge_moves_every_fact_back_and_a_replay_does_not_merge_again(pipeline, stewards):
    simulator = Simulator(pipeline.source_urls, seed=41)
    try:
        customer = simulator.new_customer(
            FirstName="Wanjiru", LastName="Kamau", IdentificationNumber="29876543",
            PrimaryPhone="0722 111 222",
        )  # fmt: skip
        posting = simulator.post_transaction(customer["account_id"], "1200", "Credit", "MOBILE")
        simulator.open_fraud_case(customer["customer_number"], posting["reference"], 0.9)
        # her phone, logged in through the channel: linked to her by the phone
        login = simulator.login(customer, device_id="android-1")
    finally:
        simulator.close()
    pipeline.wait_until(
        lambda: (
            pipeline.idle()
            and pipeline.owner("channel", login["user_id"])
            == pipeline.owner("core", customer["customer_id"])
            and pipeline.scalar("SELECT count(global_customer_id) FROM fraud_case") == 1
            and pipeline.scalar("SELECT count(global_customer_id) FROM channel_login") == 1
        ),
        timeout=60,
        what="her core record, her login and the case on one profile",
    )
    profile = pipeline.owner("core", customer["customer_id"])

    proposal = (
        stewards["amina"]
        .post(
            "/steward/proposals",
            json={
                "action": "unmerge_record",
                "record": {"source_system": "channel", "source_customer_id": login["user_id"]},
                "reason": "the line is her son's",
            },
        )
        .get_json()
    )
    own = stewards["amina"].post(f"/steward/proposals/{proposal['proposal_id']}/approve", json={})
    assert own.status_code == 403  # nobody approves their own proposal
    assert pipeline.owner("channel", login["user_id"]) == profile
    approve(stewards, proposal["proposal_id"])

    split = pipeline.owner("channel", login["user_id"])
    assert split != profile
    facts = {
        table: pipeline.scalar(f"SELECT global_customer_id FROM {table}")
        for table in ("channel_login", "fraud_case", "account_360", "transaction_360")
    }
    assert facts == {
        "channel_login": split,
        "fraud_case": profile,
        "account_360": profile,
        "transaction_360": profile,
    }
    assert pipeline.scalar("SELECT count(*) FROM merge_history WHERE kind = 'unmerge'") == 1

    assert replay_everything(pipeline)
    assert pipeline.owner("channel", login["user_id"]) == split
    assert pipeline.owner("core", customer["customer_id"]) == profile
    assert pipeline.scalar("SELECT global_customer_id FROM channel_login") == split


@pytest.fixture
def openbanking_url(database_url):
    url = db.sibling_url(database_url, "_src_openbanking")
    drop_sources({"openbanking": url})
    create_sources({"openbanking": url}, sample=False)
    with environment(C360_SOURCE_OPENBANKING_URL=url):
        yield url
    drop_sources({"openbanking": url})


def give_phone(openbanking_url, customer_id, phone):
    """The openbanking customer's phone changes at the source."""
    source = create_engine(openbanking_url)
    with source.begin() as conn:
        conn.execute(
            text("UPDATE customers SET phone = :phone, updated_at = now() WHERE id = :id"),
            {"phone": phone, "id": customer_id},
        )
    source.dispose()


def test_different_people_stay_apart_when_a_record_would_link_them(
    openbanking_url, pipeline, stewards
):
    simulator = Simulator({**pipeline.source_urls, "openbanking": openbanking_url}, seed=43)
    try:
        pairs = [
            (
                simulator.new_customer(
                    FirstName=first, LastName="Otieno", IdentificationNumber=nid, PrimaryPhone=phone
                ),  # fmt: skip
                simulator.openbanking_customer(
                    first, "Otieno", f"{first.lower()}@mail.co.ke", None
                ),
                phone,
            )
            for first, nid, phone in (
                ("Achieng", "31234567", "+254711555666"),
                ("Akinyi", "41234567", "+254722555666"),
            )
        ]
    finally:
        simulator.close()
    pipeline.wait_until(
        lambda: (
            pipeline.idle()
            and all(
                pipeline.owner("core", core["customer_id"])
                and pipeline.owner("openbanking", bank["customer_id"])
                for core, bank, _ in pairs
            )
        ),
        what="four profiles",
    )
    (core, bank, phone), (control_core, control_bank, control_phone) = pairs
    records = [
        {"source_system": "core", "source_customer_id": core["customer_id"]},
        {"source_system": "openbanking", "source_customer_id": bank["customer_id"]},
    ]
    propose_and_approve(stewards, action="different_people", records=records)

    # each openbanking record now gives its core namesake's phone: the control pair merges
    give_phone(openbanking_url, bank["customer_id"], phone)
    give_phone(openbanking_url, control_bank["customer_id"], control_phone)
    pipeline.wait_until(
        lambda: (
            pipeline.idle()
            and pipeline.scalar(
                "SELECT count(*) FROM source_customer WHERE source_system = 'openbanking'"
                " AND phone IS NOT NULL"
            )
            == 2
        ),
        what="the new phones read",
    )

    assert pipeline.owner("openbanking", control_bank["customer_id"]) == pipeline.owner(
        "core", control_core["customer_id"]
    )
    assert pipeline.owner("openbanking", bank["customer_id"]) != pipeline.owner(
        "core", core["customer_id"]
    )
    assert replay_everything(pipeline)
    assert pipeline.owner("openbanking", bank["customer_id"]) != pipeline.owner(
        "core", core["customer_id"]
    )


def test_a_merge_with_a_profile_under_a_fraud_case_waits_for_a_steward(
    openbanking_url, pipeline, stewards
):
    simulator = Simulator({**pipeline.source_urls, "openbanking": openbanking_url}, seed=45)
    try:
        suspect = simulator.new_customer(
            FirstName="Juma", LastName="Hassan", IdentificationNumber="22345678",
            PrimaryPhone="0733 444 555",
        )  # fmt: skip
        posting = simulator.post_transaction(suspect["account_id"], "90000", "Credit", "MOBILE")
        simulator.open_fraud_case(suspect["customer_number"], posting["reference"], 0.95)
        bank = simulator.openbanking_customer("Juma", "Hassan", "juma.h@mail.co.ke", "0700 999 888")
    finally:
        simulator.close()
    pipeline.wait_until(
        lambda: (
            pipeline.idle()
            and pipeline.owner("openbanking", bank["customer_id"])
            and pipeline.scalar("SELECT count(global_customer_id) FROM fraud_case") == 1
        ),
        what="both profiles and the case",
    )
    flagged = pipeline.owner("core", suspect["customer_id"])
    other = pipeline.owner("openbanking", bank["customer_id"])
    assert flagged != other

    # the openbanking customer now gives the suspect's phone: phone evidence alone
    give_phone(openbanking_url, bank["customer_id"], "+254733444555")

    def held():
        found = stewards["amina"].get("/steward/review-queue?kind=risk_gate").get_json()
        return pipeline.idle() and found["items"]

    (item,) = pipeline.wait_until(held, timeout=30, what="the merge held for a steward")
    assert pipeline.owner("openbanking", bank["customer_id"]) == other
    proposal = (
        stewards["amina"]
        .post(
            f"/steward/review-queue/{item['item_id']}/proposals",
            json={"action": "same_person", "reason": "called him: one person"},
        )
        .get_json()
    )
    approve(stewards, proposal["proposal_id"])

    assert pipeline.owner("openbanking", bank["customer_id"]) == pipeline.owner(
        "core", suspect["customer_id"]
    )
    assert pipeline.scalar("SELECT count(*) FROM merge_history WHERE actor = 'brian'") == 1


def test_a_steward_action_and_a_batch_on_the_same_people_take_the_same_lock(pipeline, stewards):
    simulator = Simulator(pipeline.source_urls, seed=47)
    try:
        customer = simulator.new_customer(
            IdentificationNumber="51234567", PrimaryPhone="0711 222 333"
        )
        login = simulator.login(customer, device_id="phone-1")
    finally:
        simulator.close()
    pipeline.wait_until(
        lambda: (
            pipeline.idle()
            and pipeline.owner("core", customer["customer_id"]) is not None
            and pipeline.owner("channel", login["user_id"])
            == pipeline.owner("core", customer["customer_id"])
        ),
        what="her login linked to her",
    )
    proposed = stewards["amina"].post(
        "/steward/proposals",
        json={
            "action": "unmerge_record",
            "record": {"source_system": "channel", "source_customer_id": login["user_id"]},
            "reason": "a shared line",
        },
    )
    assert proposed.status_code == 201, proposed.get_json()
    proposal = proposed.get_json()

    outcome = {}
    with db.get_engine().connect() as holder:
        # whoever holds the identity locks of her records (here: this test) keeps both waiting
        held = holder.begin()
        IdentityLocks(holder).take(
            [
                customer_key("core", customer["customer_id"]),
                customer_key("channel", login["user_id"]),
            ]
        )
        approval = threading.Thread(
            target=lambda: outcome.update(
                response=stewards["brian"].post(
                    f"/steward/proposals/{proposal['proposal_id']}/approve", json={}
                )
            )
        )
        approval.start()
        simulator = Simulator(pipeline.source_urls, seed=48)
        try:  # a batch on the same people: another login on her line
            simulator.login(customer, device_id="phone-2")
        finally:
            simulator.close()
        approval.join(timeout=3)
        assert approval.is_alive()  # waiting for the locks, as the batch is
        held.rollback()
        approval.join(timeout=30)
    assert outcome["response"].status_code == 200
    pipeline.wait_until(
        lambda: pipeline.idle() and pipeline.scalar("SELECT count(*) FROM channel_login") == 2
    )

    split = pipeline.owner("channel", login["user_id"])
    assert split != pipeline.owner("core", customer["customer_id"])
    # one consistent result: every login with the channel record's profile, every record in
    # an active profile
    assert (
        pipeline.scalar(
            "SELECT count(*) FROM channel_login WHERE global_customer_id IS DISTINCT FROM :g",
            g=split,
        )
        == 0
    )
    assert (
        pipeline.scalar(
            "SELECT count(*) FROM source_customer sc JOIN customer_360 c USING (global_customer_id)"
            " WHERE c.status <> 'active'"
        )
        == 0
    )
