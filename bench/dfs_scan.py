"""What the dfs scan streams and the incremental poll cost on a big table.

Fills a scratch `c360_dfs_bench` database on the MySQL/MariaDB server with N accounts (default
1,000,000) and the users they belong to (N/5), then measures on the accounts table:

(a) chunk_digests over the whole table for chunk sizes 1,000 / 10,000 / 50,000;
(b) after changing the balance of 100 random accounts, the full change detection: chunk_digests,
    fetch_chunk of the chunks whose digest differs, and the comparison of row digests;
(c) the load on the source of each: rows read by the storage engine (Handler_read_* deltas of the
    session) and bytes sent to the client (Bytes_sent delta);
and one incremental poll of the accounts stream (the chosen id cursor, and for comparison the
(created_at, id) cursor that the schema has no index for), with their EXPLAIN plans, and one
look-back rewind. Prints a JSON summary and writes it to bench/results/dfs_scan.json.

    python bench/dfs_scan.py [--rows 1000000] [--server mysql+pymysql://root@127.0.0.1:3306]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from report import save  # bench/report.py: scripts run from bench/
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import StaticPool

from connectors.base import Cursor
from connectors.dfs import DfsConnector, utc_sessions
from sandbox.sources import create_sources, drop_sources, mysql_reachable

SIZES = (1_000, 10_000, 50_000)
BATCH = 20_000  # rows per executemany: pymysql turns it into ~1 MB multi-row INSERTs
STATUS = (
    "SHOW SESSION STATUS WHERE Variable_name LIKE 'Handler_read%' "
    "OR Variable_name IN ('Bytes_sent', 'Rows_read', 'Rows_sent')"
)
POLL_COLUMNS = "account_id, account_number, user_id, balance, currency, status, created_at"


def fill(conn: Connection, users: int, accounts: int) -> float:
    """Insert `users` users and `accounts` accounts; five rows share each created_at second."""
    start = time.monotonic()
    base = datetime.now(UTC).replace(microsecond=0, tzinfo=None) - timedelta(days=30)
    rng = random.Random(1)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute("SET foreign_key_checks = 0, unique_checks = 0")
    tables = (
        (
            "INSERT INTO users (user_id, full_name, email, phone_number, national_id, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            users,
            lambda i: (
                i,
                f"User {i}",
                f"user{i}@example.com",
                None if i % 4 else f"07{i:08d}",
                f"{10_000_000 + i}",
                base + timedelta(seconds=i // 5),
            ),
        ),
        (
            "INSERT INTO accounts (account_id, account_number, user_id, balance, currency, "
            "status, created_at) VALUES (%s, %s, %s, %s, 'KES', 'ACTIVE', %s)",
            accounts,
            lambda i: (
                i,
                f"ACC{1_000_000 + i}",
                rng.randrange(1, users + 1),
                f"{rng.randrange(10**7) / 100:.2f}",
                base + timedelta(seconds=i // 5),
            ),
        ),
    )
    for sql, count, row in tables:
        for low in range(1, count + 1, BATCH):
            cursor.executemany(sql, [row(i) for i in range(low, min(low + BATCH, count + 1))])
            conn.connection.dbapi_connection.commit()  # type: ignore[union-attr]
    cursor.execute("SET foreign_key_checks = 1, unique_checks = 1")
    cursor.execute("ANALYZE TABLE users, accounts")
    cursor.fetchall()
    cursor.close()
    return time.monotonic() - start


class Meter:
    """Wall time and the session's status deltas around one piece of work on `conn`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        first, second = self._status(), self._status()
        self.overhead = {k: second[k] - first[k] for k in first}  # what SHOW STATUS itself adds

    def _status(self) -> dict[str, int]:
        return {name: int(value) for name, value in self.conn.execute(text(STATUS)).all()}

    def __call__(self, work: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
        before = self._status()
        start = time.monotonic()
        result = work()
        seconds = time.monotonic() - start
        after = self._status()
        delta = {k: after[k] - before[k] - self.overhead[k] for k in before}
        reads = {k: v for k, v in delta.items() if k.startswith("Handler_read") and v}
        return result, {
            "seconds": round(seconds, 3),
            "rows_read": sum(reads.values()),
            "handler_reads": reads,
            "bytes_sent": delta["Bytes_sent"],
        }


def explain(conn: Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(text(f"EXPLAIN {sql}"), params).mappings()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="accounts to insert")
    parser.add_argument("--server", default="mysql+pymysql://root@127.0.0.1:3306")
    parser.add_argument("--changes", type=int, default=100, help="balances changed per round")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    url = f"{args.server}/c360_dfs_bench"
    reachable, message = mysql_reachable(url)
    if not reachable:
        raise SystemExit(message)
    drop_sources({"dfs": url})
    create_sources({"dfs": url}, sample=False)
    # One pooled connection: the connector's queries and SHOW SESSION STATUS share a session.
    engine = utc_sessions(create_engine(url, poolclass=StaticPool))
    connector = DfsConnector(url, engine=engine)
    scan = next(s for s in connector.scans if s.name == "accounts_scan")
    stream = connector.stream("accounts")
    users = max(args.rows // 5, 1)
    summary: dict[str, Any] = {"server": message, "accounts": args.rows, "users": users}
    try:
        with engine.connect() as conn:
            summary["fill_seconds"] = round(fill(conn, users, args.rows), 1)
            meter = Meter(conn)
            rng = random.Random(2)
            summary["chunk_digests"], summary["change_detection"] = [], []
            for size in SIZES:
                digests, cost = meter(lambda size=size: connector.chunk_digests(scan, size))
                summary["chunk_digests"].append({"chunk_size": size, "chunks": len(digests)} | cost)
                summary["change_detection"].append(
                    detect(
                        connector,
                        conn,
                        meter,
                        digests,
                        size,
                        rng.sample(range(1, args.rows + 1), args.changes),
                    )
                )
            summary["incremental_poll"] = poll(connector, conn, meter, stream, args.rows)
    finally:
        connector.close()
        if not args.keep:
            drop_sources({"dfs": url})
    print(json.dumps(summary, indent=2, default=str))
    save("dfs_scan", summary)


def detect(
    connector: DfsConnector,
    conn: Connection,
    meter: Meter,
    stored_chunks: dict[int, str],
    size: int,
    changed_ids: list[int],
) -> dict[str, Any]:
    """Change `changed_ids`' balances, then find them the way the scan does."""
    scan = next(s for s in connector.scans if s.name == "accounts_scan")
    # The row digests the pipeline stored at the last scan, for the chunks about to change.
    stored_rows = {
        row.key: row.digest
        for chunk in {i // size for i in changed_ids}
        for row in connector.fetch_chunk(scan, chunk, size)
    }
    conn.execute(
        text("UPDATE accounts SET balance = balance + 1 WHERE account_id IN :ids").bindparams(
            ids=tuple(changed_ids)
        )
    )
    conn.commit()

    def find() -> tuple[int, int, list[str]]:
        current = connector.chunk_digests(scan, size)
        differing = [
            c for c in current.keys() | stored_chunks if current.get(c) != stored_chunks.get(c)
        ]
        fetched = [row for c in differing for row in connector.fetch_chunk(scan, c, size)]
        changed = [row.key for row in fetched if stored_rows.get(row.key) != row.digest]
        return len(differing), len(fetched), changed

    (chunks, fetched, changed), cost = meter(find)
    assert sorted(changed, key=int) == sorted(map(str, changed_ids), key=int), "changes missed"
    return {
        "chunk_size": size,
        "changed_rows": len(changed_ids),
        "differing_chunks": chunks,
        "rows_fetched": fetched,
        "changes_found": len(changed),
    } | cost


def poll(
    connector: DfsConnector, conn: Connection, meter: Meter, stream: Any, rows: int
) -> dict[str, Any]:
    """One poll near the end of the table: 300 new rows, page of 500."""
    after = Cursor(str(rows - 300), str(rows - 300))
    page, chosen = meter(lambda: connector.fetch(stream, after, 500))
    id_sql = (
        f"SELECT {POLL_COLUMNS} FROM accounts WHERE account_id > :k ORDER BY account_id LIMIT 500"
    )
    marker = conn.execute(
        text("SELECT created_at FROM accounts WHERE account_id = :k"), {"k": int(after.key)}
    ).scalar_one()
    params = {"k": int(after.key), "m": marker}
    compound_sql = (
        f"SELECT {POLL_COLUMNS} FROM accounts WHERE (created_at > :m OR "
        "(created_at = :m AND account_id > :k)) ORDER BY created_at, account_id LIMIT 500"
    )
    row_value_sql = (
        f"SELECT {POLL_COLUMNS} FROM accounts WHERE (created_at, account_id) > (:m, :k) "
        "ORDER BY created_at, account_id LIMIT 500"
    )
    compound, compound_cost = meter(lambda: conn.execute(text(compound_sql), params).all())
    assert [r[0] for r in compound] == [int(r.key) for r in page]
    rewound, rewind_cost = meter(lambda: connector.rewind(stream, page[-1].cursor, 10))
    return {
        "rows_returned": len(page),
        "id_cursor": chosen | {"explain": explain(conn, id_sql, params)},
        "created_at_cursor": compound_cost | {"explain": explain(conn, compound_sql, params)},
        "created_at_row_value_explain": explain(conn, row_value_sql, params),
        "rewind_10s": rewind_cost | {"from": page[-1].key, "to": rewound.key},
    }


if __name__ == "__main__":
    main()
