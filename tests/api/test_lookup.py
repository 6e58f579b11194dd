import pytest
from marshmallow import Schema


def _search(client, auth_headers, **body):
    """A look-up by a personal identifier: POSTed, never in the URL."""
    return client.post("/customers/search", json=body, headers=auth_headers)


def _lookup(client, auth_headers, **params):
    """A look-up by a source's own key: a GET."""
    return client.get("/customers", query_string=params, headers=auth_headers)


@pytest.mark.parametrize(
    ("param", "value", "matched_on"),
    [
        ("phone", "0712 345 678", "phone"),
        ("phone", "+254712345678", "phone"),
        ("phone", "254712345678", "phone"),
        ("national_id", "ID12345678", "national_id"),
        ("national_id", "12 345 678", "national_id"),
        ("email", "  Amina@Wekeza.CO.KE ", "email"),
    ],
)
def test_inputs_are_normalized_like_the_matcher(
    client, auth_headers, customer, param, value, matched_on
):
    response = _search(client, auth_headers, **{param: value})

    assert response.status_code == 200
    assert response.get_json() == [
        {
            "global_customer_id": str(customer),
            "full_name": "Amina Wanjiku",
            "matched_on": matched_on,
        }
    ]


def test_lookup_by_source_record(client, auth_headers, customer):
    response = _lookup(client, auth_headers, source_system="channel", source_customer_id="u-7")

    assert response.get_json() == [
        {
            "global_customer_id": str(customer),
            "full_name": "Amina Wanjiku",
            "matched_on": "source_customer_id",
        }
    ]


def test_no_match_is_an_empty_list(client, auth_headers, customer):
    response = _search(client, auth_headers, national_id="87654321")

    assert response.status_code == 200
    assert response.get_json() == []


def test_a_record_on_a_merged_away_id_finds_the_survivor(
    client, auth_headers, merge_chain, link_source
):
    first, _, survivor = merge_chain
    link_source(first, "dfs", "d-1", phone="+254733111222")
    link_source(survivor, "core", "c-1", phone="+254733111222")

    found = _search(client, auth_headers, phone="0733 111 222").get_json()

    assert found == [
        {"global_customer_id": str(survivor), "full_name": "Survivor", "matched_on": "phone"}
    ]


def test_several_people_sharing_a_phone_are_all_listed(
    client, auth_headers, make_customer, link_source
):
    a = make_customer(full_name="A")
    b = make_customer(full_name="B")
    link_source(a, "core", "1", phone="+254722000111")
    link_source(b, "core", "2", phone="+254722000111")

    found = _search(client, auth_headers, phone="0722000111").get_json()

    assert [c["global_customer_id"] for c in found] == [str(a), str(b)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "_schema"),
        ({"unknown": "x"}, "unknown"),
        ({"phone": "0712345678", "email": "amina@wekeza.co.ke"}, "_schema"),
        ({"national_id": "12345678", "source_system": "core"}, "source_system"),
        ({"phone": ""}, "phone"),
        ({"phone": 712345678}, "phone"),
        ({"phone": "not a phone"}, "phone"),
        ({"phone": "0712345678\n"}, "phone"),
        ({"national_id": "ID 1234\t5678"}, "national_id"),
        ({"email": "x" * 201}, "email"),
        ({"email": " "}, "email"),
        ({"email": "amina at wekeza"}, "email"),
    ],
)
def test_searches_the_schema_refuses_are_422_with_a_clear_message(
    client, auth_headers, body, field
):
    response = _search(client, auth_headers, **body)

    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422
    assert field in body["errors"]["json"]
    assert body["message"].startswith("Invalid input: ")


@pytest.mark.parametrize("payload", [None, "", "[]", "12345678", '"12345678"', "{"])
def test_a_search_body_that_is_not_an_object_is_refused(client, auth_headers, payload):
    response = client.post(
        "/customers/search",
        data=payload,
        content_type="application/json",
        headers=auth_headers,
    )

    assert response.status_code in (400, 422)
    assert response.get_json()["message"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "source_system"),
        ({"source_system": "core"}, "source_customer_id"),
        ({"source_customer_id": "101"}, "source_system"),
        ({"source_system": "mainframe", "source_customer_id": "101"}, "source_system"),
        ({"source_system": "core", "source_customer_id": "  "}, "source_customer_id"),
    ],
)
def test_bad_source_keys_are_422_with_a_clear_message(client, auth_headers, params, field):
    response = _lookup(client, auth_headers, **params)

    assert response.status_code == 422
    body = response.get_json()
    assert field in body["errors"]["query"]
    assert body["message"].startswith("Invalid input: ")


@pytest.mark.parametrize(
    "params",
    [
        {"national_id": "12345678"},
        {"phone": "0712345678"},
        {"email": "amina@wekeza.co.ke"},
        {"phone": "0712345678", "source_system": "core", "source_customer_id": "1"},
    ],
)
def test_personal_identifiers_in_a_url_are_refused(client, auth_headers, customer, params):
    response = _lookup(client, auth_headers, **params)

    assert response.status_code == 422
    body = response.get_json()
    assert "POST it in a JSON body to /customers/search" in body["message"]
    # the value is not echoed back either
    assert not any(value in response.get_data(as_text=True) for value in params.values())


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ({"phone": "0700000000"}, "phone number"),
        ({"phone": "0711111111"}, "phone number"),
        ({"phone": "+254 1"}, "phone number"),
        ({"national_id": "KE-ID-123"}, "national ID or passport number"),
        ({"national_id": "00000000"}, "national ID or passport number"),
        ({"email": "noemail@wekeza.co.ke"}, "email address"),
        ({"email": "na@na.com"}, "email address"),
        ({"email": "a\x00b@wekeza.co.ke"}, "email address"),
    ],
)
def test_a_search_by_a_value_that_identifies_nobody_is_404_saying_why(
    client, auth_headers, customer, body, what
):
    """The document takes any string of its length (a client generated from it sends them):
    one that can identify nobody is not refused as malformed but found to identify nobody, in
    words that name the kind of identifier and never echo the value."""
    response = _search(client, auth_headers, **body)

    assert response.status_code == 404
    message = response.get_json()["message"]
    assert message.startswith(f"No customer is found by this {what}: it is not a usable one")
    assert next(iter(body.values())) not in response.get_data(as_text=True)


def test_a_secondary_phone_finds_its_holder(client, auth_headers, customer, link_source):
    link_source(customer, "dfs", "d-9", secondary_phone="+254110999002", match_rule="phone")

    found = _search(client, auth_headers, phone="0110 999 002").get_json()

    assert [c["global_customer_id"] for c in found] == [str(customer)]


def test_a_look_up_builds_no_schema_of_its_own(client, auth_headers, customer, monkeypatch):
    """Its argument schemas are made once: webargs makes a schema given as a class anew for
    every request, and a marshmallow schema costs more to make than a look-up to answer."""
    made = []
    make = Schema.__init__

    def counted(schema, *args, **kwargs):
        made.append(type(schema).__name__)
        make(schema, *args, **kwargs)

    monkeypatch.setattr(Schema, "__init__", counted)

    searched = _search(client, auth_headers, national_id="ID12345678")
    looked_up = _lookup(client, auth_headers, source_system="core", source_customer_id="C-1")

    assert searched.status_code == looked_up.status_code == 200
    assert made == []
