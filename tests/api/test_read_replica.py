"""API reads on a streaming replica (C360_READ_DATABASE_URL): a real primary and a real hot
standby made with pg_basebackup, on ports of their own. Customer reads come from the standby
(paused, it answers what it holds); writes (the access log) go to the primary."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest
from sqlalchemy import create_engine, insert, text, update

from app import create_app, db
from app.access.keys import create_key
from app.customer.models import customer_360
from app.migrate import upgrade
from app.waiting import wait_until
from sandbox.replica import ReplicaPair, replica_pair
from tests.conftest import environment


@pytest.fixture(scope="module")
def pair() -> Iterator[ReplicaPair]:
    with replica_pair() as started:
        upgrade(started.primary_url)
        yield started


def test_customer_reads_come_from_the_replica_and_writes_go_to_the_primary(pair, engine):
    primary, standby = create_engine(pair.primary_url), create_engine(pair.standby_url)
    gid = uuid4()
    with primary.begin() as conn:
        conn.execute(
            insert(customer_360).values(global_customer_id=gid, full_name="Achieng Otieno")
        )
        key = create_key(conn, "replica-reader", ["read"])
    headers = {"Authorization": f"Bearer {key}"}

    def logged_reads() -> int:
        with primary.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM access_log WHERE :gid = ANY(customer_ids)"),
                {"gid": gid},
            ).scalar()

    try:
        with environment(
            C360_DATABASE_URL=pair.primary_url, C360_READ_DATABASE_URL=pair.standby_url
        ):
            db.set_engine(None)  # both engines made from the environment, as in a deployment
            client = create_app().test_client()

            def name() -> str | None:
                response = client.get(f"/customer/{gid}", headers=headers)
                return (
                    response.get_json()["full_name"]["value"]
                    if response.status_code == 200
                    else None
                )

            wait_until(lambda: name() == "Achieng Otieno", timeout=30, what="the standby's copy")
            with standby.connect() as conn:
                conn.execute(text("SELECT pg_wal_replay_pause()"))
                conn.commit()
            with primary.begin() as conn:
                conn.execute(
                    update(customer_360)
                    .where(customer_360.c.global_customer_id == gid)
                    .values(full_name="Achieng Wanjiru")
                )
            # the standby has not replayed the change: the API answers what the standby holds
            assert name() == "Achieng Otieno"
            # ... and every read was logged on the primary (a standby accepts no writes)
            assert logged_reads() >= 2
            with standby.connect() as conn:
                conn.execute(text("SELECT pg_wal_replay_resume()"))
                conn.commit()
            wait_until(lambda: name() == "Achieng Wanjiru", timeout=30, what="the replayed change")
    finally:
        db.set_engine(engine)
        primary.dispose()
        standby.dispose()
