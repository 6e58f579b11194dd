import json
from datetime import timedelta
from uuid import uuid4

import pytest

from .conftest import NOW


def _ids(response):
    return [t["source_transaction_id"] for t in response.get_json()]


def test_first_page_is_the_newest_twenty(client, auth_headers, customer):
    response = client.get(f"/customer/{customer}/transactions", headers=auth_headers)

    assert response.status_code == 200
    assert _ids(response) == [f"T{i:03d}" for i in range(24, 4, -1)]
    pagination = json.loads(response.headers["X-Pagination"])
    assert pagination["total"] == 25
    assert pagination["total_pages"] == 2
    assert pagination["next_page"] == 2


def test_pages_follow_on_without_overlap(client, auth_headers, customer):
    url = f"/customer/{customer}/transactions?page_size=10"
    pages = [_ids(client.get(f"{url}&page={n}", headers=auth_headers)) for n in (1, 2, 3)]

    assert [len(p) for p in pages] == [10, 10, 5]
    assert sum(pages, []) == [f"T{i:03d}" for i in range(24, -1, -1)]


def test_same_time_is_ordered_by_id_descending(
    client, auth_headers, make_customer, add_transaction
):
    global_id = make_customer()
    for tx in ("A", "C", "B"):
        add_transaction(global_id, tx, occurred_at=NOW)
    add_transaction(global_id, "OLDER", occurred_at=NOW - timedelta(seconds=1))

    response = client.get(f"/customer/{global_id}/transactions", headers=auth_headers)

    assert _ids(response) == ["C", "B", "A", "OLDER"]


def test_item_fields(client, auth_headers, make_customer, add_transaction):
    global_id = make_customer()
    add_transaction(
        global_id,
        "T1",
        reference="REF-9",
        source_account_id="ACC-9",
        amount="1500.50",
        type="CREDIT",
        channel="MPESA",
        status="POSTED",
        description="Salary",
        occurred_at=NOW,
        source_type="SalaryCredit",
    )

    (item,) = client.get(f"/customer/{global_id}/transactions", headers=auth_headers).get_json()

    assert item == {
        "source_system": "core",
        "source_transaction_id": "T1",
        "reference": "REF-9",
        "account": "ACC-9",
        "amount": "1500.50",
        "currency": "KES",
        "type": "CREDIT",
        "channel": "MPESA",
        "status": "POSTED",
        "description": "Salary",
        "occurred_at": NOW.isoformat(),
        "source_type": "SalaryCredit",
    }


@pytest.mark.parametrize("page", ["3", "99", str(10**30)])
def test_page_beyond_the_end_is_empty(client, auth_headers, customer, page):
    response = client.get(
        f"/customer/{customer}/transactions?page={page}&page_size=20", headers=auth_headers
    )

    assert response.status_code == 200
    assert response.get_json() == []


def test_page_size_is_capped_at_100(client, auth_headers, customer):
    ok = client.get(f"/customer/{customer}/transactions?page_size=100", headers=auth_headers)
    too_big = client.get(f"/customer/{customer}/transactions?page_size=101", headers=auth_headers)

    assert ok.status_code == 200
    assert too_big.status_code == 422


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=abc",
        "page=1.5",
        "page=",
        "page_size=0",
        "page_size=x",
        "page=1e3",
    ],
)
def test_bad_page_values_are_422_with_field_errors(client, auth_headers, customer, query):
    response = client.get(f"/customer/{customer}/transactions?{query}", headers=auth_headers)

    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422
    field = query.split("=")[0]
    assert field in body["errors"]["query"]
    assert field in body["message"]


def test_unknown_customer_is_404(client, auth_headers):
    assert client.get(f"/customer/{uuid4()}/transactions", headers=auth_headers).status_code == 404


def test_merged_customer_redirect_keeps_the_page(client, auth_headers, merge_chain):
    first, _, survivor = merge_chain

    response = client.get(
        f"/customer/{first}/transactions?page=2&page_size=5", headers=auth_headers
    )

    assert response.status_code == 308
    assert response.headers["Location"] == (f"/customer/{survivor}/transactions?page=2&page_size=5")
