"""Fraud-case changes on the workbench's unknown clock: what finding them costs the source, and
how long until the Enterprise Brain shows them, at 1,000,000 cases.

    python bench/fraud_changes.py [--cases 1000000] [--open-share 0.01] [--changes 10]

1. A SQLite fraud source written the way the risk engine writes it: `--cases` cases created over
   90 days (CURRENT_TIMESTAMP, UTC, seconds), a share of them open (ASSIGNED), the rest CLOSED or
   BLOCKED by the workbench (Africa/Nairobi, microseconds).
2. Cost at the source, on the connector, median of 5: the new-case poll (a primary-key range),
   the open-case watch (key look-ups of every open case, every poll), and the full read of
   `updated_at` over the clocks' gap (every scan interval; no index on it).
3. The bound: a fresh Enterprise Brain with the real worker (four processes, so the initial load
   of a million cases is not starved by the extraction) and beat (poll 1 s, scan 15 s) takes
   the source in, then changes are written through the workbench on both clocks: open cases
   escalated on a Nairobi host, blocked on a UTC host, escalated on Nairobi then blocked on UTC
   (the UTC stamp reads three hours behind), and closed cases reopened on a UTC host (no longer
   watched: only the full read finds them). Each change is timed from its source commit until
   the Enterprise Brain's `fraud_case` row (what the API serves) shows it.

Writes bench/results/fraud_changes.json.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from report import save  # bench/report.py: scripts run from bench/
from sqlalchemy import create_engine, text

from app import db, processes
from app.config import Settings
from app.migrate import upgrade
from app.pipeline.watch import KEYS_PER_READ
from connectors.base import Cursor
from connectors.fraud import LOCAL_STYLE, UTC_STYLE, FraudConnector
from sandbox.sources import ddl

NAIROBI = ZoneInfo("Africa/Nairobi")


def build_source(path: Path, cases: int, open_share: float, rng: random.Random) -> list[int]:
    """The cases, as the engine and its workbench write them; returns the open case ids."""
    conn = sqlite3.connect(path)
    conn.executescript(ddl("fraud"))
    now = datetime.now(UTC)
    rows = []
    open_ids = []
    for case_id in range(1, cases + 1):
        created = now - timedelta(seconds=rng.randrange(90 * 86400))
        status = "ASSIGNED" if rng.random() < open_share else rng.choice(("CLOSED", "BLOCKED"))
        updated = created.strftime(UTC_STYLE)
        if status != "ASSIGNED":
            touched = created + timedelta(seconds=rng.randrange(3600))
            updated = touched.astimezone(NAIROBI).strftime(LOCAL_STYLE)
        else:
            open_ids.append(case_id)
        rows.append(
            (
                case_id,
                f"TX-{case_id:010d}",
                f"CUST{rng.randrange(200_000):07d}",
                round(rng.uniform(100, 500_000), 2),
                "KES",
                "Naivas",
                "PAYMENT",
                round(rng.random(), 2),
                rng.choice(("LOW", "MEDIUM", "HIGH")),
                status,
                "flagged",
                created.strftime(UTC_STYLE),
                min(updated, now.astimezone(NAIROBI).strftime(LOCAL_STYLE)),
            )
        )
    conn.executemany(
        "INSERT INTO analyst_cases (case_id, transaction_id, customer_id, amount, currency, "
        "merchant_name, transaction_type, risk_score, risk_level, status, flagged_reason, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.commit()
    conn.close()
    return open_ids


def timed(run, repeat: int = 5) -> tuple[float, int]:
    """Median milliseconds of `run()` and the rows it returned."""
    times, rows = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = run()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1), rows


def source_cost(url: str, open_ids: list[int], cases: int) -> dict:
    connector = FraudConnector(url)
    new, updated = connector.stream("cases_new"), connector.stream("cases_updated")
    watch = connector.watches[0]
    keys = [str(i) for i in open_ids]
    newest = connector.fetch(updated, None, cases)[-1].cursor

    def watch_all() -> int:
        return sum(
            len(connector.fetch_keys(watch, keys[s : s + KEYS_PER_READ]))
            for s in range(0, len(keys), KEYS_PER_READ)
        )

    def full_read() -> int:
        start = connector.rewind(updated, newest, 10)
        return len(connector.fetch(updated, start, cases))

    tip = Cursor(str(cases), str(cases))
    cost = {
        "new_case_poll_ms": timed(lambda: len(connector.fetch(new, tip, 5000))),
        "open_case_watch_ms": timed(watch_all),
        "full_read_of_updated_at_ms": timed(full_read),
    }
    connector.close()
    return {
        name: {"ms": ms, "rows": rows, "open_cases": len(open_ids)}
        for name, (ms, rows) in cost.items()
    }


def change(path: Path, case_id: int, status: str, zone: ZoneInfo) -> float:
    """The workbench's write; returns its commit time (monotonic)."""
    conn = sqlite3.connect(path)
    stamp = datetime.now(zone).strftime(LOCAL_STYLE)
    conn.execute(
        "UPDATE analyst_cases SET status = ?, updated_at = ? WHERE case_id = ?",
        (status, stamp, case_id),
    )
    conn.commit()
    conn.close()
    return time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--open-share", type=float, default=0.01)
    parser.add_argument("--changes", type=int, default=10, help="per kind of change")
    args = parser.parse_args()
    rng = random.Random(5)
    workdir = Path(tempfile.mkdtemp(prefix="c360-fraud-bench-"))
    path = workdir / "risk_management.db"
    started = time.monotonic()
    open_ids = build_source(path, args.cases, args.open_share, rng)
    source = f"sqlite:///{path}"
    print(f"source: {args.cases} cases, {len(open_ids)} open, {time.monotonic() - started:.0f} s")
    cost = source_cost(source, open_ids, args.cases)
    print(cost)

    settings = Settings.from_env()
    url = db.sibling_url(settings.database_url, "_bench_fraud")
    # a Redis database of its own: no other worker on this machine takes its batches
    redis_url = settings.redis_url.rsplit("/", 1)[0] + "/14"
    db.recreate_database(url)
    upgrade(url)
    os.environ.update(
        C360_DATABASE_URL=url,
        C360_REDIS_URL=redis_url,
        C360_SOURCE_FRAUD_URL=source,
        C360_SOURCE_CORE_URL="",
        C360_SOURCE_CHANNEL_URL="",
        C360_SOURCE_DFS_URL="",
    )
    engine = create_engine(url)
    commands = {
        "worker": processes.worker_command(concurrency=4),
        "beat": processes.beat_command(workdir / "beat-state"),
    }
    with processes.running(commands, workdir), engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")

        def scalar(sql: str, **params) -> object:
            return conn.execute(text(sql), params).scalar()

        load_started = time.monotonic()
        while scalar("SELECT count(*) FROM fraud_case") < args.cases or scalar(
            "SELECT count(*) FROM ingest_batch WHERE status <> 'done'"
        ):
            time.sleep(1)
        load_seconds = round(time.monotonic() - load_started)
        print(f"initial load: {load_seconds} s")
        time.sleep(20)  # past the first scan of updated_at

        chosen = rng.sample(open_ids, 3 * args.changes)
        still_open = set(open_ids)
        closed = rng.sample(
            [i for i in range(1, args.cases + 1) if i not in still_open], args.changes
        )
        kinds = {
            "open, Nairobi host": [(i, "ESCALATED", NAIROBI) for i in chosen[: args.changes]],
            "open, UTC host": [
                (i, "BLOCKED", UTC) for i in chosen[args.changes : 2 * args.changes]
            ],
            "UTC host after Nairobi host": [
                (i, "BLOCKED", UTC) for i in chosen[2 * args.changes :]
            ],
            "closed case reopened, UTC host": [(i, "ESCALATED", UTC) for i in closed],
        }
        for case_id, _, _ in kinds["UTC host after Nairobi host"]:
            change(path, case_id, "ESCALATED", NAIROBI)
        time.sleep(3)
        bound = {}
        for kind, writes in kinds.items():
            seconds = []
            for case_id, status, zone in writes:
                time.sleep(rng.random())  # a random moment of the poll cycle
                written = change(path, case_id, status, zone)
                query = "SELECT status FROM fraud_case WHERE source_case_id = :c"
                while scalar(query, c=str(case_id)) != status:
                    if time.monotonic() - written > 120:
                        raise TimeoutError(f"case {case_id} ({kind}) not seen in 120 s")
                    time.sleep(0.05)
                seconds.append(time.monotonic() - written)
            bound[kind] = {
                "p50_s": round(statistics.median(seconds), 2),
                "max_s": round(max(seconds), 2),
                "changes": len(seconds),
            }
            print(kind, bound[kind])
    engine.dispose()
    path_saved = save(
        "fraud_changes",
        {
            "cases": args.cases,
            "open_cases": len(open_ids),
            "source_cost": cost,
            "initial_load_seconds": load_seconds,
            "bound": bound,
        },
    )
    print(f"saved {path_saved}")


if __name__ == "__main__":
    main()
