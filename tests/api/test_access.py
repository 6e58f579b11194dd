"""Scoped keys and the access log: every secured endpoint refuses a key without its scope (403,
naming it), and every response carrying a person's data leaves an entry saying who read which
customers, through which endpoint, when and from where."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.access.auth import SecuredBlueprint
from app.access.keys import SCOPES, create_key, digest, revoke_key
from app.access.models import access_log, api_key
from app.events.webhooks import subscribe
from app.identity.models import review_item
from app.stewardship.service import propose
from tests.api.conftest import NOW

# Every secured endpoint: the scope it needs, how to call it (URL template, JSON body) and its
# success status. The completeness test below fails when an endpoint is added without an entry.
UNMERGE_AMINA = {
    "action": "unmerge_record",
    "record": {"source_system": "channel", "source_customer_id": "u-7"},
    "reason": "not the same person",
}
INBOUND_EVENT = {
    "specversion": "1.0",
    "id": "evt-access-1",
    "source": "core",
    "type": "CustomerCreated",
    "time": "2026-11-30T09:00:00+03:00",
    "subject": "c-access-1",
    "data": {"Id": "c-access-1"},
}
NEW_SUBSCRIPTION = {
    "url": "https://decisions.example.co.ke/c360",
    "types": ["RiskLevelChanged"],
    "secret": "sixteen-or-more-characters",
}
ENDPOINTS = {
    ("GET", "/customer/<uuid:global_id>"): ("read", "/customer/{id}", None, 200),
    ("GET", "/customer/<uuid:global_id>/accounts"): ("read", "/customer/{id}/accounts", None, 200),
    ("GET", "/customer/<uuid:global_id>/loans"): ("read", "/customer/{id}/loans", None, 200),
    ("GET", "/customer/<uuid:global_id>/transactions"): (
        "read",
        "/customer/{id}/transactions",
        None,
        200,
    ),
    ("GET", "/customer/<uuid:global_id>/risk"): ("read", "/customer/{id}/risk", None, 200),
    ("GET", "/customer/<uuid:global_id>/identity"): ("read", "/customer/{id}/identity", None, 200),
    ("GET", "/customer/<uuid:global_id>/export"): ("read", "/customer/{id}/export", None, 200),
    ("GET", "/customers"): (
        "read",
        "/customers?source_system=core&source_customer_id=101",
        None,
        200,
    ),
    ("POST", "/customers/search"): ("read", "/customers/search", {"phone": "0712 345 678"}, 200),
    ("GET", "/identity/suspected-duplicates"): (
        "steward",
        "/identity/suspected-duplicates",
        None,
        200,
    ),
    ("POST", "/steward/proposals"): ("steward", "/steward/proposals", UNMERGE_AMINA, 201),
    ("GET", "/steward/proposals"): ("steward", "/steward/proposals", None, 200),
    ("GET", "/steward/proposals/<row_id:proposal_id>"): (
        "steward",
        "/steward/proposals/{proposal}",
        None,
        200,
    ),
    ("POST", "/steward/proposals/<row_id:proposal_id>/approve"): (
        "steward",
        "/steward/proposals/{proposal}/approve",
        {},
        200,
    ),
    ("POST", "/steward/proposals/<row_id:proposal_id>/reject"): (
        "steward",
        "/steward/proposals/{other_proposal}/reject",
        {"note": "not convinced"},
        200,
    ),
    ("GET", "/steward/review-queue"): ("steward", "/steward/review-queue", None, 200),
    ("POST", "/steward/review-queue/<row_id:item_id>/proposals"): (
        "steward",
        "/steward/review-queue/{item}/proposals",
        {"action": "different_people", "reason": "twins"},
        201,
    ),
    ("GET", "/admin/quarantine"): ("admin", "/admin/quarantine", None, 200),
    ("POST", "/ingest/events"): ("ingest", "/ingest/events", [INBOUND_EVENT], 202),
    ("GET", "/admin/access-log"): ("admin", "/admin/access-log", None, 200),
    ("GET", "/events"): ("read", "/events?after=0", None, 200),
    ("POST", "/subscriptions"): ("admin", "/subscriptions", NEW_SUBSCRIPTION, 201),
    ("GET", "/subscriptions"): ("admin", "/subscriptions", None, 200),
    ("GET", "/subscriptions/<row_id:subscription_id>"): (
        "admin",
        "/subscriptions/{subscription}",
        None,
        200,
    ),
    ("POST", "/subscriptions/<row_id:subscription_id>/resume"): (
        "admin",
        "/subscriptions/{subscription}/resume",
        None,
        200,
    ),
    # last: the subscription is gone after it
    ("DELETE", "/subscriptions/<row_id:subscription_id>"): (
        "admin",
        "/subscriptions/{subscription}",
        None,
        204,
    ),
}
CUSTOMER_ENDPOINTS = [
    key for key in ENDPOINTS if "{" in ENDPOINTS[key][1] and "subscription" not in key[1]
] + [
    ("GET", "/customers"),
    ("POST", "/customers/search"),
    ("POST", "/steward/proposals"),
    ("GET", "/steward/proposals"),
]


@pytest.fixture
def world(conn, customer):
    """What the URL templates name: the customer (Amina: core 101 and channel u-7), two
    pending proposals by another steward, and an open review item about her two records."""
    proposals = [
        propose(conn, "unmerge_record", {"record": UNMERGE_AMINA["record"]}, "why", "steward-x")
        for _ in range(2)
    ]
    item = conn.execute(
        insert(review_item)
        .values(
            kind="contradiction",
            system_a="channel",
            customer_a="u-7",
            system_b="core",
            customer_b="101",
            reason="phone matches, but names or dates of birth disagree: not used",
            evidence={"side_a": [], "side_b": []},
        )
        .returning(review_item.c.item_id)
    ).scalar_one()
    return {
        "id": customer,
        "proposal": proposals[0]["proposal_id"],
        "other_proposal": proposals[1]["proposal_id"],
        "item": item,
        "subscription": subscribe(
            conn, "https://decisions.example.co.ke/c360", ["RiskLevelChanged"], "s" * 16, None
        )["subscription_id"],
    }


def call(client, endpoint, world, headers, **kwargs):
    method, _ = endpoint
    _, url, body, _ = ENDPOINTS[endpoint]
    return client.open(url.format(**world), method=method, json=body, headers=headers, **kwargs)


def test_every_secured_endpoint_is_in_the_table(flask_app):
    secured = {
        (method, rule.rule)
        for rule in flask_app.url_map.iter_rules()
        if isinstance(flask_app.blueprints.get(rule.endpoint.split(".")[0]), SecuredBlueprint)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert secured == set(ENDPOINTS)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS), ids=lambda e: f"{e[0]} {e[1]}")
@pytest.mark.parametrize("scope", SCOPES)
def test_a_key_reaches_only_the_endpoints_of_its_scopes(
    client, world, headers_for, endpoint, scope
):
    required, _, _, success = ENDPOINTS[endpoint]

    response = call(client, endpoint, world, headers_for(scope))

    if scope == required:
        assert response.status_code == success, response.get_json()
    else:
        assert response.status_code == 403
        body = response.get_json()
        assert body["code"] == 403
        assert f"lacks the '{required}' scope" in body["message"]


def test_the_bootstrap_key_reads_and_nothing_else(client, auth_headers, world):
    for endpoint, (required, _, _, success) in ENDPOINTS.items():
        expected = success if required == "read" else 403
        assert call(client, endpoint, world, auth_headers).status_code == expected, endpoint


def test_a_key_with_several_scopes_has_each(client, world, headers_for):
    headers = headers_for("read", "admin")
    for endpoint, (required, _, _, success) in ENDPOINTS.items():
        expected = success if required in ("read", "admin") else 403
        assert call(client, endpoint, world, headers).status_code == expected, endpoint


def newest_entry(conn):
    query = select(access_log).order_by(access_log.c.access_id.desc()).limit(1)
    return conn.execute(query).mappings().first()


@pytest.mark.parametrize("endpoint", list(ENDPOINTS), ids=lambda e: f"{e[0]} {e[1]}")
def test_every_data_response_is_in_the_access_log(
    client, conn, world, customer, headers_for, endpoint
):
    scope, _, _, success = ENDPOINTS[endpoint]
    headers = headers_for(scope, name=f"auditor-{scope}")

    response = call(client, endpoint, world, headers, environ_base={"REMOTE_ADDR": "10.20.30.40"})

    assert response.status_code == success, response.get_json()
    entry = newest_entry(conn)
    assert (entry["key_name"], entry["method"], entry["endpoint"]) == (
        f"auditor-{scope}",
        endpoint[0],
        endpoint[1],
    )
    assert entry["status"] == success
    assert entry["remote_addr"] == "10.20.30.40"
    assert abs(entry["at"] - conn.execute(text("SELECT now()")).scalar()) < timedelta(minutes=1)
    if endpoint in CUSTOMER_ENDPOINTS:
        assert customer in entry["customer_ids"]


def test_refused_and_failed_requests_serve_nobody_and_are_not_logged(
    client, conn, customer, auth_headers, headers_for
):
    before = conn.execute(select(access_log.c.access_id)).all()

    client.get(f"/customer/{customer}")  # no key
    client.get(f"/customer/{customer}", headers={"Authorization": "Bearer c360_forged"})
    client.get("/admin/quarantine", headers=auth_headers)  # 403
    client.get(f"/customer/{customer.hex[:-1]}0", headers=auth_headers)  # 404

    assert conn.execute(select(access_log.c.access_id)).all() == before


def test_a_search_logs_every_customer_it_found(
    client, conn, auth_headers, make_customer, link_source
):
    a, b = make_customer(full_name="A"), make_customer(full_name="B")
    link_source(a, "core", "1", phone="+254722000111")
    link_source(b, "core", "2", phone="+254722000111")

    client.post("/customers/search", json={"phone": "0722000111"}, headers=auth_headers)

    assert sorted(newest_entry(conn)["customer_ids"]) == sorted([a, b])


def test_the_access_log_is_append_only(client, conn, customer, auth_headers):
    client.get(f"/customer/{customer}", headers=auth_headers)
    entry = newest_entry(conn)

    for statement in (
        "UPDATE access_log SET key_name = 'someone-else'",
        "DELETE FROM access_log",
        "TRUNCATE access_log",
    ):
        with pytest.raises(DBAPIError, match="append-only"), conn.begin_nested():
            conn.execute(text(statement))
    assert newest_entry(conn) == entry


def test_an_auditor_finds_who_read_a_customer_merged_ids_included(
    client, conn, customer, auth_headers, headers_for, make_customer
):
    other = make_customer(full_name="Someone else")
    client.get(f"/customer/{customer}", headers=auth_headers)
    client.get(f"/customer/{other}/accounts", headers=auth_headers)
    client.get(f"/customer/{customer}/risk", headers=headers_for("read", name="branch-teller"))
    # later the customer is merged into another: reads of the survivor concern it too
    survivor = make_customer(full_name="Survivor")
    conn.execute(
        text(
            "UPDATE customer_360 SET status = 'merged', merged_into = :s"
            " WHERE global_customer_id = :c"
        ),
        {"s": survivor, "c": customer},
    )
    auditor = headers_for("admin", name="dpo")

    entries = client.get(
        "/admin/access-log", query_string={"customer": customer}, headers=auditor
    ).get_json()
    of_survivor = client.get(
        "/admin/access-log", query_string={"customer": survivor}, headers=auditor
    ).get_json()

    assert [(e["key_name"], e["endpoint"]) for e in entries] == [
        ("branch-teller", "/customer/<uuid:global_id>/risk"),
        (entries[1]["key_name"], "/customer/<uuid:global_id>"),
    ]
    assert entries[1]["key_name"].startswith("bootstrap-")
    assert [e["access_id"] for e in of_survivor] == [e["access_id"] for e in entries]
    teller_only = client.get(
        "/admin/access-log", query_string={"key": "branch-teller"}, headers=auditor
    ).get_json()
    assert [e["endpoint"] for e in teller_only] == ["/customer/<uuid:global_id>/risk"]


@pytest.mark.parametrize(
    "query",
    [
        {"customer": "not-a-uuid"},
        {"since": "2026-11-01T00:00:00"},  # no offset: refused, not guessed
        {"limit": "0"},
        {"key": "teller\x00"},
    ],
)
def test_bad_access_log_queries_are_422(client, headers_for, query):
    response = client.get("/admin/access-log", query_string=query, headers=headers_for("admin"))

    assert response.status_code == 422
    assert response.get_json()["message"].startswith("Invalid input")


def test_keys_are_stored_hashed_and_revocable(client, conn, customer):
    key = create_key(conn, "mobile-app", ["read"])
    stored = conn.execute(select(api_key).where(api_key.c.name == "mobile-app")).mappings().one()
    assert key not in str(dict(stored))
    assert stored["key_hash"] == digest(key)

    headers = {"Authorization": f"Bearer {key}"}
    assert client.get(f"/customer/{customer}", headers=headers).status_code == 200
    revoke_key(conn, "mobile-app")
    assert client.get(f"/customer/{customer}", headers=headers).status_code == 401


def entries_of(conn, key_name: str) -> int:
    """How many access-log entries a key has left."""
    query = select(func.count()).select_from(access_log).where(access_log.c.key_name == key_name)
    return conn.execute(query).scalar()


def key_look_ups(conn) -> list[str]:
    """The statements that look a key up, as they run on `conn` from now on."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        if "FROM api_key" in statement and "INSERT" not in statement:
            seen.append(statement)

    event.listen(conn, "before_cursor_execute", note)
    return seen


