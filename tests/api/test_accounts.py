from decimal import Decimal
from uuid import uuid4


def test_lists_every_account_of_the_customer_only(
    client, auth_headers, customer, make_customer, add_account
):
    add_account(make_customer(), "SOMEONE-ELSE")
    add_account(None, "UNMATCHED")

    response = client.get(f"/customer/{customer}/accounts", headers=auth_headers)

    assert response.status_code == 200
    accounts = response.get_json()
    assert [a["source_account_id"] for a in accounts] == ["ACC-1", "ACC-2"]  # open first
    first = accounts[0]
    assert first == {
        "source_system": "core",
        "source_account_id": "ACC-1",
        "account_number": "0100200300",
        "account_type": None,
        "currency": "KES",
        "balance": "1500.50",
        "available_balance": None,
        "status": "ACTIVE",
        "is_closed": False,
        "closed_at": None,
        "opened_at": None,
        "source_updated_at": None,
        "business_name": None,
        "holder_role": "owner",
    }
    assert accounts[1]["is_closed"] is True


def test_balance_keeps_decimal_precision(client, auth_headers, make_customer, add_account):
    global_id = make_customer()
    add_account(global_id, "BIG", balance=Decimal("1234567890123456.78"))

    accounts = client.get(f"/customer/{global_id}/accounts", headers=auth_headers).get_json()

    assert accounts[0]["balance"] == "1234567890123456.78"


def test_customer_without_accounts_gets_an_empty_list(client, auth_headers, make_customer):
    response = client.get(f"/customer/{make_customer()}/accounts", headers=auth_headers)

    assert response.status_code == 200
    assert response.get_json() == []


def test_unknown_customer_is_404(client, auth_headers):
    response = client.get(f"/customer/{uuid4()}/accounts", headers=auth_headers)

    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_merged_customer_redirects_to_the_survivors_accounts(client, auth_headers, merge_chain):
    first, _, survivor = merge_chain

    response = client.get(f"/customer/{first}/accounts", headers=auth_headers)

    assert response.status_code == 308
    assert response.headers["Location"] == f"/customer/{survivor}/accounts"
