"""Integration tests of the connectors against real PostgreSQL and SQLite demo sources."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from connectors import get_connector
from connectors.base import Connector, Cursor, SourceRow, Stream
from connectors.fraud import fraud_time
from sandbox.simulator import Simulator
from sandbox.sources import create_sources
from tests.connectors.helpers import read_all


def position(connector: Connector, stream: Stream, row: SourceRow) -> tuple[Any, ...]:
    """The row's cursor in the order the source compares it."""
    if connector.source_system == "fraud":
        key = int(row.key)
        return (key, key) if stream.name == "cases_new" else (row.marker, key)
    return (datetime.fromisoformat(row.marker), uuid.UUID(row.key))


def end_of(connector: Connector, stream: Stream) -> Cursor | None:
    rows = read_all(connector, stream, None, 1000)
    return rows[-1].cursor if rows else None


def execute(url: str, sql: str, params: Any = None) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params or {})
            return result.all() if result.returns_rows else []
    finally:
        engine.dispose()


def test_create_sources_is_idempotent(source_urls: dict[str, str]) -> None:
    status = create_sources(source_urls | {"dfs": ""}, sample=True)
    assert status["dfs"].startswith("skipped")
    for source in ("core", "channel", "fraud"):
        assert "tables present" in status[source]
        assert "sample data already present" in status[source]


@pytest.mark.parametrize("source", ["core", "channel", "fraud"])
def test_every_stream_pages_in_order_without_loss(source_urls: dict[str, str], source: str) -> None:
    connector = get_connector(source, source_urls[source])
    try:
        for stream in connector.streams:
            rows = read_all(connector, stream, None, 37)
            assert rows, stream.name
            positions = [position(connector, stream, row) for row in rows]
            assert positions == sorted(positions), stream.name
            assert len(set(positions)) == len(positions), stream.name
            assert len(rows) == len(read_all(connector, stream, None, 5000)), stream.name
            for row in rows:
                json.dumps(row.raw)  # what the pipeline stores must be JSON
                assert row.written_at is None or row.written_at.tzinfo is not None
                connector.transform(stream.entity, json.loads(json.dumps(row.raw)))
    finally:
        connector.close()


def test_ties_on_a_marker_lose_and_repeat_nothing(source_urls: dict[str, str]) -> None:
    tie = datetime(2026, 1, 15, 12, 0, 0, 123456, tzinfo=UTC)
    ids = [uuid.uuid4() for _ in range(50)]
    execute(
        source_urls["core"],
        'INSERT INTO "Customers" ("Id", "CustomerNumber", "FirstName", "LastName", '
        "\"UpdatedAt\") VALUES (:id, :number, 'Tie', 'Breaker', :at)",
        [{"id": i, "number": f"TIE{n:05d}", "at": tie} for n, i in enumerate(ids)],
    )
    connector = get_connector("core", source_urls["core"])
    try:
        stream = connector.stream("customers")
        rows = read_all(connector, stream, None, 7)
        keys = [row.key for row in rows]
        assert len(keys) == len(set(keys))
        total = execute(source_urls["core"], 'SELECT COUNT(*) FROM "Customers"')[0][0]
        assert len(keys) == total
        tied = [row for row in rows if row.written_at == tie]
        assert sorted(row.key for row in tied) == sorted(str(i) for i in ids)
        # A cursor in the middle of the tie resumes exactly after it.
        middle = tied[20].cursor
        after_middle = read_all(connector, stream, middle, 7)
        assert [row.key for row in after_middle[:29]] == [row.key for row in tied[21:]]
        # From a backfill start at the tie, all 50 are new again.
        since = connector.cursor_since(stream, tie)
        assert [row.key for row in read_all(connector, stream, since, 7)[:50]] == [
            row.key for row in tied
        ]
        # Rewinding the last tied position re-reads the whole tie and what followed.
        rewound = connector.rewind(stream, tied[-1].cursor, 0.5)
        reread = read_all(connector, stream, rewound, 7)
        assert [row.key for row in reread[:50]] == [row.key for row in tied]
    finally:
        connector.close()


def test_fraud_ties_and_two_clocks(source_urls: dict[str, str]) -> None:
    url = source_urls["fraud"]
    local_stamp = "2026-03-01 10:00:00.500000"  # 07:00:00.5 UTC, written by the workbench
    execute(
        url,
        "INSERT INTO analyst_cases (transaction_id, customer_id, amount, risk_score, risk_level, "
        "updated_at) VALUES (:t, 'CUST000001', 100.005, 0.5, 'MEDIUM', :u)",
        [{"t": f"TX-TIE-{n:03d}", "u": local_stamp} for n in range(20)],
    )
    connector = get_connector("fraud", url)
    try:
        updated = connector.stream("cases_updated")
        rows = read_all(connector, updated, None, 7)
        assert len({row.key for row in rows}) == len(rows)
        tied = [row for row in rows if row.marker == local_stamp]
        assert len(tied) == 20
        assert {row.written_at for row in tied} == {datetime(2026, 3, 1, 7, 0, 0, 500000, UTC)}
        # the look-back spans the workbench clock's gap to UTC (Nairobi: 3 h)
        rewound = connector.rewind(updated, tied[-1].cursor, 1)
        assert rewound.marker == "2026-03-01 06:59:59.500000"
        assert [r.key for r in read_all(connector, updated, rewound, 7)[:20]] == [
            r.key for r in tied
        ]
        new = connector.stream("cases_new")
        cases = read_all(connector, new, None, 7)
        assert [int(r.key) for r in cases] == sorted(int(r.key) for r in cases)
        record = connector.transform("fraud_case", tied[0].raw)
        assert str(record.amount) == "100.00"  # 100.005 as REAL, half-even
        # A backfill since a moment starts at the first case opened at or after it.
        opened = fraud_time(cases[10].raw["created_at"])
        since = connector.cursor_since(new, opened)
        assert since is not None and int(since.marker) <= int(cases[10].key) - 1
    finally:
        connector.close()


