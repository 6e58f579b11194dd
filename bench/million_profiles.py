"""Reads over a million profiles while the pipeline ingests (docs/scale.md).

A fresh Enterprise Brain of N profiles (default 1,000,000), each with its core source record, two
accounts and T transactions (default 5: five million), made in SQL in the database itself
(`bench/brain_population.py`; the backfill rate is `bench/backfill_rate.py`'s figure, this measures
reads at this size). Then the API as deployed (gunicorn, 2 workers, the access log on), a Celery
worker (2 processes) and beat polling demo sources into the same database while a simulator writes
live activity to them (a new customer, a transaction and a login every second), and, on this same
machine:

- saturation: wrk (closed loop, 8 connections, random profiles) on `GET /customer/{id}`;
- a constant 300 requests/s: hey processes, each at a fixed rate on its own random profile
  (two in three `GET /customer/{id}`, one in three the look-up `POST /customers/search` by
  national ID), every request's latency merged into p50/p95/p99, and the requests slower
  than the target's 25 ms counted by the second of the phase they were asked in;
- in both, where the machine's CPU went (bench/cpu_share.py): CPU-seconds of the API, the
  worker, beat, PostgreSQL, the load generator and the rest, the time the hypervisor took
  (steal), and the API's and PostgreSQL's milliseconds of CPU per request;
- in both, the server's WAL flushes a second (`pg_stat_wal`): the commits that waited for the
  disk, the access log's and the pipeline's.

    python bench/million_profiles.py [--profiles 1000000] [--transactions 5] [--seconds 30]
        [--reuse]   (the database the previous run built, as it is)
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from functools import partial
from pathlib import Path

from access_log import WRK_SCRIPT, _answers, run_wrk  # bench/access_log.py
from brain_population import build  # bench/brain_population.py
from cpu_share import CpuShare  # bench/cpu_share.py
from report import save  # bench/report.py: scripts run from bench/
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import db, processes  # noqa: E402
from app.access.keys import create_key  # noqa: E402
from app.config import Settings  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.waiting import wait_until  # noqa: E402
from sandbox.simulator import Simulator  # noqa: E402
from sandbox.sources import create_sources, drop_sources  # noqa: E402

RATE = 300  # requests/s, as the issue asks
HEY_PROCESSES = 30  # each at RATE / HEY_PROCESSES requests/s on its own profile
SLOW_MS = 25  # the target's p99


def constant_rate(base: str, key: str, targets: list[tuple[str, str]], seconds: int) -> dict:
    """HEY_PROCESSES hey runs at once, each at a fixed rate on its own request; every
    request's latency (hey -o csv) merged. The runs start 1/RATE s apart, so their requests
    arrive evenly spaced (a constant RATE), not HEY_PROCESSES at a time."""
    per_process = RATE / HEY_PROCESSES
    runs = []
    started = time.monotonic()
    for n, (path, national_id) in enumerate(targets):
        time.sleep(max(0.0, started + n / RATE - time.monotonic()))
        command = ["hey", "-z", f"{seconds}s", "-c", "1", "-q", f"{per_process:g}", "-o", "csv"]
        command += ["-H", f"Authorization: Bearer {key}"]
        if national_id:
            command += ["-m", "POST", "-T", "application/json"]
            command += ["-d", json.dumps({"national_id": national_id})]
        runs.append(
            subprocess.Popen(
                [*command, base + path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
        )
    latencies, statuses, slow_at = [], [], Counter()
    for n, run in enumerate(runs):
        output, _ = run.communicate(timeout=seconds + 60)
        for row in csv.DictReader(io.StringIO(output.decode())):
            latency = float(row["response-time"]) * 1000
            latencies.append(latency)
            statuses.append(int(row["status-code"]))
            if latency > SLOW_MS:  # the second of the phase it was asked in
                slow_at[int(n / RATE + float(row["offset"]))] += 1
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(cuts[49], 1),
        "p95_ms": round(cuts[94], 1),
        "p99_ms": round(cuts[98], 1),
        "max_ms": round(max(latencies), 1),
        "non_2xx": sum(1 for s in statuses if not 200 <= s < 300),
        # spread evenly, or together in a few seconds (something else on the machine)?
        f"over_{SLOW_MS}_ms_by_second": dict(sorted(slow_at.items())),
    }


def start_api(port: int) -> subprocess.Popen:
    """The API as deployed: gunicorn, 2 workers, on loopback."""
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "app:create_app()", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--log-level", "warning"],
        cwd=ROOT,
    )  # fmt: skip


def stop_all(children: dict[str, subprocess.Popen]) -> None:
    """The API (gunicorn) terminated, the worker and beat stopped as the CLI stops them."""
    for name, child in children.items():
        if name == "api":
            child.terminate()
            child.wait(timeout=30)
        else:
            processes.stop(child)


def per_request(cpu: dict[str, float], requests: float) -> dict[str, float]:
    """A phase's CPU-seconds per group (bench/cpu_share.py), with the API's and PostgreSQL's
    milliseconds of CPU per request: what a request costs, whatever the machine's speed."""
    return {
        **cpu,
        "api_ms_per_request": round(cpu["api"] / requests * 1000, 2),
        "postgres_ms_per_request": round(cpu["postgres"] / requests * 1000, 2),
    }


