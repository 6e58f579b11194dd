from datetime import timedelta
from uuid import uuid4

from .conftest import NOW


def test_risk_shows_the_profile_and_fraud_cases(
    client, auth_headers, customer, add_risk, add_fraud_case
):
    add_risk(customer)
    add_fraud_case(customer, "FC-1", amount="25000.00", flagged_reason="velocity")
    add_fraud_case(customer, "FC-0", opened_at=NOW - timedelta(days=1), status="CLOSED")
    add_fraud_case(None, "FC-UNMATCHED")

    response = client.get(f"/customer/{customer}/risk", headers=auth_headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["global_customer_id"] == str(customer)
    assert body["profile"] == {
        "fraud_score": 0.85,
        "risk_level": "HIGH",
        "reasons": ["open fraud case FC-1"],
        "last_updated": NOW.isoformat(),
    }
    assert [c["source_case_id"] for c in body["fraud_cases"]] == ["FC-1", "FC-0"]
    assert body["fraud_cases"][0]["amount"] == "25000.00"
    assert body["fraud_cases"][0]["flagged_reason"] == "velocity"


def test_unscored_customer_has_a_null_profile(client, auth_headers, customer):
    body = client.get(f"/customer/{customer}/risk", headers=auth_headers).get_json()

    assert body["profile"] is None
    assert body["fraud_cases"] == []


def test_unknown_customer_is_404(client, auth_headers):
    assert client.get(f"/customer/{uuid4()}/risk", headers=auth_headers).status_code == 404


def test_merged_customer_redirects_to_the_survivors_risk(client, auth_headers, merge_chain):
    _, middle, survivor = merge_chain

    response = client.get(f"/customer/{middle}/risk", headers=auth_headers)

    assert response.status_code == 308
    assert response.headers["Location"] == f"/customer/{survivor}/risk"