def test_a_read_with_a_key_found_active_asks_for_it_no_more(client, conn, customer):
    headers = {"Authorization": f"Bearer {create_key(conn, 'teller-app', ['read'])}"}
    assert client.get(f"/customer/{customer}", headers=headers).status_code == 200
    look_ups = key_look_ups(conn)

    for _ in range(3):
        assert client.get(f"/customer/{customer}", headers=headers).status_code == 200

    assert look_ups == []
    logged = entries_of(conn, "teller-app")
    assert logged == 4


def test_a_revoked_key_a_process_remembers_gets_no_data_and_leaves_no_entry(client, conn, customer):
    headers = {"Authorization": f"Bearer {create_key(conn, 'old-app', ['read'])}"}
    assert client.get(f"/customer/{customer}", headers=headers).status_code == 200
    revoke_key(conn, "old-app")

    refused = client.get(f"/customer/{customer}", headers=headers)

    assert refused.status_code == 401
    assert refused.get_json()["message"] == "Invalid bearer key"
    assert "invalid_token" in refused.headers["WWW-Authenticate"]
    assert "national_id" not in refused.get_data(as_text=True)
    logged = entries_of(conn, "old-app")
    assert logged == 1  # the read before the revocation only


def test_a_revoked_key_a_process_remembers_learns_nothing_from_a_miss(client, conn, customer):
    headers = {"Authorization": f"Bearer {create_key(conn, 'prober', ['read'])}"}
    assert client.get(f"/customer/{customer}", headers=headers).status_code == 200
    revoke_key(conn, "prober")

    assert client.get(f"/customer/{uuid4()}", headers=headers).status_code == 401


