"""Identity resolution against the real database: storage, decisions, and concurrency."""

from __future__ import annotations

import multiprocessing
import os
from datetime import UTC, datetime

from sqlalchemy import create_engine, func, select, text

from app import db
from app.customer.models import customer_360, source_customer
from app.identity.matcher import link_customers
from app.identity.models import match_decision
from connectors.records import CustomerRecord
from tests.conftest import truncate_all

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def record(source, key, national_id=None, phone=None, email=None, name="Alice Wanjiru", at=NOW):
    return CustomerRecord(
        source_system=source,
        source_customer_id=key,
        full_name=name,
        national_id=national_id,
        phone=phone,
        email=email,
        date_of_birth=None,
        is_active=True,
        created_at=at,
        updated_at=at,
        business_key=None,
    )


def test_links_are_stored_and_reused(conn):
    first = link_customers(conn, [record("core", "c1", "ID12345678", "0712345678")], batch_id=1)
    again = link_customers(conn, [record("channel", "u1", phone="254712345678")], batch_id=2)
    assert again[0].global_customer_id == first[0].global_customer_id
    stored = conn.execute(
        select(
            source_customer.c.phone, source_customer.c.phone_raw, source_customer.c.match_rule
        ).where(source_customer.c.source_system == "channel")
    ).one()
    assert tuple(stored) == ("+254712345678", "254712345678", "phone")
    reasons = conn.execute(select(match_decision.c.decision, match_decision.c.reason)).all()
    assert [r.decision for r in reasons] == ["new", "matched"]


def test_rerunning_a_batch_changes_nothing(conn):
    batch = [record("core", "c1", "12345678"), record("core", "c2", "87654321")]
    first = {d.identity.key: d.global_customer_id for d in link_customers(conn, batch)}
    second = {d.identity.key: d.global_customer_id for d in link_customers(conn, batch)}
    assert first == second
    assert conn.execute(select(func.count()).select_from(customer_360)).scalar() == 2


def test_an_older_version_never_overwrites_a_newer_one(conn):
    newer = record("core", "c1", "12345678", name="New Name", at=datetime(2026, 11, 2, tzinfo=UTC))
    older = record("core", "c1", "12345678", name="Old Name", at=datetime(2026, 11, 1, tzinfo=UTC))
    link_customers(conn, [newer])
    link_customers(conn, [older])
    assert conn.execute(select(source_customer.c.full_name)).scalar() == "New Name"


def _link_in_process(url: str, people: list[CustomerRecord], ready) -> None:
    engine = create_engine(url)
    db.set_engine(engine)
    with engine.connect():
        pass  # connect before the race starts
    ready.wait()  # every process is past its imports: the batches really overlap
    for start in range(0, len(people), 10):
        with db.transaction() as conn:
            link_customers(conn, people[start : start + 10])
    engine.dispose()


def test_concurrent_batches_bringing_the_same_new_people_give_one_id_each(engine):
    """Four processes, each batches from another source, all bring the same 200 new people."""
    truncate_all(engine)
    url = os.environ["C360_DATABASE_URL"]
    sources = ["core", "channel", "dfs", "branch"]
    batches = [
        [
            record(source, f"{source}-{n}", national_id=f"2{n:07d}", phone=f"07{n:08d}")
            for n in range(1, 201)
        ]
        for source in sources
    ]
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(len(batches))
    workers = [
        context.Process(target=_link_in_process, args=(url, batch, ready)) for batch in batches
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    with engine.connect() as conn:
        ids_per_person = conn.execute(
            text(
                "SELECT split_part(source_customer_id, '-', 2) AS person,"
                " count(DISTINCT global_customer_id) FROM source_customer GROUP BY 1"
            )
        ).all()
        profiles = conn.execute(select(func.count()).select_from(customer_360)).scalar()
    truncate_all(engine)
    assert len(ids_per_person) == 200
    assert all(count == 1 for _, count in ids_per_person)
    # the losers' would-be IDs must not have left orphan profiles behind
    assert profiles == 200
