"""The staleness a streaming replica adds to API reads (docs/scale.md).

A real primary and hot standby (`sandbox/replica.py`: initdb, pg_basebackup -R) on ports of
their own. N times: a golden record is changed on the primary and committed, then the standby
is read until it shows the change; the time between is what a read on the replica can trail
the primary by. Measured idle, then while a writer loads the primary with transactions as the
pipeline's upserts do (batches of 5,000 rows). Prints p50/p95/p99/max in milliseconds and saves
them to bench/results/replica_lag.json.

    python bench/replica_lag.py [--changes 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path
from uuid import uuid4

from report import save  # bench/report.py: scripts run from bench/
from sqlalchemy import create_engine, insert, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.customer.models import customer_360  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from sandbox.replica import replica_pair  # noqa: E402

LOAD = """
INSERT INTO transaction_360 (source_system, source_transaction_id, amount, currency, type,
    channel, occurred_at)
SELECT 'core', :prefix || n, 10, 'KES', 'DEBIT', 'MOBILE', now()
FROM generate_series(1, 5000) AS n
"""


def staleness(primary, standby, changes: int) -> list[float]:
    gid = uuid4()
    with primary.begin() as conn:
        conn.execute(insert(customer_360).values(global_customer_id=gid, full_name="v0"))
    lags = []
    with standby.connect() as reader:
        for n in range(1, changes + 1):
            with primary.begin() as conn:
                conn.execute(
                    update(customer_360)
                    .where(customer_360.c.global_customer_id == gid)
                    .values(full_name=f"v{n}")
                )
            committed = time.perf_counter()
            while (
                reader.execute(
                    text("SELECT full_name FROM customer_360 WHERE global_customer_id = :g"),
                    {"g": gid},
                ).scalar()
                != f"v{n}"
            ):
                reader.commit()
            lags.append((time.perf_counter() - committed) * 1000)
            reader.commit()
    return lags


def summary(lags: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(lags, n=100)
    return {
        "changes": len(lags),
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(max(lags), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=300)
    args = parser.parse_args()
    with replica_pair() as pair:
        upgrade(pair.primary_url)
        primary, standby = create_engine(pair.primary_url), create_engine(pair.standby_url)
        report = {"idle": summary(staleness(primary, standby, args.changes))}
        stop = threading.Event()

        def load() -> None:
            writer = create_engine(pair.primary_url)
            while not stop.is_set():
                with writer.begin() as conn:
                    conn.execute(text(LOAD), {"prefix": uuid4().hex[:8]})
            writer.dispose()

        loader = threading.Thread(target=load)
        loader.start()
        try:
            report["while_loading"] = summary(staleness(primary, standby, args.changes))
        finally:
            stop.set()
            loader.join()
        primary.dispose()
        standby.dispose()
    for case, figures in report.items():
        print(f"{case}: {figures}")
    print(f"saved to {save('replica_lag', report)}")


if __name__ == "__main__":
    main()