def test_a_steward_action_always_asks_whether_its_key_is_active(client, conn, headers_for):
    headers = headers_for("read", "steward")
    assert client.get("/steward/proposals", headers=headers).status_code == 200
    look_ups = key_look_ups(conn)

    assert client.get("/steward/proposals", headers=headers).status_code == 200

    assert len(look_ups) == 1


def test_the_export_is_logged_and_holds_a_merged_customers_facts(
    client,
    conn,
    headers_for,
    make_customer,
    link_source,
    add_account,
    add_transaction,
    add_login,
    add_fraud_case,
):
    survivor = make_customer(full_name="Amina Wanjiku", national_id="12345678")
    merged = make_customer(status="merged", merged_into=survivor)
    link_source(survivor, "core", "101", national_id="12345678")
    link_source(merged, "dfs", "d-9", phone="+254712345678")
    add_account(survivor, "ACC-core", balance=1500.5)
    add_account(merged, "ACC-dfs", source_system="dfs", balance=20)
    add_transaction(survivor, "T-core", amount=Decimal("100.00"))
    add_transaction(merged, "T-dfs", source_system="dfs", amount=Decimal("55.25"))
    add_login(merged, "S-1", NOW, device_id="phone-A")
    add_fraud_case(merged, "FC-9")
    headers = headers_for("read", name="dsar-desk")

    response = client.get(f"/customer/{survivor}/export", headers=headers)

    assert response.status_code == 200
    document = response.get_json()
    assert document["merged_ids"] == [str(merged)]
    assert {r["source_customer_id"] for r in document["source_records"]} == {"101", "d-9"}
    assert {a["source_account_id"] for a in document["accounts"]} == {"ACC-core", "ACC-dfs"}
    assert {t["source_transaction_id"]: t["amount"] for t in document["transactions"]} == {
        "T-core": "100.00",
        "T-dfs": "55.25",
    }
    assert [login["source_session_id"] for login in document["logins"]] == ["S-1"]
    assert [d["device_id"] for d in document["devices"]] == ["phone-A"]
    assert [c["source_case_id"] for c in document["fraud_cases"]] == ["FC-9"]
    assert document["golden_record"]["national_id"] == "12345678"
    assert document["logins"][0]["login_at"] == NOW.isoformat()
    entry = newest_entry(conn)
    assert (entry["key_name"], entry["endpoint"], entry["customer_ids"]) == (
        "dsar-desk",
        "/customer/<uuid:global_id>/export",
        [survivor],
    )
    # a merged-away ID is sent to the survivor's export
    moved = client.get(f"/customer/{merged}/export", headers=headers)
    assert moved.status_code == 308
    assert moved.headers["Location"].endswith(f"/customer/{survivor}/export")


