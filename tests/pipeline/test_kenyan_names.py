"""Kenyan names through the real worker and beat: a son's login on his father's household line
stays off the father's profile and waits in review with its evidence; transliterated logins join
their holder, with why; sisters and Luo twins on one line stay apart."""

from __future__ import annotations

import dataclasses

import pytest

from app import create_app, db
from app.access.keys import create_key
from app.config import Settings
from sandbox.simulator import Simulator

pytestmark = pytest.mark.integration


def client_with(scopes: list[str], name: str):
    with db.transaction() as conn:
        key = create_key(conn, name, scopes)
    client = create_app(dataclasses.replace(Settings.from_env(), api_keys=())).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


HOLDERS = {
    "father": ("Kamau", "Njoroge", "21345678", "0722 310 001"),
    "ahmed": ("Ahmed", "Ali", "22345678", "0722 310 002"),
    "ibrahim": ("Ibrahim", "Mohamed", "23345678", "0722 310 003"),
    "sister": ("Wanjiru", "Kamau", "24345678", "0722 310 004"),
    "twin": ("Otieno", "Ouma", "25345678", "0722 310 005"),
}
LOGINS = {  # the name each line's mobile-banking login was opened in
    "father": "Njoroge K.",  # his son, named after his grandfather
    "ahmed": "Ahmad A.",
    "ibrahim": "Ebrahim M.",
    "sister": "Wanjiku Kamau",
    "twin": "Atieno Ouma",
}


def test_names_as_kenyans_write_them(pipeline):
    simulator = Simulator(pipeline.source_urls, seed=32)
    try:
        core = {
            who: simulator.new_customer(
                FirstName=first,
                LastName=last,
                IdentificationNumber=national_id,
                PrimaryPhone=phone,
                Email=None,
                SecondaryPhone=None,
            )
            for who, (first, last, national_id, phone) in HOLDERS.items()
        }
        logins = {
            who: simulator.login({"phone": HOLDERS[who][3], "full_name": name})
            for who, name in LOGINS.items()
        }
    finally:
        simulator.close()

    def settled():
        return pipeline.idle() and pipeline.scalar("SELECT count(*) FROM source_customer") == 10

    pipeline.wait_until(settled, timeout=90, what="every core customer and login resolved")
    joined = {
        who: pipeline.owner("core", core[who]["customer_id"])
        == pipeline.owner("channel", logins[who]["user_id"])
        for who in HOLDERS
    }
    assert joined == {
        "father": False,
        "ahmed": True,
        "ibrahim": True,
        "sister": False,
        "twin": False,
    }

    reader = client_with(["read"], "names-reader")
    for who, spelled in (("ahmed", "ahmad ~ ahmed"), ("ibrahim", "ebrahim ~ ibrahim")):
        gid = pipeline.owner("core", core[who]["customer_id"])
        identity = reader.get(f"/customer/{gid}/identity").get_json()
        links = {(r["source_system"], r["source_customer_id"]): r for r in identity["links"]}
        login = links[("channel", logins[who]["user_id"])]
        assert login["match_rule"] == "phone"
        assert login["why"]["rule"] == "phone"
        assert login["why"]["with"] == ["core", core[who]["customer_id"]]
        assert f"{spelled}: transliteration" in login["why"]["names"]["tokens"]
        # whichever of the two arrived second was matched to the other, and says why
        pair = {("core", core[who]["customer_id"]), ("channel", logins[who]["user_id"])}
        (decision,) = [
            d
            for d in identity["decisions"]
            if (d["source_system"], d["source_customer_id"]) in pair and d["decision"] == "matched"
        ]
        record = (decision["source_system"], decision["source_customer_id"])
        assert decision["why"]["rule"] == "phone"
        assert {tuple(decision["why"]["with"])} == pair - {record}
        assert any("transliteration" in t for t in decision["why"]["names"]["tokens"])

    steward = client_with(["steward"], "names-steward")
    queue = steward.get("/steward/review-queue").get_json()
    by_login = {
        side["source_customer_id"]: item
        for item in queue["items"]
        for side in item["evidence"]["side_b"] + item["evidence"]["side_a"]
        if side["source_system"] == "channel"
    }
    son = by_login[logins["father"]["user_id"]]
    assert son["kind"] == "reversed_names" and son["identifier"] == "phone"
    assert "possible son" in son["reason"]
    assert son["evidence"]["names"]["names"] == ["Njoroge K.", "Kamau Njoroge"]
    assert "possible son" in son["evidence"]["names"]["order"]
    assert {r["full_name"] for r in son["evidence"]["side_a"] + son["evidence"]["side_b"]} == {
        "Njoroge K.",
        "Kamau Njoroge",
    }
    assert by_login[logins["sister"]["user_id"]]["kind"] == "on_the_line"
    # a login whose name contradicts the holder's is another person on the line
    assert by_login[logins["twin"]["user_id"]]["kind"] == "shared_line"
