import json
from datetime import timedelta
from uuid import uuid4

from sqlalchemy import event, update

from app.customer.models import customer_360
from app.customer.service import resolve_customer
from app.profile.service import get_profile

from .conftest import NOW


def test_profile_has_golden_fields_with_their_source(client, auth_headers, customer):
    body = client.get(f"/customer/{customer}", headers=auth_headers).get_json()

    assert body["global_customer_id"] == str(customer)
    assert body["full_name"] == {"value": "Amina Wanjiku", "source": "core"}
    assert body["national_id"] == {"value": "12345678", "source": "core"}
    assert body["phone"] == {"value": "+254712345678", "source": "channel"}
    assert body["email"] == {"value": "amina@wekeza.co.ke", "source": "channel"}
    assert body["date_of_birth"] == {"value": "1990-04-01", "source": "core"}
    assert body["gender"] == {"value": "female", "source": "core"}
    assert body["created_date"] is not None


def test_profile_lists_linked_source_records_normalized(client, auth_headers, customer):
    records = client.get(f"/customer/{customer}", headers=auth_headers).get_json()["source_records"]

    assert [(r["source_system"], r["source_customer_id"]) for r in records] == [
        ("channel", "u-7"),
        ("core", "101"),
    ]
    core = records[1]
    assert core["national_id"] == "12345678"  # normalized, never the raw "ID 12 345 678"
    assert "national_id_raw" not in core
    assert core["gender"] == "female"  # normalized, never the raw "F"
    assert "gender_raw" not in core
    assert core["match_rule"] == "new"
    assert core["is_active"] is True
    assert records[0]["match_rule"] == "phone"


def test_profile_includes_accounts_and_the_newest_ten_transactions(client, auth_headers, customer):
    body = client.get(f"/customer/{customer}", headers=auth_headers).get_json()

    assert {a["source_account_id"] for a in body["accounts"]} == {"ACC-1", "ACC-2"}
    assert body["accounts"][0]["balance"] == "1500.50"
    ids = [t["source_transaction_id"] for t in body["recent_transactions"]]
    assert ids == [f"T{i:03d}" for i in range(24, 14, -1)]


def test_profile_shows_last_login_and_devices(client, auth_headers, customer):
    body = client.get(f"/customer/{customer}", headers=auth_headers).get_json()

    last = body["last_login"]
    assert last["device_id"] == "phone-A"
    assert last["ip_address"] == "10.0.0.9"
    assert last["session_mode"] == "APP"
    assert last["source_system"] == "channel"
    devices = {d["device_id"]: d for d in body["devices"]}
    assert [d["device_id"] for d in body["devices"]] == ["phone-A", "laptop-B"]
    assert devices["phone-A"]["logins"] == 3
    assert devices["laptop-B"]["logins"] == 1
    assert devices["phone-A"]["first_seen"] < devices["phone-A"]["last_seen"]


def test_profile_risk_is_null_until_scored_then_shown(client, auth_headers, customer, add_risk):
    assert client.get(f"/customer/{customer}", headers=auth_headers).get_json()["risk"] is None

    add_risk(customer)
    risk = client.get(f"/customer/{customer}", headers=auth_headers).get_json()["risk"]
    assert risk["fraud_score"] == 0.85
    assert risk["risk_level"] == "HIGH"
    assert risk["reasons"] == ["open fraud case FC-1"]


def test_customer_without_activity_has_empty_sections(client, auth_headers, make_customer):
    global_id = make_customer()
    body = client.get(f"/customer/{global_id}", headers=auth_headers).get_json()

    assert body["full_name"] == {"value": None, "source": None}
    assert body["accounts"] == body["recent_transactions"] == body["devices"] == []
    assert body["last_login"] is None


def test_unknown_customer_is_404_json(client, auth_headers):
    response = client.get(f"/customer/{uuid4()}", headers=auth_headers)

    assert response.status_code == 404
    assert response.get_json()["code"] == 404
    assert response.get_json()["status"] == "Not Found"


def test_merged_customer_redirects_308_to_the_final_survivor(client, auth_headers, merge_chain):
    first, middle, survivor = merge_chain

    for merged in (first, middle):
        response = client.get(f"/customer/{merged}", headers=auth_headers)
        assert response.status_code == 308
        assert response.headers["Location"] == f"/customer/{survivor}"
        assert response.get_json()["code"] == 308
    assert client.get(f"/customer/{survivor}", headers=auth_headers).status_code == 200


def test_merge_loop_answers_404_not_500(client, auth_headers, conn, make_customer):
    a = make_customer()
    b = make_customer(merged_into=a, status="merged")
    conn.execute(
        update(customer_360)
        .where(customer_360.c.global_customer_id == a)
        .values(merged_into=b, status="merged")
    )

    assert client.get(f"/customer/{a}", headers=auth_headers).status_code == 404
    assert client.get(f"/customer/{b}/accounts", headers=auth_headers).status_code == 404


def test_survivor_profile_includes_rows_still_on_a_merged_away_id(
    client, auth_headers, merge_chain, add_account, add_transaction
):
    first, _, survivor = merge_chain
    add_account(first, "OLD-ACC")
    add_transaction(first, "OLD-T", occurred_at=NOW - timedelta(days=1))

    body = client.get(f"/customer/{survivor}", headers=auth_headers).get_json()

    assert [a["source_account_id"] for a in body["accounts"]] == ["OLD-ACC"]
    assert [t["source_transaction_id"] for t in body["recent_transactions"]] == ["OLD-T"]


def test_a_survivors_newest_transactions_and_login_are_the_newest_of_all_its_ids(
    client, auth_headers, merge_chain, add_transaction, add_login
):
    """Each ID's newest are read by themselves and merged: the newest ten are still the ten
    newest of all, in order, however the IDs' rows interleave in time."""
    ids = merge_chain
    for n in range(15):  # T-0 newest; the IDs take turns
        add_transaction(ids[n % 3], f"T-{n}", occurred_at=NOW - timedelta(hours=n))
        add_login(ids[n % 3], f"S-{n}", NOW - timedelta(hours=n, minutes=30))

    body = client.get(f"/customer/{ids[2]}", headers=auth_headers).get_json()

    assert [t["source_transaction_id"] for t in body["recent_transactions"]] == [
        f"T-{n}" for n in range(10)
    ]
    assert body["last_login"]["login_at"] == (NOW - timedelta(minutes=30)).isoformat()


def test_uppercase_uuid_is_accepted(client, auth_headers, customer):
    response = client.get(f"/customer/{str(customer).upper()}", headers=auth_headers)

    assert response.status_code == 200
    assert response.get_json()["global_customer_id"] == str(customer)


def test_a_profile_is_read_in_one_statement(conn, customer, add_risk):
    """One round trip and one snapshot: the sections cannot disagree with each other."""
    add_risk(customer)
    statements = []
    event.listen(conn, "before_cursor_execute", lambda *args: statements.append(args[2]))

    profile = json.loads(get_profile(conn, customer))

    assert len(statements) == 1
    assert len(profile["accounts"]) == 2
    assert len(profile["recent_transactions"]) == 10
    assert profile["last_login"] is not None
    assert profile["risk"] is not None


def test_an_active_customer_and_its_merged_ids_resolve_in_one_statement(conn, merge_chain):
    first, middle, survivor = merge_chain
    statements = []
    event.listen(conn, "before_cursor_execute", lambda *args: statements.append(args[2]))

    ids = resolve_customer(conn, survivor)

    assert ids[0] == survivor
    assert sorted(ids[1:]) == sorted([first, middle])
    assert len(statements) == 1
