"""Integration tests of the dfs connector against a real MySQL/MariaDB demo source."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from connectors import get_connector
from connectors.base import Cursor, SourceRow, Stream
from connectors.dfs import DfsConnector, utc_sessions
from sandbox.simulator import Simulator
from sandbox.sources import create_sources, drop_sources, mysql_reachable
from tests.connectors.helpers import read_all

MYSQL_SERVER = os.environ.get("C360_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306")
CHUNK = 50


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """A throwaway dfs database with sample data (pid suffix: parallel runs stay apart)."""
    url = f"{MYSQL_SERVER}/c360_dfs_test_{os.getpid()}"
    reachable, message = mysql_reachable(url)
    if not reachable:
        pytest.skip(message)
    drop_sources({"dfs": url})
    status = create_sources({"dfs": url}, sample=True)
    assert "inserted" in status["dfs"], status
    yield url
    drop_sources({"dfs": url})


@pytest.fixture
def dfs(url: str) -> Iterator[DfsConnector]:
    connector = get_connector("dfs", url)
    assert isinstance(connector, DfsConnector)
    yield connector
    connector.close()


def execute(url: str, sql: str, params: Any = None) -> list[Any]:
    engine = utc_sessions(create_engine(url))
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params or {})
            return result.all() if result.returns_rows else []
    finally:
        engine.dispose()


def end_of(dfs: DfsConnector, stream: Stream) -> Cursor | None:
    rows = read_all(dfs, stream, None, 1000)
    return rows[-1].cursor if rows else None


def test_create_sources_is_idempotent(url: str) -> None:
    status = create_sources({"dfs": url}, sample=True)
    assert "tables present" in status["dfs"]
    assert "sample data already present" in status["dfs"]


def test_unreachable_server_is_skipped() -> None:
    down = "mysql+pymysql://root@127.0.0.1:1/c360_dfs_nowhere"
    reachable, message = mysql_reachable(down)
    assert not reachable and message.startswith("MySQL/MariaDB not reachable at 127.0.0.1:1 (")
    status = create_sources({"dfs": down}, sample=True)
    assert status["dfs"] == f"skipped: {message}"
    assert drop_sources({"dfs": down})["dfs"].startswith("skipped: MySQL/MariaDB not reachable")
    assert create_sources({"dfs": ""}, sample=False)["dfs"].startswith("skipped")


def test_sample_data_looks_like_dfs(url: str) -> None:
    users = execute(url, "SELECT national_id, phone_number, email FROM users")
    assert len(users) >= 120
    assert sum(phone is None for _, phone, _ in users) > len(users) / 2
    assert all(p is None or (len(p) == 10 and p.startswith("0")) for _, p, _ in users)
    assert any(" " in n.strip() for n, _, _ in users)
    assert execute(url, "SELECT 1 FROM accounts WHERE account_number = 'ACC1000001'")
    statuses = {s for (s,) in execute(url, "SELECT DISTINCT status FROM loans")}
    assert len(statuses) >= 4


def test_every_stream_pages_in_order_without_loss(dfs: DfsConnector) -> None:
    for stream in dfs.streams:
        rows = read_all(dfs, stream, None, 37)
        if stream.name == "risk_scores":
            assert rows == []  # the setup script's layout has no such table: nothing to read
            continue
        assert rows, stream.name
        keys = [int(row.key) for row in rows]
        assert keys == sorted(set(keys)), stream.name
        assert len(rows) == len(read_all(dfs, stream, None, 5000)), stream.name
        for row in rows:
            assert row.marker == row.key
            assert row.written_at is not None and row.written_at.tzinfo is not None
            assert (row.digest is None) == (stream.scan is None)
            dfs.transform(stream.entity, json.loads(json.dumps(row.raw)))


def test_ties_on_created_at_lose_and_repeat_nothing(url: str, dfs: DfsConnector) -> None:
    tie = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    stream = dfs.stream("users")
    before = end_of(dfs, stream)
    execute(
        url,
        "INSERT INTO users (full_name, national_id, created_at) VALUES (:n, :i, :at)",
        [{"n": f"Tie Breaker {n}", "i": f"{30000000 + n}", "at": tie} for n in range(50)],
    )
    rows = read_all(dfs, stream, None, 7)
    keys = [row.key for row in rows]
    assert len(keys) == len(set(keys))
    assert len(keys) == execute(url, "SELECT COUNT(*) FROM users")[0][0]
    tied = [row for row in rows if row.written_at == tie]
    assert len(tied) == 50
    # A cursor in the middle of the tie resumes exactly after it.
    after_middle = read_all(dfs, stream, tied[20].cursor, 7)
    assert [row.key for row in after_middle] == [row.key for row in tied[21:]]
    assert [row.key for row in read_all(dfs, stream, before, 7)] == [row.key for row in tied]
    # A backfill since the tie starts at its first row.
    since = dfs.cursor_since(stream, tie)
    assert [row.key for row in read_all(dfs, stream, since, 7)] == [row.key for row in tied]
    # The look-back from the last tied row re-reads the whole tie (created in one second).
    rewound = dfs.rewind(stream, tied[-1].cursor, 0.5)
    assert [row.key for row in read_all(dfs, stream, rewound, 7)] == [row.key for row in tied]


def test_lookback_finds_a_row_that_committed_late(url: str, dfs: DfsConnector) -> None:
    """AUTO_INCREMENT takes the key at insert: a slow transaction's row lands behind a cursor
    that already passed it; the rewind reads it again."""
    stream = dfs.stream("loans")
    slow_engine = utc_sessions(create_engine(url))
    try:
        with slow_engine.connect() as slow:
            slow_tx = slow.begin()
            late = slow.execute(
                text(
                    "INSERT INTO loans (user_id, principal_amount, total_due_amount, "
                    "balance_remaining) VALUES (1, 1000, 1100, 1100)"
                )
            ).lastrowid
            execute(
                url,
                "INSERT INTO loans (user_id, principal_amount, total_due_amount, "
                "balance_remaining) VALUES (2, 2000, 2200, 2200)",
            )
            cursor = end_of(dfs, stream)
            assert cursor is not None and int(cursor.key) > late
            slow_tx.commit()
    finally:
        slow_engine.dispose()
    assert str(late) not in [row.key for row in read_all(dfs, stream, cursor, 100)]
    rewound = dfs.rewind(stream, cursor, 10)
    assert str(late) in [row.key for row in read_all(dfs, stream, rewound, 100)]


def test_incremental_and_chunk_digests_agree(dfs: DfsConnector) -> None:
    for stream in dfs.streams:
        if stream.scan is None:
            continue
        scan = next(s for s in dfs.scans if s.name == stream.scan)
        incremental = {row.key: row.digest for row in read_all(dfs, stream, None, 500)}
        chunks = dfs.chunk_digests(scan, CHUNK)
        scanned: dict[str, str | None] = {}
        for chunk in chunks:
            for row in dfs.fetch_chunk(scan, chunk, CHUNK):
                assert row.marker == row.digest and row.written_at is None
                assert int(row.key) // CHUNK == chunk
                dfs.transform(scan.entity, row.raw)
                scanned[row.key] = row.digest
        assert scanned == incremental, stream.name
        assert sum(int(d.split(":")[0]) for d in chunks.values()) == len(incremental)


@pytest.mark.parametrize(
    ("scan_name", "table", "key", "change", "unchanged"),
    [
        ("accounts_scan", "accounts", "account_id", "balance = balance + 0.01", "FALSE"),
        ("accounts_scan", "accounts", "account_id", "status = 'FROZEN'", "status = 'FROZEN'"),
        ("loans_scan", "loans", "loan_id", "status = 'DEFAULTED'", "status = 'DEFAULTED'"),
        ("users_scan", "users", "user_id", "email = NULL", "email IS NULL"),
    ],
)
def test_a_change_alters_exactly_its_chunk(
    url: str, dfs: DfsConnector, scan_name: str, table: str, key: str, change: str, unchanged: str
) -> None:
    scan = next(s for s in dfs.scans if s.name == scan_name)
    # A row the change really alters, past the first chunk.
    [(row_id,)] = execute(
        url,
        f"SELECT {key} FROM {table} WHERE {key} > :chunk AND NOT ({unchanged}) "
        f"ORDER BY {key} LIMIT 1",
        {"chunk": CHUNK},
    )
    chunk = row_id // CHUNK
    before = dfs.chunk_digests(scan, CHUNK)
    rows_before = {r.key: r.digest for r in dfs.fetch_chunk(scan, chunk, CHUNK)}
    execute(url, f"UPDATE {table} SET {change} WHERE {key} = :id", {"id": row_id})
    after = dfs.chunk_digests(scan, CHUNK)
    assert set(after) == set(before)
    assert [c for c in before if before[c] != after[c]] == [chunk]
    rows_after = {r.key: r.digest for r in dfs.fetch_chunk(scan, chunk, CHUNK)}
    assert [k for k in rows_before if rows_before[k] != rows_after[k]] == [str(row_id)]


def test_simulator_dfs_events(url: str, dfs: DfsConnector) -> None:
    ends = {stream.name: end_of(dfs, stream) for stream in dfs.streams}

    def new_rows(stream: str) -> list[SourceRow]:
        return read_all(dfs, dfs.stream(stream), ends[stream], 100)

    accounts_scan = next(s for s in dfs.scans if s.name == "accounts_scan")
    loans_scan = next(s for s in dfs.scans if s.name == "loans_scan")
    sim = Simulator({"dfs": url}, seed=5)
    try:
        user = sim.dfs_new_user(national_id="12 345 678", email="John.Doe@Example.com")
        with pytest.raises(ValueError, match="already registered"):
            sim.dfs_new_user(email="john.doe@example.com")  # UNIQUE, case-insensitive
        with pytest.raises(ValueError, match="not dfs users columns"):
            sim.dfs_new_user(FirstName="John")
        account = sim.dfs_open_account(user["user_id"])
        with pytest.raises(ValueError, match="no dfs user"):
            sim.dfs_open_account(10**9)
        transactions_before = execute(url, "SELECT COUNT(*) FROM transactions")[0][0]
        digests = dfs.chunk_digests(accounts_scan, CHUNK)
        changed = sim.dfs_change_balance(account["account_id"], "2500.75")
        assert (changed["previous_balance"], str(changed["new_balance"])) == (0, "2500.75")
        frozen = sim.dfs_set_account_status(account["account_id"], "frozen")
        assert (frozen["previous_status"], frozen["status"]) == ("ACTIVE", "FROZEN")
        with pytest.raises(ValueError, match="account status must be one of"):
            sim.dfs_set_account_status(account["account_id"], "CLOSED")
        loan = sim.dfs_new_loan(user["user_id"], 5000)
        loan_digests = dfs.chunk_digests(loans_scan, CHUNK)
        paid = sim.dfs_set_loan_status(loan["loan_id"], "PAID")
        assert paid["previous_status"] == "PENDING"
    finally:
        sim.close()

    [row] = new_rows("users")
    record = dfs.transform("customer", row.raw)
    assert (record.national_id, record.phone) == ("12 345 678", None)
    [row] = new_rows("accounts")
    assert dfs.transform("account", row.raw).account_number == account["account_number"]
    # The balance moved without a transactions row: only the scan can see it.
    assert execute(url, "SELECT COUNT(*) FROM transactions")[0][0] == transactions_before
    assert new_rows("transactions") == []
    chunk = account["account_id"] // CHUNK
    after = dfs.chunk_digests(accounts_scan, CHUNK)
    assert [c for c in after if digests.get(c) != after[c]] == [chunk]
    key = str(account["account_id"])
    [scanned] = [r for r in dfs.fetch_chunk(accounts_scan, chunk, CHUNK) if r.key == key]
    record = dfs.transform("account", scanned.raw)
    assert (str(record.balance), record.status) == ("2500.75", "FROZEN")
    loan_chunk = loan["loan_id"] // CHUNK
    loans_after = dfs.chunk_digests(loans_scan, CHUNK)
    assert [c for c in loans_after if loan_digests.get(c) != loans_after[c]] == [loan_chunk]
    key = str(loan["loan_id"])
    [scanned] = [r for r in dfs.fetch_chunk(loans_scan, loan_chunk, CHUNK) if r.key == key]
    record = dfs.transform("loan", scanned.raw)
    assert (record.status, record.outstanding_balance) == ("PAID", 0)


def test_simulator_run_includes_dfs(url: str, dfs: DfsConnector) -> None:
    ends = {stream.name: end_of(dfs, stream) for stream in dfs.streams}
    sim = Simulator({"dfs": url}, seed=11)
    try:
        # Events of the sources without a URL count as skipped.
        counts = sim.run(duration_s=1.5, rate_per_s=60)
    finally:
        sim.close()
    assert counts["dfs_new_user"] + counts["dfs_change_balance"] > 0
    assert read_all(dfs, dfs.stream("users"), ends["users"], 100) or not counts["dfs_new_user"]
    for stream in dfs.streams:
        for row in read_all(dfs, stream, None, 1000):
            dfs.transform(stream.entity, row.raw)
