"""Bad rows in a good batch: the good ones land, the bad ones are quarantined with a reason and
the raw row, and a replay after a fix takes them back. Real steps, real database."""

import threading
import time
from datetime import timedelta

from sqlalchemy import text

from app import db
from app.config import Settings
from app.identity.locks import IdentityLocks, business_key
from app.pipeline import quarantine, steps, validate
from app.pipeline.staging import stage_replay
from app.pipeline.vocabulary import unknown_values
from tests.conftest import truncate_all
from tests.pipeline.conftest import run_steps


def case(case_id, **fields):
    raw = {
        "case_id": case_id,
        "transaction_id": f"TX-{case_id}",
        "customer_id": "CUST0001",
        "amount": 1500.5,
        "currency": "KES",
        "merchant_name": "Naivas",
        "transaction_type": "PURCHASE",
        "risk_score": 0.4,
        "risk_level": "MEDIUM",
        "status": "ASSIGNED",
        "analyst_id": None,
        "analyst_comment": None,
        "flagged_reason": "Unusual amount",
        "created_at": "2026-11-20 08:00:00",
        "updated_at": "2026-11-20 08:00:00",
        "closed_at": None,
    }
    return ("fraud_case", str(case_id), {**raw, **fields})


def run_batch(conn, source, rows):
    batch_id = stage_replay(conn, source, rows)
    assert run_steps(batch_id) == ["matched", "upserted", "done"]
    return batch_id


def test_bad_rows_are_set_aside_and_the_rest_lands(conn):
    rows = [
        case(1),
        case(2, amount="abc"),
        case(3, risk_score=7.5),
        case(4, currency="XYZ"),
        case(5, created_at="2099-01-01 00:00:00", updated_at="2099-01-01 00:00:00"),
        case(6, merchant_name="M" * 10_000),
        case(7),
        case(8, status="PENDING_REVIEW"),
    ]
    batch_id = run_batch(conn, "fraud", rows)
    landed = conn.execute(text("SELECT source_case_id FROM fraud_case ORDER BY 1")).scalars()
    # a code no list of ours holds (a currency, a status) is data: it lands, counted
    assert list(landed) == ["1", "4", "7", "8"]
    assert unknown_values(conn)["fraud"] == {
        "fraud case status": {"PENDING_REVIEW": 1},
        "fraud case currency": {"XYZ": 1},
    }
    reasons = dict(conn.execute(text("SELECT source_key, reason FROM quarantine")).all())
    assert set(reasons) == {"2", "3", "5", "6"}
    assert "amount" in reasons["2"] and "future" in reasons["5"]
    assert "10000 characters" in reasons["6"]
    raw = conn.execute(text("SELECT raw FROM quarantine WHERE source_key = '2'")).scalar()
    assert raw["amount"] == "abc"
    status = conn.execute(
        text("SELECT status, quarantined_count FROM ingest_batch WHERE batch_id = :b"),
        {"b": batch_id},
    ).one()
    assert tuple(status) == ("done", 4)


def test_an_unreadable_phone_drops_the_phone_not_the_customer(conn):
    raw = {
        "Id": "7d3e1f4a-0000-4000-8000-000000000001",
        "CustomerNumber": "CUST0009",
        "FirstName": "Achieng",
        "MiddleName": None,
        "LastName": "Otieno",
        "Email": None,
        "IdentificationNumber": "12345678",
        "DateOfBirth": None,
        "PrimaryPhone": "call me",
        "Status": "Active",
        "CreatedAt": "2026-11-20T08:00:00+00:00",
        "UpdatedAt": "2026-11-20T08:00:00+00:00",
    }
    run_batch(conn, "core", [("customer", raw["Id"], raw)])
    landed = conn.execute(text("SELECT national_id, phone FROM source_customer")).one()
    assert tuple(landed) == ("12345678", None)
    entry = conn.execute(text("SELECT level, reason FROM quarantine")).one()
    assert entry.level == "field" and "unreadable phone 'call me'" in entry.reason


