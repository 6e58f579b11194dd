"""Reads right after a first load: a Brain just loaded against the same Brain settled.

As a new user meets it: a newly migrated Enterprise Brain, demo sources (core, channel, fraud)
loaded with a generated population of N people and their activity (`sandbox/loaded_sources.py`,
the same as bench/backfill_rate.py), the product's processes (API under gunicorn with 2
workers, a Celery worker with 2 processes, beat), then a backfill of every source through them.
As soon as every record is in (the backfill's, and the polls' first read of the same rows,
which beat runs from the start as in production), `GET /customer/{id}`: one request at a time
(what one read costs alone), then at a constant 300 requests/s (hey processes, each at a fixed
rate on its own random profile, as bench/million_profiles.py), with where the machine's CPU
went (bench/cpu_share.py):

- `just_loaded`: the Brain as the product left it (its planner statistics are whatever its own
  refresh made of them: app/ops/planner_statistics.py), with what `/health` said of them;
- `settled`: the same after a manual ANALYZE of the whole database, the reference.

Nothing is analyzed but by the product before `just_loaded`. With `--without-refresh` the
product never analyzes (C360_STATISTICS_INTERVAL=0): the Brain as it was before it kept its
own statistics, on this machine kind's PostgreSQL, whose autovacuum is off.

    python bench/fresh_load_reads.py [--population 20000] [--seconds 30] [--without-refresh]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from access_log import _answers  # bench/access_log.py
from backfill_rate import (  # bench/backfill_rate.py
    REDIS_DB,
    loaded_sources_beside,
    quiet,
    run_backfills,
)
from cpu_share import CpuShare  # bench/cpu_share.py
from million_profiles import (  # bench/million_profiles.py
    HEY_PROCESSES,
    RATE,
    constant_rate,
    per_request,
    start_api,
    stop_all,
)
from report import save  # bench/report.py: scripts run from bench/
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import db, processes  # noqa: E402
from app.access.keys import create_key  # noqa: E402
from app.config import Settings  # noqa: E402
from app.ops.service import statistics_health  # noqa: E402
from app.waiting import wait_until  # noqa: E402
from sandbox.sources import drop_sources  # noqa: E402

ALONE = 100  # requests one at a time


def one_at_a_time(url: str, key: str, paths: list[str]) -> dict[str, float]:
    """ALONE requests, each sent when the one before was answered: p50 and max (ms)."""
    times = []
    for n in range(ALONE):
        request = urllib.request.Request(
            url + paths[n % len(paths)], headers={"Authorization": f"Bearer {key}"}
        )
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def phase(url: str, key: str, targets: list[tuple[str, str]], seconds: int, trees) -> dict:
    """One read alone, then the constant rate with its CPU."""
    alone = one_at_a_time(url, key, [path for path, _ in targets])
    with CpuShare(trees, by_name={"postgres": "postgres"}) as cpu:
        steady = constant_rate(url, key, targets, seconds)
    return {
        "one_at_a_time": alone,
        f"constant_{RATE}_per_s": steady,
        "cpu_seconds": per_request(cpu.report, steady["requests"]),
    }


def refreshes(log: Path) -> dict[str, float]:
    """The product's statistics refreshes in the worker's log: how many, and the seconds of
    ANALYZE they spent."""
    runs, seconds = 0, 0.0
    for line in log.read_text(errors="replace").splitlines():
        if '"planner statistics refreshed"' in line:
            runs += 1
            seconds += sum(json.loads(line[line.index("{") :])["seconds"].values())
    return {"refreshes": runs, "analyze_seconds": round(seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--population", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument(
        "--without-refresh",
        action="store_true",
        help="the product never analyzes (the Brain before it kept its statistics)",
    )
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    if not shutil.which("hey"):
        sys.exit("hey is needed: apt-get install hey")

    base = Settings.from_env()
    brain = db.sibling_url(base.database_url, "_bench_fresh")
    workdir = Path(tempfile.mkdtemp(prefix="c360-bench-fresh-"))
    urls, counts = loaded_sources_beside(brain, workdir, args.population)
    engine = create_engine(brain)
    db.set_engine(engine)
    with engine.begin() as conn:
        key = create_key(conn, "bench-reader", ["read"])

    redis_url = base.redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    os.environ.update(
        {
            "C360_DATABASE_URL": brain,
            "C360_REDIS_URL": redis_url,
            "C360_LOG_LEVEL": "INFO",
            **{f"C360_SOURCE_{name.upper()}_URL": url for name, url in urls.items()},
            **({"C360_STATISTICS_INTERVAL": "0"} if args.without_refresh else {}),
        }
    )
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    port = 18110
    log = workdir / "worker.log"
    children = {
        "api": start_api(port),
        "worker": processes.start(processes.worker_command(concurrency=2), log),
        "beat": processes.start(
            processes.beat_command(workdir / "beat-state"), workdir / "beat.log"
        ),
    }
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: _answers(urllib.request.Request(f"{url}/health")),
            timeout=60,
            interval=0.5,
            what="the API",
        )
        print("backfill of every source ...", flush=True)
        elapsed, _, backfills = run_backfills(args.timeout)
        wait_until(quiet(), timeout=args.timeout, interval=1, what="the polls' first read")
        with engine.connect() as conn:
            records = conn.execute(
                text("SELECT sum(record_count) FROM ingest_batch WHERE backfill_id = ANY(:ids)"),
                {"ids": list(backfills.values())},
            ).scalar()
            health_then = statistics_health(conn)
            profiles = conn.execute(
                text("SELECT global_customer_id FROM customer_360 WHERE merged_into IS NULL")
            ).scalars()
            picked = random.Random(5).sample(list(profiles), HEY_PROCESSES)
        print(f"  {records:,} records in {elapsed:.1f} s; statistics {health_then['status']}")
        targets = [(f"/customer/{global_id}", "") for global_id in picked]
        trees = {name: child.pid for name, child in children.items()}
        just_loaded = phase(url, key, targets, args.seconds, trees)
        print(f"just loaded: {json.dumps(just_loaded)}", flush=True)
        with db.autocommit(engine) as conn:
            conn.execute(text("ANALYZE"))
        settled = phase(url, key, targets, args.seconds, trees)
        print(f"settled (after a manual ANALYZE): {json.dumps(settled)}", flush=True)
    finally:
        stop_all(children)
    report = {
        "population": args.population,
        "statistics_refresh": not args.without_refresh,
        "source_rows": counts,
        "backfill": {"records": records, "seconds": round(elapsed, 1)},
        # the product's own, from start to end of the run (the ANALYZE between phases aside)
        "statistics_refreshes": refreshes(log),
        "statistics_health_after_backfill": health_then,
        "just_loaded": just_loaded,
        "settled": settled,
    }
    name = "fresh_load_reads" + ("_without_refresh" if args.without_refresh else "")
    print(f"saved to {save(name, report)}")
    db.set_engine(None)
    engine.dispose()
    drop_sources(urls)


if __name__ == "__main__":
    main()
