"""Twins, siblings and re-registrations through the real worker and beat: IDs one edit apart
merge only when nothing tells the two records apart, and a gender difference blocks every link
across records."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from app import create_app, db
from app.access.keys import create_key
from app.config import Settings
from sandbox.simulator import Simulator

pytestmark = pytest.mark.integration


def api_client():
    settings = dataclasses.replace(Settings.from_env(), api_keys=("twins-key",))
    client = create_app(settings).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer twins-key"
    return client


def person(first, last, national_id, born, gender, **columns):
    return {
        "FirstName": first,
        "LastName": last,
        "IdentificationNumber": national_id,
        "DateOfBirth": datetime.fromisoformat(born),
        "Gender": gender,
        **columns,
    }


# IDs one edit apart within each pair, never across pairs.
PAIRS = {
    "boy-girl twins": (
        person("Otieno", "Ouma", "31234567", "2001-03-04", "Male", PrimaryPhone="0711 234 500"),
        person("Atieno", "Ouma", "31234568", "2001-03-04", "Female", PrimaryPhone="0711234500"),
    ),
    "same-gender twins": (
        person("Faith", "Chebet", "ID42345678", "1996-08-09", "F"),
        person("Mercy", "Chebet", "42345679", "1996-08-09", "F"),
    ),
    "sisters": (
        person("Wanjiru", "Njoroge", "53456781", "1990-01-01", "Female"),
        person("Wanjiku", "Njoroge", "53456782", "1991-01-01", "Female"),
    ),
    "ID, birth date and surname one character apart": (
        person("Wanjiru", "Probe1", "64567812", "1980-05-01", "Female"),
        person("Wanjiru", "Probe2", "64567813", "1980-05-02", "Female"),
    ),
}


def test_twins_and_siblings_stay_apart_and_a_re_registration_merges(pipeline):
    simulator = Simulator(pipeline.source_urls, seed=23)
    try:
        created = {
            case: [simulator.new_customer(**columns) for columns in pair]
            for case, pair in PAIRS.items()
        }
        probe2 = created["ID, birth date and surname one character apart"][1]
        posting = simulator.post_transaction(probe2["account_id"], "250000", "Credit", "MOBILE")
        case = simulator.open_fraud_case(probe2["customer_number"], posting["reference"], 0.9)
        # one woman, registered again at another branch with one digit of her ID mistyped
        first = simulator.new_customer(
            **person("Mary", "Otieno", "75678123", "1979-11-30", "Female", MiddleName="Akinyi")
        )
        again = simulator.new_customer(
            **person("Mary", "Otieno", "75678193", "1979-11-30", "F", MiddleName="Akinyi")
        )
    finally:
        simulator.close()

    def settled():
        return (
            pipeline.idle()
            and pipeline.scalar("SELECT count(*) FROM source_customer") == 10
            and pipeline.scalar("SELECT count(global_customer_id) FROM fraud_case") == 1
        )

    pipeline.wait_until(settled, timeout=60, what="every customer and the fraud case linked")

    def gid(customer):
        return pipeline.scalar(
            "SELECT global_customer_id FROM source_customer"
            " WHERE source_system = 'core' AND source_customer_id = :key",
            key=customer["customer_id"],
        )

    for name, (a, b) in created.items():
        assert gid(a) != gid(b), name
    assert gid(first) == gid(again)
    assert pipeline.scalar("SELECT count(*) FROM customer_360 WHERE status = 'active'") == 9
    # the fraud case stays with the one it was opened on
    assert pipeline.scalar(
        "SELECT global_customer_id FROM fraud_case WHERE source_case_id = :id",
        id=str(case["case_id"]),
    ) == gid(probe2)

    with db.transaction() as conn:
        steward = create_key(conn, "twins-steward", ["steward"])
    client = api_client()
    suspects = client.get(
        "/identity/suspected-duplicates", headers={"Authorization": f"Bearer {steward}"}
    ).get_json()
    assert sorted((s["national_id_a"], s["national_id_b"]) for s in suspects) == [
        ("31234567", "31234568"),
        ("42345678", "42345679"),
        ("53456781", "53456782"),
        ("64567812", "64567813"),
    ]
    twins = next(s for s in suspects if s["national_id_a"] == "31234567")
    assert twins["evidence"]["checks"] == {
        "date_of_birth": "equal",
        "names": "differs",
        "gender": "differs",
    }
    assert [r["full_name"] for r in twins["evidence"]["records_b"]] == ["Atieno Ouma"]
    assert {s["global_customer_id_a"] for s in suspects}.isdisjoint(
        {s["global_customer_id_b"] for s in suspects}
    )
    profile = client.get(f"/customer/{gid(again)}").get_json()
    assert profile["gender"] == {"value": "female", "source": "core"}
    assert len(profile["source_records"]) == 2


def test_a_gender_difference_blocks_phone_and_email_links(pipeline):
    simulator = Simulator(pipeline.source_urls, seed=29)
    try:
        him = simulator.new_customer(
            **person("Otieno", "Ouma", "86789123", "1990-02-02", "Male"),
            PrimaryPhone="0722 100 200",
            Email="ouma.family@mail.com",
        )
        # core records without an ID in his name, on his phone and on his email, but a woman's
        her_phone = simulator.new_customer(
            FirstName="Otieno",
            LastName="Ouma",
            IdentificationNumber=None,
            Gender="Female",
            PrimaryPhone="+254722100200",
            Email=None,
        )
        her_email = simulator.new_customer(
            FirstName="Otieno",
            LastName="Ouma",
            IdentificationNumber=None,
            Gender="F",
            PrimaryPhone=None,
            Email="OUMA.FAMILY@mail.com ",
        )
        # a record without an ID and without a gender on file links by phone
        other = simulator.new_customer(
            **person("Odhiambo", "Were", "97891234", "1985-06-06", "Male"),
            PrimaryPhone="0733 300 400",
        )
        unknown = simulator.new_customer(
            FirstName="Odhiambo",
            LastName="Were",
            IdentificationNumber=None,
            Gender=None,
            PrimaryPhone="0733300400",
            Email=None,
        )
    finally:
        simulator.close()
    pipeline.wait_until(
        lambda: pipeline.idle() and pipeline.scalar("SELECT count(*) FROM source_customer") == 5,
        timeout=60,
        what="five core customers linked",
    )

    def gid(customer):
        return pipeline.scalar(
            "SELECT global_customer_id FROM source_customer WHERE source_customer_id = :key",
            key=customer["customer_id"],
        )

    assert gid(her_phone) != gid(him)
    assert gid(her_email) != gid(him)
    assert gid(unknown) == gid(other)
