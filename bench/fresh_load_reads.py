"""Reads right after a first load: a Brain just loaded against the same Brain settled.

As a new user meets it: a newly migrated Enterprise Brain, demo sources (core, channel, fraud)
loaded with a generated population of N people and their activity (`sandbox/loaded_sources.py`,
the same as bench/backfill_rate.py), the product's processes (API under gunicorn with 2
workers, a Celery worker with 2 processes, beat), then a backfill of every source through them.
As soon as every backfilled record is in, `GET /customer/{id}` at a constant 300 requests/s
(hey processes, each at a fixed rate on its own random profile, as bench/million_profiles.py):

- `just_loaded`: the Brain as the product left it (its planner statistics are whatever its own
  refresh made of them: app/ops/planner_statistics.py), with what `/health` said of them;
- `settled`: the same after a manual ANALYZE of the whole database, the reference.

Nothing is analyzed but by the product before `just_loaded`. With `--without-refresh` the
product's statistics check is never scheduled (C360_STATISTICS_INTERVAL of a year): the Brain
as it was before the Brain kept its own statistics, on this machine kind's PostgreSQL, whose
autovacuum is off.

    python bench/fresh_load_reads.py [--population 20000] [--seconds 30] [--without-refresh]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from access_log import _answers  # bench/access_log.py
from backfill_rate import REDIS_DB, run_backfills  # bench/backfill_rate.py
from million_profiles import HEY_PROCESSES, RATE, constant_rate  # bench/million_profiles.py
from report import save  # bench/report.py: scripts run from bench/
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import db, processes  # noqa: E402
from app.access.keys import create_key  # noqa: E402
from app.config import Settings  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.ops.service import statistics_health  # noqa: E402
from app.waiting import wait_until  # noqa: E402
from sandbox.loaded_sources import load_sources  # noqa: E402
from sandbox.sources import drop_sources  # noqa: E402

A_YEAR_S = 365 * 24 * 3600


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
        help="never schedule the product's statistics check (the Brain before it kept them)",
    )
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    if not shutil.which("hey"):
        sys.exit("hey is needed: apt-get install hey")

    base = Settings.from_env()
    brain = db.sibling_url(base.database_url, "_bench_fresh")
    workdir = Path(tempfile.mkdtemp(prefix="c360-bench-fresh-"))
    urls = {
        "core": db.sibling_url(brain, "_src_core"),
        "channel": db.sibling_url(brain, "_src_channel"),
        "fraud": f"sqlite:///{workdir / 'fraud.db'}",
    }
    print(f"population of {args.population:,} people into the sources ...", flush=True)
    counts = load_sources(urls, args.population)
    print(f"  {counts}", flush=True)
    db.recreate_database(brain)
    upgrade(brain)
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
            **({"C360_STATISTICS_INTERVAL": str(A_YEAR_S)} if args.without_refresh else {}),
        }
    )
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    port = 18110
    log = workdir / "worker.log"
    children = {
        "api": subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "app:create_app()",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
        ),  # fmt: skip
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
        just_loaded = constant_rate(url, key, targets, args.seconds)
        print(f"just loaded: {json.dumps(just_loaded)}", flush=True)
        with db.autocommit(engine) as conn:
            conn.execute(text("ANALYZE"))
        settled = constant_rate(url, key, targets, args.seconds)
        print(f"settled (after a manual ANALYZE): {json.dumps(settled)}", flush=True)
    finally:
        for name, child in children.items():
            if name == "api":
                child.terminate()
                child.wait(timeout=30)
            else:
                processes.stop(child)
    report = {
        "population": args.population,
        "statistics_refresh": not args.without_refresh,
        "source_rows": counts,
        "backfill": {"records": records, "seconds": round(elapsed, 1), **refreshes(log)},
        "statistics_health_after_backfill": health_then,
        f"just_loaded_constant_{RATE}_per_s": just_loaded,
        f"settled_constant_{RATE}_per_s": settled,
    }
    name = "fresh_load_reads" + ("_without_refresh" if args.without_refresh else "")
    print(f"saved to {save(name, report)}")
    db.set_engine(None)
    engine.dispose()
    drop_sources(urls)


if __name__ == "__main__":
    main()
