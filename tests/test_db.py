"""Composing reads (app/db.py): a query's rows carried as JSON inside another statement come
back as the query itself returns them."""

import threading
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Select, insert, select, text

from app import db
from app.account.models import account_360
from app.customer.models import customer_360
from app.db import JsonRows, among, array_literal, in_array


def add_account(conn, owner: UUID, account_id: str, balance: Decimal, **values: Any) -> None:
    conn.execute(
        insert(account_360).values(
            source_system="core",
            source_account_id=account_id,
            global_customer_id=owner,
            currency="KES",
            balance=balance,
            status="ACTIVE",
            **values,
        )
    )


def accounts_by_id_descending(owner: UUID) -> Select:
    return (
        select(account_360)
        .where(account_360.c.global_customer_id == owner)
        .order_by(account_360.c.source_account_id.desc())
    )


def test_json_rows_come_back_with_their_types_values_and_order(conn):
    owner = uuid4()
    east_africa = timezone(timedelta(hours=3))
    rows = [
        # a tenth of a second (PostgreSQL writes ".1"), a balance with trailing zeros and a
        # whole one (JSON writes 1500.50 and 7), a NULL, an offset other than UTC
        ("A-1", Decimal("1500.50"), datetime(2024, 5, 1, 8, 0, 0, 100000, tzinfo=UTC)),
        ("A-2", Decimal("7"), None),
        ("A-3", Decimal("-0.01"), datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=east_africa)),
    ]
    for account_id, balance, opened_at in rows:
        add_account(conn, owner, account_id, balance, opened_at=opened_at)
    query = accounts_by_id_descending(owner)
    carried = JsonRows(query, "accounts")

    loaded = carried.load(conn.execute(select(carried.column)).scalar_one())

    assert loaded == [dict(row) for row in conn.execute(query).mappings()]
    assert [row["source_account_id"] for row in loaded] == ["A-3", "A-2", "A-1"]
    assert str(loaded[2]["balance"]) == "1500.50"
    assert loaded[0]["global_customer_id"] == owner  # a UUID, not its text


def test_json_rows_kept_to_named_columns_carry_those_alone_in_the_query_order(conn):
    owner = uuid4()
    for account_id in ("A-1", "A-2"):
        add_account(conn, owner, account_id, Decimal("10.00"))
    query = accounts_by_id_descending(owner)
    carried = JsonRows(query, "accounts", keep={"source_account_id", "balance"})

    loaded = carried.load(conn.execute(select(carried.column)).scalar_one())

    assert loaded == [
        {"source_account_id": "A-2", "balance": Decimal("10.00")},
        {"source_account_id": "A-1", "balance": Decimal("10.00")},
    ]


def test_json_rows_of_no_rows_is_an_empty_list(conn):
    query = select(customer_360).where(customer_360.c.global_customer_id == uuid4())
    carried = JsonRows(query, "nobody")

    assert carried.load(conn.execute(select(carried.column)).scalar_one()) == []


def test_among_a_query_matches_among_its_values(conn):
    people = [uuid4() for _ in range(3)]
    for n, person in enumerate(people):
        conn.execute(
            insert(customer_360).values(
                global_customer_id=person, date_of_birth=date(1990, 1, n + 1)
            )
        )
    chosen = select(customer_360.c.global_customer_id).where(
        customer_360.c.global_customer_id.in_(people),
        customer_360.c.date_of_birth < date(1990, 1, 3),
    )
    by_query = select(customer_360.c.global_customer_id).where(
        among(customer_360.c.global_customer_id, chosen)
    )
    by_list = select(customer_360.c.global_customer_id).where(
        among(customer_360.c.global_customer_id, people[:2])
    )

    assert set(conn.execute(by_query).scalars()) == set(conn.execute(by_list).scalars())
    assert set(conn.execute(by_query).scalars()) == set(people[:2])


def test_in_array_sends_a_batch_of_values_as_one_parameter(conn):
    people = [uuid4() for _ in range(3)]
    for person in people:
        conn.execute(insert(customer_360).values(global_customer_id=person))
    wanted = [people[0], people[2], *(uuid4() for _ in range(10_000))]
    query = select(customer_360.c.global_customer_id).where(
        in_array(customer_360.c.global_customer_id, iter(wanted))
    )

    assert len(query.compile().params) == 1  # not ten thousand bound values
    assert set(conn.execute(query).scalars()) == {people[0], people[2]}


def test_in_array_is_read_once_when_bound_not_again_for_every_row(conn):
    query = select(customer_360.c.global_customer_id).where(
        in_array(customer_360.c.global_customer_id, [uuid4(), uuid4()])
    )
    compiled = query.compile(conn)
    conn.execute(text("SET LOCAL enable_indexscan = off"))
    conn.execute(text("SET LOCAL enable_bitmapscan = off"))

    plan = conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).scalars().all()

    filters = [line for line in plan if "Filter" in line]
    assert filters and "::uuid[]" in filters[0]
    assert "cstring" not in filters[0]  # a conversion of the text, run per row


def test_an_array_literal_gives_back_every_value_as_it_was(conn):
    values = ['say "hi"', "C:\\dir\\", "{a,b}", "", "NULL", None, " padded ", "Wanjikũ", "a\nb"]

    sent = conn.execute(text("SELECT CAST(:values AS text[])"), {"values": array_literal(values)})

    assert sent.scalar() == values


def test_an_idle_pooled_connection_that_died_is_replaced_before_use(database_url, monkeypatch):
    engine = db._pooled_engine(database_url)
    try:
        with engine.connect() as idle, engine.connect() as other:
            first = idle.execute(text("SELECT pg_backend_pid()")).scalar_one()
            idle.close()  # back in the pool, first in line
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)

        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != first
    finally:
        engine.dispose()


def test_an_array_literal_of_no_values_or_of_values_without_none(conn):
    read = text("SELECT CAST(:values AS text[])")

    assert conn.execute(read, {"values": array_literal([])}).scalar() == []
    plain = ['say "hi"', "C:\\dir\\", "{a,b}", "", "NULL", "Wanjikũ"]  # no None among them
    assert conn.execute(read, {"values": array_literal(iter(plain))}).scalar() == plain


def test_an_array_literal_refuses_a_nul_rather_than_split_the_value_in_two():
    with pytest.raises(ValueError, match="NUL"):
        array_literal(["one", "two\x00parts"])


def test_the_threads_of_one_process_asking_at_once_share_one_engine(monkeypatch):
    """The API's threaded workers: engines made twice would hold two pools of connections."""
    monkeypatch.setattr(db, "_engine", None)
    monkeypatch.setattr(db, "_read_engine", None)
    start = threading.Barrier(8)
    engines = []

    def ask() -> None:
        start.wait()
        engines.append((db.get_engine(), db.get_read_engine()))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len({id(pair[0]) for pair in engines}) == 1
        assert all(read is primary for primary, read in engines)
    finally:
        engines[0][0].dispose()