def wal_flushes(engine) -> int:
    """The server's WAL flushes so far (every database's): each commit that waits for the disk
    makes one, or shares one with the commits that waited with it."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT wal_sync FROM pg_stat_wal")).scalar_one()


def live_activity(sources: dict[str, str], stop: threading.Event) -> None:
    """A new customer, a transaction and a login every second, until stopped."""
    simulator = Simulator(sources, seed=17)
    try:
        while not stop.is_set():
            person = simulator.new_customer()
            simulator.post_transaction(person["account_id"], 250, "Credit")
            simulator.login(person)
            stop.wait(1.0)
    finally:
        simulator.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=5, help="per profile")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database the previous run built"
    )
    args = parser.parse_args()
    for tool in ("wrk", "hey"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed: apt-get install wrk hey")

    url = db.sibling_url(Settings.from_env().database_url, "_bench_million")
    work = Path(tempfile.mkdtemp(prefix="c360-bench-million-"))
    sources = {name: db.sibling_url(url, f"_src_{name}") for name in ("core", "channel")}
    sources["fraud"] = f"sqlite:///{work / 'fraud.db'}"
    if args.reuse:
        built = {"reused": True}
    else:
        db.recreate_database(url)
        upgrade(url)
        print(f"{args.profiles:,} profiles, {args.transactions} transactions each ...", flush=True)
        built = {"seconds": build(url, args.profiles, args.transactions, progress=True)}
    drop_sources(sources)
    create_sources(sources, sample=True)
    engine = create_engine(url)
    with engine.begin() as conn:
        key = create_key(conn, f"bench-reader-{os.getpid()}", ["read"])
        sizes = {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in ("customer_360", "account_360", "transaction_360")
        }
        sample = conn.execute(
            text(
                "SELECT global_customer_id, national_id FROM customer_360"
                " TABLESAMPLE SYSTEM (1) LIMIT 20000"
            )
        ).all()
    (work / "ids").write_text("\n".join(str(row[0]) for row in sample) + "\n")
    script = work / "profile.lua"
    script.write_text(WRK_SCRIPT % {"ids": work / "ids", "key": key})
    rng = random.Random(5)
    picked = rng.sample(sample, HEY_PROCESSES)
    targets = [
        ("/customers/search", nid) if n % 3 == 2 else (f"/customer/{gid}", "")
        for n, (gid, nid) in enumerate(picked)
    ]

    env = {
        "C360_DATABASE_URL": url,
        "C360_LOG_LEVEL": "WARNING",
        "C360_REDIS_URL": Settings.from_env().redis_url.rsplit("/", 1)[0] + "/11",
        "C360_SOURCE_DFS_URL": "",
        **{f"C360_SOURCE_{name.upper()}_URL": value for name, value in sources.items()},
    }
    os.environ.update(env)
    port = 18100
    children = {
        "api": start_api(port),
        "worker": processes.start(processes.worker_command(concurrency=2), work / "worker.log"),
        "beat": processes.start(processes.beat_command(work / "beat-state"), work / "beat.log"),
    }
    base = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    simulator = threading.Thread(target=live_activity, args=(sources, stop))
    try:
        probe = urllib.request.Request(
            f"{base}/customer/{sample[0][0]}", headers={"Authorization": f"Bearer {key}"}
        )
        wait_until(lambda: _answers(probe), timeout=60, interval=0.5, what="the API")
        with engine.connect() as conn:  # the sample sources' first load, before the clock
            wait_until(
                lambda: conn.execute(
                    text("SELECT count(*) > 0 AND bool_and(status = 'done') FROM ingest_batch")
                ).scalar(),
                timeout=300,
                interval=1,
                what="the initial load of the demo sources",
            )
        simulator.start()
        time.sleep(3)
        trees = {name: child.pid for name, child in children.items()}
        phase_cpu = partial(CpuShare, trees, by_name={"postgres": "postgres"})
        flushed = [wal_flushes(engine)]
        with phase_cpu() as saturation_cpu:
            saturation = run_wrk(base, script, args.seconds)
        flushed.append(wal_flushes(engine))
        with phase_cpu() as steady_cpu:
            steady = constant_rate(base, key, targets, args.seconds)
        flushed.append(wal_flushes(engine))
        with engine.connect() as conn:
            ingested = conn.execute(
                text("SELECT count(*) FROM ingest_batch WHERE status = 'done'")
            ).scalar()
    finally:
        stop.set()
        if simulator.is_alive():
            simulator.join()
        stop_all(children)
    report = {
        "profiles": args.profiles,
        "rows": sizes,
        "build": built,
        "saturation_get_profile_wrk_c8": saturation,
        "saturation_cpu_seconds": per_request(
            saturation_cpu.report, saturation["requests_per_s"] * args.seconds
        ),
        "constant_300_per_s_hey": steady,
        "constant_rate_cpu_seconds": per_request(steady_cpu.report, steady["requests"]),
        "wal_flushes_per_s": {
            "saturation": round((flushed[1] - flushed[0]) / args.seconds, 1),
            "constant_rate": round((flushed[2] - flushed[1]) / args.seconds, 1),
        },
        "batches_ingested_meanwhile": ingested,
    }
    print(json.dumps(report, indent=2))
    print(f"saved to {save('million_profiles', report)}")
    engine.dispose()
    drop_sources(sources)


if __name__ == "__main__":
    main()