@pytest.mark.parametrize(("hops", "logged"), [(0, "10.0.0.1"), (1, "41.90.1.2")])
def test_from_where_trusts_forwarded_for_only_behind_configured_proxies(
    settings, conn, customer, auth_headers, hops, logged
):
    app = create_app(dataclasses.replace(settings, proxy_hops=hops))

    app.test_client().get(
        f"/customer/{customer}",
        headers={**auth_headers, "X-Forwarded-For": "41.90.1.2"},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )

    assert newest_entry(conn)["remote_addr"] == logged


def test_a_read_on_the_primary_takes_one_pooled_connection_for_key_read_and_entry(
    flask_app, engine
):
    """Without a replica, a request's key check, its read and its access-log entry share one
    checkout, a remembered key's included (before, its read took a connection of its own)."""
    with engine.begin() as conn:
        key = create_key(conn, f"one-checkout-{uuid4()}", ["read"])
    client = flask_app.test_client()  # not bound to the test's connection: the real pool
    headers = {"Authorization": f"Bearer {key}"}
    checkouts = []

    def checked_out(*args):
        checkouts.append(args)

    event.listen(engine, "checkout", checked_out)
    try:
        # the first request looks the key up; the next two take it remembered
        statuses = [
            client.get(f"/customer/{uuid4()}", headers=headers).status_code for _ in range(3)
        ]
    finally:
        event.remove(engine, "checkout", checked_out)

    assert statuses == [404, 404, 404]
    assert len(checkouts) == 3


@pytest.mark.parametrize("until", ["2026-11-01T00:00:00Z", "2026-10-31T00:00:00Z"])
def test_a_range_that_holds_no_time_holds_no_entry(client, headers_for, customer, until):
    """Entries are taken from `since` up to, not including, `until`: a range ending where (or
    before) it starts is a valid question whose answer is empty, as the document says."""
    admin = headers_for("admin")
    assert client.get(f"/customer/{customer}", headers=headers_for("read")).status_code == 200
    everything = client.get("/admin/access-log", headers=admin).get_json()
    assert everything
    response = client.get(
        "/admin/access-log",
        query_string={"since": "2026-11-01T00:00:00Z", "until": until},
        headers=admin,
    )
    assert response.status_code == 200 and response.get_json() == []