def test_channel_never_reads_session_tokens(source_urls: dict[str, str]) -> None:
    tokens = [t for (t,) in execute(source_urls["channel"], "SELECT session_token FROM sessions")]
    assert tokens
    connector = get_connector("channel", source_urls["channel"])
    try:
        dumped = json.dumps(
            [r.raw for r in read_all(connector, connector.stream("sessions"), None, 500)]
        )
    finally:
        connector.close()
    assert "session_token" not in dumped
    assert not any(token in dumped for token in tokens)


def test_sample_data_crosses_systems(source_urls: dict[str, str]) -> None:
    core, fraud = source_urls["core"], source_urls["fraud"]
    numbers = {n for (n,) in execute(core, 'SELECT "CustomerNumber" FROM "Customers"')}
    references = {r for (r,) in execute(core, 'SELECT "Reference" FROM "Transactions"')}
    cases = execute(
        fraud, "SELECT customer_id, transaction_id FROM analyst_cases WHERE case_id <= 50"
    )
    assert cases and all(c in numbers and t in references for c, t in cases)
    stamps = [u for (u,) in execute(fraud, "SELECT updated_at FROM analyst_cases")]
    assert any("." in s for s in stamps) and any("." not in s for s in stamps)
    shared = execute(
        core,
        'SELECT "PrimaryPhone" FROM "Customers" WHERE "PrimaryPhone" IS NOT NULL '
        'GROUP BY 1 HAVING COUNT(DISTINCT "IdentificationNumber") > 1',
    )
    assert shared  # families share a phone


def test_simulator_writes_appear_in_fetch(source_urls: dict[str, str]) -> None:
    connectors = {s: get_connector(s, source_urls[s]) for s in ("core", "channel", "fraud")}
    ends = {
        (s, stream.name): end_of(c, stream) for s, c in connectors.items() for stream in c.streams
    }

    def new_rows(source: str, stream: str) -> list[SourceRow]:
        connector = connectors[source]
        return read_all(connector, connector.stream(stream), ends[source, stream], 100)

    sim = Simulator(source_urls, seed=3)
    try:
        customer = sim.new_customer(
            PrimaryPhone="0712 999 001", SecondaryPhone="0110 999 002", FirstName="Amina"
        )
        login = sim.login(customer, device_id="android-7f3a")
        credit = sim.post_transaction(customer["account_id"], "1000", "Credit", "USSD")
        debit = sim.post_transaction(customer["account_id"], 250.5, "debit", "teller.wanjiru")
        with pytest.raises(ValueError, match="insufficient funds"):
            sim.post_transaction(customer["account_id"], 10**6, "Debit")
        case = sim.open_fraud_case(
            debit["customer_number"], debit["reference"], 0.91, ["Unusual amount", "New device"]
        )
        escalated = sim.escalate_case(case["case_id"])
        alert = sim.security_alert(customer["phone"], "SIM_SWAP", "CRITICAL")
    finally:
        sim.close()

    core, channel, fraud = connectors["core"], connectors["channel"], connectors["fraud"]
    try:
        [row] = new_rows("core", "customers")
        record = core.transform("customer", row.raw)
        assert (record.business_key, record.phone, record.secondary_phone) == (
            customer["customer_number"],
            "0712 999 001",
            "0110 999 002",
        )
        [row] = new_rows("core", "accounts")
        assert str(core.transform("account", row.raw).balance) == "749.50"
        posted = [core.transform("transaction", r.raw) for r in new_rows("core", "transactions")]
        assert [(t.reference, t.type, t.channel) for t in posted] == [
            (credit["reference"], "CREDIT", "USSD"),
            (debit["reference"], "DEBIT", "BRANCH"),
        ]
        assert login["new_user"] and login["msisdn"] == "254712999001"
        [row] = new_rows("channel", "users")
        assert channel.transform("customer", row.raw).phone == "254712999001"
        [row] = new_rows("channel", "sessions")
        assert channel.transform("login", row.raw).device_id == "android-7f3a"
        [row] = new_rows("channel", "security_alerts")
        assert channel.transform("alert", row.raw).source_alert_id == alert["alert_id"]
        [row] = new_rows("fraud", "cases_new")
        assert row.key == str(case["case_id"])
        updated = new_rows("fraud", "cases_updated")
        assert [r.marker for r in updated] == [escalated["updated_at"]]
        record = fraud.transform("fraud_case", updated[0].raw)
        assert record.status == "ESCALATED"
        # The workbench's Nairobi clock reads three hours ahead; normalized, it is now.
        assert abs(record.updated_at - datetime.now(UTC)) < timedelta(minutes=1)
        assert record.updated_at >= record.opened_at - timedelta(seconds=1)
    finally:
        for connector in connectors.values():
            connector.close()


def test_simulator_run_mixes_events(source_urls: dict[str, str]) -> None:
    sim = Simulator(source_urls, seed=11)
    try:
        counts = sim.run(duration_s=1.5, rate_per_s=40)
    finally:
        sim.close()
    assert sum(counts.values()) >= 20
    assert counts["post_transaction"] > 0
    for source in ("core", "channel", "fraud"):
        connector = get_connector(source, source_urls[source])
        try:
            for stream in connector.streams:
                for row in read_all(connector, stream, None, 1000):
                    connector.transform(stream.entity, row.raw)
        finally:
            connector.close()
