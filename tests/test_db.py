"""Composing reads and parameters (app/db.py): arrays sent as one parameter, IDs compared
with a query's, statements compiled once, one engine per process."""

import threading
from datetime import date
from uuid import uuid4

import pytest
from sqlalchemy import Boolean, Select, bindparam, insert, literal, literal_column, select, text

from app import db
from app.customer.models import customer_360
from app.db import Precompiled, among, array_literal, engines, in_array


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
    engine = engines._pooled_engine(database_url)
    try:
        with engine.connect() as idle, engine.connect() as other:
            first = idle.execute(text("SELECT pg_backend_pid()")).scalar_one()
            idle.close()  # back in the pool, first in line
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 0.0)

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
    monkeypatch.setattr(engines, "_engine", None)
    monkeypatch.setattr(engines, "_read_engine", None)
    start = threading.Barrier(8)
    made = []

    def ask() -> None:
        start.wait()
        made.append((db.get_engine(), db.get_read_engine()))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len({id(pair[0]) for pair in made}) == 1
        assert all(read is primary for primary, read in made)
    finally:
        made[0][0].dispose()


def _people_statement() -> Select:
    """Variables (an ID, a flag with a type of its own), fixed values (a limit, a literal with
    a percent sign, which the driver's SQL must escape) and the rows of a table."""
    return (
        select(
            customer_360.c.global_customer_id,
            literal("100% sure").label("note"),
            literal_column("'50%'").label("written"),
            bindparam("flag", type_=Boolean).label("flag"),
        )
        .where(customer_360.c.global_customer_id == bindparam("person"))
        .limit(5)
    )


def test_a_precompiled_statement_reads_what_sqlalchemy_reads(conn):
    person = uuid4()
    conn.execute(insert(customer_360).values(global_customer_id=person))
    statement = _people_statement()
    precompiled = Precompiled(statement, "person", "flag")

    for flag in (True, False):
        expected = conn.execute(statement, {"person": person, "flag": flag}).one()
        assert tuple(precompiled.first(conn, person=person, flag=flag)) == tuple(expected)
    assert tuple(expected) == (person, "100% sure", "50%", False)
    assert precompiled.first(conn, person=uuid4(), flag=True) is None


def test_a_precompiled_statement_is_compiled_once(conn, monkeypatch):
    person = uuid4()
    conn.execute(insert(customer_360).values(global_customer_id=person))
    precompiled = Precompiled(_people_statement(), "person", "flag")
    precompiled.first(conn, person=person, flag=True)

    def compile_again(*args, **kwargs):
        raise AssertionError("compiled again")

    monkeypatch.setattr(Select, "compile", compile_again)
    monkeypatch.setattr(Select, "_compile_w_cache", compile_again)

    assert precompiled.first(conn, person=person, flag=False)[0] == person


def test_a_precompiled_statement_wants_exactly_its_variables(conn):
    precompiled = Precompiled(_people_statement(), "person", "flag")

    with pytest.raises(TypeError, match="flag"):
        precompiled.first(conn, person=uuid4())
    with pytest.raises(TypeError, match="extra"):
        precompiled.first(conn, person=uuid4(), flag=True, extra=1)
    with pytest.raises(TypeError, match="nobody"):
        Precompiled(_people_statement(), "person", "flag", "nobody").first(
            conn, person=uuid4(), flag=True, nobody=1
        )


def test_a_statement_whose_sql_depends_on_its_values_is_not_precompiled(conn):
    """An expanding IN renders as many parameters as it is given values: no one SQL text."""
    statement = select(customer_360.c.global_customer_id).where(
        customer_360.c.global_customer_id.in_(bindparam("people", expanding=True))
    )

    with pytest.raises(TypeError, match="not a fixed statement"):
        Precompiled(statement, "people").first(conn, people=[uuid4()])