def test_replay_after_a_fix_takes_the_records_back(conn, monkeypatch):
    run_batch(conn, "fraud", [case(1, created_at="2099-01-01 00:00:00")])
    first = quarantine.replay(conn, Settings.from_env())
    assert (first["resolved"], first["still_quarantined"]) == (0, 1)

    monkeypatch.setattr(validate, "FUTURE_TOLERANCE", timedelta(days=36_500))  # our rule, fixed
    outcome = quarantine.replay(conn, Settings.from_env())
    assert outcome["resolved"] == 1 and len(outcome["batches"]) == 1
    run_steps(outcome["batches"][0])
    opened = conn.execute(text("SELECT opened_at FROM fraud_case")).scalar()
    assert opened.year == 2099
    assert quarantine.list_quarantine(conn) == []


def core_customer(key, number, national_id):
    raw = {
        "Id": key,
        "CustomerNumber": number,
        "FirstName": "Achieng",
        "MiddleName": None,
        "LastName": "Otieno",
        "Email": None,
        "IdentificationNumber": national_id,
        "DateOfBirth": None,
        "PrimaryPhone": None,
        "Status": "Active",
        "CreatedAt": "2026-11-20T08:00:00+00:00",
        "UpdatedAt": "2026-11-20T08:00:00+00:00",
    }
    return ("customer", key, raw)


def test_a_business_key_reused_by_a_second_row_is_quarantined(conn):
    first = "7d3e1f4a-0000-4000-8000-000000000001"
    second = "7d3e1f4a-0000-4000-8000-000000000002"
    run_batch(conn, "core", [core_customer(first, "CUST0042", "12345678")])
    run_batch(conn, "core", [core_customer(second, "CUST0042", "87654321")])
    linked = conn.execute(text("SELECT source_customer_id FROM source_customer")).scalars()
    assert list(linked) == [first]
    reason = conn.execute(text("SELECT reason FROM quarantine")).scalar()
    assert reason == f"business key 'CUST0042' already belongs to record {first}"


def test_two_batches_claiming_one_business_key_at_once_link_one_and_quarantine_the_other(engine):
    """Decided under the key's identity lock (and backed by a unique index): both steps finish, one
    record holds the key, the other waits in quarantine. Checked before the lock, both would
    see the key free and the second would fail on the index."""
    truncate_all(engine)
    first = "7d3e1f4a-0000-4000-8000-000000000011"
    second = "7d3e1f4a-0000-4000-8000-000000000012"
    with db.transaction() as conn:
        batches = [
            stage_replay(conn, "core", [core_customer(first, "CUST0077", "12345678")]),
            stage_replay(conn, "core", [core_customer(second, "CUST0077", "87654321")]),
        ]
    outcomes: dict[int, object] = {}

    def match(batch_id):
        try:
            outcomes[batch_id] = steps.match_step(batch_id, Settings.from_env())
        except Exception as error:  # noqa: BLE001 (the failure is what the test reports)
            outcomes[batch_id] = error

    try:
        with engine.connect() as holder:
            # both steps queue behind whoever holds the key's identity lock, then go one at a time
            held = holder.begin()
            IdentityLocks(holder).take([business_key("core", "CUST0077")])
            threads = [threading.Thread(target=match, args=(b,)) for b in batches]
            for thread in threads:
                thread.start()
            time.sleep(0.5)
            held.rollback()
            for thread in threads:
                thread.join(timeout=30)

        assert outcomes == {batches[0]: "matched", batches[1]: "matched"}
        with engine.connect() as conn:
            holders = (
                conn.execute(
                    text(
                        "SELECT source_customer_id FROM source_customer"
                        " WHERE business_key = 'CUST0077'"
                    )
                )
                .scalars()
                .all()
            )
            quarantined = conn.execute(text("SELECT source_key FROM quarantine")).scalars().all()
        assert len(holders) == 1
        assert quarantined == [({first, second} - set(holders)).pop()]
    finally:
        truncate_all(engine)
