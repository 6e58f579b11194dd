"""Events in any order, duplicated and replayed, through the real intake and steps (one database
transaction, rolled back): after every delivery the stored fact is the newest version seen, the
profile is one, and the events out are each customer's, numbered 1, 2, 3... in the order they
were written. Hypothesis picks the deliveries; the invariants are checked after each."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.config import Settings
from app.events import feed
from app.intake.service import take_events
from tests.outbox.invariants import versions_out_of_order
from tests.pipeline.conftest import run_steps

T0 = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
VERSIONS = 5


def envelope(event_type, key, data, at, event_id):
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "core",
        "type": event_type,
        "time": at.isoformat(),
        "subject": key,
        "data": data,
    }


def customer_created(customer: str) -> dict:
    return envelope(
        "CustomerCreated",
        customer,
        {
            "Id": customer,
            "CustomerNumber": f"C{customer[:8]}",
            "FirstName": "Njeri",
            "LastName": "Mwangi",
            "IdentificationNumber": str(20_000_000 + int(customer[:6], 16) % 9_000_000),
            "Status": "Active",
            "CreatedAt": T0.isoformat(),
            "UpdatedAt": T0.isoformat(),
        },
        T0,
        f"{customer}-created",
    )


def balance_at(customer: str, account: str, version: int) -> dict:
    """The account as it was at `version`: later versions, later times, larger balances."""
    at = T0 + timedelta(minutes=version)
    return envelope(
        "AccountUpdated" if version else "AccountOpened",
        account,
        {
            "Id": account,
            "AccountNumber": f"A{account[:8]}",
            "CustomerId": customer,
            "AccountType": "Savings",
            "Currency": "KES",
            "Balance": 100 * (version + 1),
            "AvailableBalance": 100 * (version + 1),
            "Status": "Active",
            "IsClosed": False,
            "CreatedAt": T0.isoformat(),
            "UpdatedAt": at.isoformat(),
        },
        at,
        f"{account}-v{version}",
    )


def deliver(conn, events: list[dict]) -> None:
    intake = take_events(conn, events, Settings.from_env().source_urls)
    assert not intake.rejected, intake.rejected
    for batch_id in intake.batches:
        assert run_steps(batch_id)[-1] == "done"


def assert_events_out_in_order(conn) -> None:
    """Each customer's events out: versions 1, 2, 3... in the order written, and the feed
    gives them in that order."""
    assert versions_out_of_order(conn) == []
    feed.stamp(conn)
    page = feed.read(conn, 0, 100_000)
    seen: dict[str, int] = {}
    for event in page.events:
        assert event["profileversion"] == seen.get(event["subject"], 0) + 1, event
        seen[event["subject"]] = event["profileversion"]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(st.integers(min_value=0, max_value=VERSIONS - 1), min_size=1, max_size=8),
    st.booleans(),
)
def test_out_of_order_duplicated_and_replayed_events_keep_the_newest(conn, order, person_last):
    customer, account = str(uuid.uuid4()), str(uuid.uuid4())
    sent: set[str] = set()
    newest = -1
    steps = [("account", version) for version in order]
    steps.insert(len(steps) if person_last else 0, ("person", None))
    for kind, version in steps:
        event = (
            customer_created(customer)
            if kind == "person"
            else balance_at(customer, account, version)
        )
        deliver(conn, [event])
        sent.add(event["id"])
        if version is not None:
            newest = max(newest, version)

        # after every delivery: one event ID, one staging; the newest version is the fact
        staged = (
            conn.execute(
                text("SELECT count(*) FROM ingest_event WHERE event_id LIKE :p || '%'"),
                {"p": customer},
            ).scalar()
            + conn.execute(
                text("SELECT count(*) FROM ingest_event WHERE event_id LIKE :p || '%'"),
                {"p": account},
            ).scalar()
        )
        assert staged == len(sent)
        balance = conn.execute(
            text("SELECT balance FROM account_360 WHERE source_account_id = :a"), {"a": account}
        ).scalar()
        if newest >= 0:
            assert balance == 100 * (newest + 1)
        owners = conn.execute(
            text(
                "SELECT count(DISTINCT global_customer_id) FROM source_customer"
                " WHERE source_customer_id = :c"
            ),
            {"c": customer},
        ).scalar()
        assert owners == (1 if kind == "person" or customer_created(customer)["id"] in sent else 0)
        assert_events_out_in_order(conn)

    # a replay of the whole day: nothing changes
    before = conn.execute(text("SELECT count(*) FROM outbox_event")).scalar()
    replayed = take_events(
        conn,
        [customer_created(customer)] + [balance_at(customer, account, v) for v in set(order)],
        Settings.from_env().source_urls,
    )
    assert replayed.staged == 0 and replayed.batches == []
    assert conn.execute(text("SELECT count(*) FROM outbox_event")).scalar() == before
