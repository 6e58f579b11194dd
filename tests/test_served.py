"""Responses built by PostgreSQL (app/served.py): what the schema would dump, in the form its
fields give each value, read back through the schema as the same values."""

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from marshmallow import Schema, fields
from sqlalchemy import Select, literal_column, select

from app.account.models import account_360
from app.account.schemas import AccountSchema
from app.served import as_text, served_first, served_object, served_rows


def accounts_by_id_descending(owner: UUID) -> Select:
    query = select(*account_360.c, literal_column("'owner'").label("holder_role"))
    return query.where(account_360.c.global_customer_id == owner).order_by(
        account_360.c.source_account_id.desc()
    )


def served(conn, document) -> Any:
    text = conn.execute(select(as_text(document, "document"))).scalar_one()
    return None if text is None else json.loads(text)


def test_served_rows_are_what_the_schema_dumps_in_the_query_order(conn, add_account):
    owner = uuid4()
    east_africa = timezone(timedelta(hours=3))
    rows = [
        # a tenth of a second (PostgreSQL writes ".1", Python ".100000"), a balance with
        # trailing zeros and a whole one, a NULL, an offset other than UTC
        ("A-1", Decimal("1500.50"), datetime(2024, 5, 1, 8, 0, 0, 100000, tzinfo=UTC)),
        ("A-2", Decimal("7"), None),
        ("A-3", Decimal("-0.01"), datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=east_africa)),
    ]
    for account_id, balance, opened_at in rows:
        add_account(owner, account_id, balance=balance, opened_at=opened_at, is_closed=False)
    query = accounts_by_id_descending(owner)

    document = served(conn, served_rows(query, AccountSchema, "accounts"))

    dumped = AccountSchema(many=True).dump(conn.execute(query).mappings())
    assert AccountSchema(many=True).load(document) == AccountSchema(many=True).load(dumped)
    assert [set(row) for row in document] == [set(AccountSchema().fields)] * 3
    assert [row["balance"] for row in document] == ["-0.01", "7", "1500.50"]  # exact text
    assert [row["is_closed"] for row in document] == [False] * 3
    assert document[1]["opened_at"] is None


def test_served_rows_of_no_rows_is_an_empty_list_and_a_first_row_of_none_is_null(conn):
    query = accounts_by_id_descending(uuid4())

    assert served(conn, served_rows(query, AccountSchema, "accounts")) == []
    assert served(conn, served_first(query, AccountSchema, "account")) is None


class PriceSchema(Schema):
    amount = fields.Decimal(as_string=True)
    code = fields.String(attribute="currency")
    ratio = fields.Float()


class QuoteSchema(Schema):
    id = fields.UUID()
    price = fields.Nested(PriceSchema)
    count = fields.Integer()


def test_a_nested_schema_is_served_from_its_own_values_and_attributes_are_read(conn, add_account):
    account = account_360.c
    quote = uuid4()
    add_account(quote, "A-1", balance=Decimal("12.30"))
    price = {"amount": account.balance, "currency": account.currency, "ratio": account.balance}
    values = {"id": account.global_customer_id, "price": price, "count": account.balance}

    document = served(
        conn,
        select(served_object(QuoteSchema, values))
        .where(account.global_customer_id == quote)
        .scalar_subquery(),
    )

    assert document == {
        "id": str(quote),
        "price": {"amount": "12.30", "code": "KES", "ratio": 12.3},
        "count": 12.3,  # an Integer field's value goes as the column holds it
    }


def test_a_field_with_no_served_form_in_sql_is_refused_when_the_statement_is_built():
    class Unservable(Schema):
        extra = fields.Dict()

    with pytest.raises(TypeError, match="Dict"):
        served_object(Unservable, {"extra": account_360.c.balance})
