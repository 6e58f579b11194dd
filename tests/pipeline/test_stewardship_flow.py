"""Stewards at work as a bank's would be: rows written into core and channel, read by the real
worker and beat, two steward keys acting through the API process. An approved merge makes one
profile; an unmerge moves one record and what hangs on it alone, keeps the original ID on what
stays, and the auditor still finds who read the record's data before; a merge over a standing
"different people" decision is refused."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text

from app import processes
from app.access.keys import create_key
from sandbox.simulator import Simulator
from tests.conftest import free_port
from tests.pipeline.conftest import Pipeline

pytestmark = pytest.mark.integration


class _Unredirected(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 308 is an answer to look at, not to follow


_opener = urllib.request.build_opener(_Unredirected)


class Api:
    """The API process, and the keys of the people using it."""

    def __init__(self, pipeline: Pipeline, engine: Engine) -> None:
        port = free_port()
        pipeline.start(api=processes.api_command(port, workers=1))
        self.url = f"http://127.0.0.1:{port}"
        with engine.begin() as conn:
            self.keys = {
                name: create_key(conn, name, [scope])
                for name, scope in (
                    ("steward-amina", "steward"),
                    ("steward-brian", "steward"),
                    ("teller", "read"),
                    ("dpo", "admin"),
                )
            }
        pipeline.wait_until(lambda: self.answers(), 30, "the API")

    def answers(self) -> bool:
        try:
            return self.call("GET", "/health")[0] in (200, 503)
        except OSError:
            return False

    def call(self, method: str, path: str, body: Any = None, as_: str | None = None) -> tuple:
        """(status, JSON body, headers)."""
        headers = {"Content-Type": "application/json"}
        if as_:
            headers["Authorization"] = f"Bearer {self.keys[as_]}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data, headers, method=method)
        try:
            with _opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null"), response.headers
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null"), error.headers

    def decide(self, **proposal: Any) -> dict:
        """Proposed by Amina, approved by Brian: the approved proposal."""
        status, body, _ = self.call(
            "POST",
            "/steward/proposals",
            {"reason": "seen at the branch", **proposal},
            "steward-amina",
        )
        assert status == 201, body
        status, body, _ = self.call(
            "POST", f"/steward/proposals/{body['proposal_id']}/approve", {}, "steward-brian"
        )
        assert status == 200, body
        assert body["status"] == "approved"
        return body


@pytest.fixture
def api(pipeline: Pipeline, engine: Engine) -> Api:
    return Api(pipeline, engine)


@pytest.fixture
def simulator(pipeline: Pipeline):
    simulator = Simulator(pipeline.source_urls, seed=31)
    yield simulator
    simulator.close()


def landed(pipeline: Pipeline, *records: tuple[str, str]) -> list:
    return pipeline.wait_until(
        lambda: (ids := [pipeline.owner(*r) for r in records]) and all(ids) and ids,
        60,
        f"{len(records)} records linked",
    )


def test_an_approved_merge_leaves_one_profile_and_the_other_id_redirects(pipeline, api, simulator):
    a = simulator.new_customer(
        FirstName="John", MiddleName="Mwangi", LastName="Njoroge", IdentificationNumber="23456789",
        DateOfBirth=datetime(1985, 2, 3), PrimaryPhone="0711000001",
    )  # fmt: skip
    b = simulator.new_customer(
        FirstName="John", MiddleName="Mwangi", LastName="Njoroge", IdentificationNumber="23456798",
        PrimaryPhone="0711000001", SecondaryPhone="0722000002",
    )  # fmt: skip
    login = simulator.login({"phone": "0722000002", "full_name": "John M Njoroge"})
    records = [
        ("core", a["customer_id"]),
        ("core", b["customer_id"]),
        ("channel", login["user_id"]),
    ]
    first, second, third = landed(pipeline, *records)
    assert first != second == third  # a transposed ID with no birth date: not confirmed

    api.decide(action="merge", global_customer_ids=[str(first), str(second)])

    (survivor,) = {pipeline.owner(*r) for r in records}
    merged_away = second if survivor == first else first
    status, _, headers = api.call("GET", f"/customer/{merged_away}", as_="teller")
    assert (status, headers["Location"]) == (308, f"/customer/{survivor}")
    status, profile, _ = api.call("GET", f"/customer/{survivor}", as_="teller")
    assert status == 200
    linked = {(r["source_system"], r["source_customer_id"]) for r in profile["source_records"]}
    assert linked == set(records)


def test_unmerging_one_record_keeps_the_original_id_on_what_stays_and_its_reads(
    pipeline, api, simulator
):
    her = {"FirstName": "Mary", "MiddleName": "Wanjiku", "LastName": "Kamau",
           "DateOfBirth": datetime(1990, 5, 6)}  # fmt: skip
    x = simulator.new_customer(**her, IdentificationNumber="12345678", PrimaryPhone="0711000011")
    y = simulator.new_customer(**her, IdentificationNumber="12 345 678", PrimaryPhone="0711000012")
    login_x = simulator.login({"phone": "0711000011", "full_name": "Mary Kamau"})
    login_y = simulator.login({"phone": "0711000012", "full_name": "Mary W Kamau"})
    records = {
        "x": ("core", x["customer_id"]),
        "y": ("core", y["customer_id"]),
        "login_x": ("channel", login_x["user_id"]),
        "login_y": ("channel", login_y["user_id"]),
    }
    (original,) = set(landed(pipeline, *records.values()))
    pipeline.wait_until(lambda: _accounts(pipeline, original) == 2, 60, "her two accounts")
    status, _, _ = api.call("GET", f"/customer/{original}", as_="teller")  # a read before
    assert status == 200

    api.decide(
        action="unmerge_record",
        record={"source_system": "core", "source_customer_id": x["customer_id"]},
    )

    now = {name: pipeline.owner(*key) for name, key in records.items()}
    assert now["y"] == now["login_y"] == original
    assert now["x"] == now["login_x"] != original
    status, profile, _ = api.call("GET", f"/customer/{original}", as_="teller")
    assert status == 200
    assert profile["national_id"]["value"] and len(profile["accounts"]) == 1
    rules = pipeline.scalar(
        "SELECT count(*) FROM identity_rule WHERE :login IN (customer_a, customer_b)",
        login=login_x["user_id"],
    )
    assert rules == 0  # no decision between her record and her own login
    # the auditor asking who saw the split-out record's data finds the read before the split
    status, entries, _ = api.call("GET", f"/admin/access-log?customer={now['x']}", as_="dpo")
    assert status == 200
    reads = [e for e in entries if e["key_name"] == "teller"]
    assert [(e["endpoint"], e["customer_ids"]) for e in reads] == [
        ("/customer/<uuid:global_id>", [str(original)])
    ]


def test_a_merge_over_a_standing_different_people_decision_is_refused(pipeline, api, simulator):
    family = {"LastName": "Ouma", "PrimaryPhone": "0711000021"}
    father = simulator.new_customer(
        FirstName="Peter", MiddleName="Otieno", IdentificationNumber="21000001",
        DateOfBirth=datetime(1960, 1, 1), **family,
    )  # fmt: skip
    son = simulator.new_customer(
        FirstName="Peter", MiddleName="Otieno", IdentificationNumber="31000001",
        DateOfBirth=datetime(1990, 1, 1), **family,
    )  # fmt: skip
    records = [("core", father["customer_id"]), ("core", son["customer_id"])]
    first, second = landed(pipeline, *records)
    decision = api.decide(
        action="different_people",
        records=[{"source_system": s, "source_customer_id": k} for s, k in records],
    )

    status, body, _ = api.call(
        "POST",
        "/steward/proposals",
        {"action": "merge", "global_customer_ids": [str(first), str(second)], "reason": "same?"},
        "steward-amina",
    )

    assert status == 409
    assert f"proposal {decision['proposal_id']} declared" in body["message"]
    assert [pipeline.owner(*r) for r in records] == [first, second]


def _accounts(pipeline: Pipeline, global_id: Any) -> int:
    with pipeline.engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM account_360 WHERE global_customer_id = :g"),
            {"g": global_id},
        ).scalar_one()
