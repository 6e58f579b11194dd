"""Identity review endpoints, over data made by the real matcher."""

from datetime import UTC, datetime

from app.identity.matcher import link_customers
from connectors.records import CustomerRecord

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def person(key, national_id, name, phone=None):
    return CustomerRecord("core", key, name, national_id, phone, None, None, True, NOW, NOW)


def test_suspected_duplicates_are_listed_for_review(client, auth_headers, headers_for, conn):
    link_customers(conn, [person("t1", "23456789", "Wanjiru Kamau")])
    link_customers(conn, [person("t2", "23456788", "Njeri Kamau")])
    steward = headers_for("steward")
    # the review list is the stewards' work: a read key is refused
    assert client.get("/identity/suspected-duplicates", headers=auth_headers).status_code == 403
    response = client.get("/identity/suspected-duplicates", headers=steward)
    assert response.status_code == 200
    (suspect,) = response.get_json()
    assert (suspect["national_id_a"], suspect["national_id_b"]) == ("23456788", "23456789")
    assert suspect["status"] == "open"
    assert client.get("/identity/suspected-duplicates").status_code == 401
    bad = client.get("/identity/suspected-duplicates?status=maybe", headers=steward)
    assert bad.status_code == 422


def test_identity_history_shows_the_merge(client, auth_headers, conn):
    link_customers(conn, [person("a", "12345678", "Achieng Otieno", "0711000001")])
    link_customers(
        conn,
        [CustomerRecord("dfs", "b", None, None, "0722000002", "x@mail.com", None, True, NOW, NOW)],
    )
    resolution = link_customers(conn, [person("c", "12345678", "Achieng Otieno", "0722000002")])
    ((merged, survivor),) = resolution.merged.items()

    response = client.get(f"/customer/{survivor}/identity", headers=auth_headers)
    assert response.status_code == 200
    history = response.get_json()
    assert [(m["survivor_id"], m["merged_id"]) for m in history["merges"]] == [
        (str(survivor), str(merged))
    ]
    assert {d["source_customer_id"] for d in history["decisions"]} == {"a", "b", "c"}
    redirect = client.get(f"/customer/{merged}/identity", headers=auth_headers)
    assert redirect.status_code == 308
    assert redirect.headers["Location"].endswith(f"/customer/{survivor}/identity")
