"""Backfill throughput against the disk path, with where the time goes (docs/scale.md).

A generated population (N people, seed 1) in fresh demo sources (core, channel, fraud), with
activity made in SQL (`sandbox/loaded_sources.py`): transactions on every core account, sessions
for every channel user, a fraud case on 2 % of core customers. Then, in one run on one server:

- the COPY rate: the core rows (customers, accounts, transactions) copied out of the source
  and into tables of the same schema (keys and constraints included) on the same server;
- the pipeline rate: a backfill of every source through the real worker (2 processes; with
  `--beat`, beat polls the sources all along, as in production), records/s overall and per
  source, the ratio to the COPY rate, and where the worker's time went per stage (the runtime
  Celery logs for every task: extract, match, upsert, risk);
- with `--reload`, the backfill timed is one of an Enterprise Brain already loaded (by the
  polls with `--beat`, else by a first backfill), as backfills run in production: `--reload`
  against `--reload --beat` says what beat's polling costs a backfill;
- with `--profile`, py-spy samples the worker processes throughout and the heaviest functions
  are printed (the raw profile is saved to bench/results/);
- where the machine's CPU went during the timed backfill (`cpu_share.py`): the worker's
  processes, PostgreSQL's, the rest, idle and steal;
- the worker's memory: the highest resident set size (RSS) any of its processes reached during
  the timed backfill, sampled twice a second (`--population 60000` passes 500,000 records).
- what a record cost the machine in CPU (worker, PostgreSQL, the rest), against what the target
  (0.15 of the COPY rate) leaves for one: the machine's cores, all busy, over that rate.

    python bench/backfill_rate.py [--population 50000] [--beat] [--reload] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from cpu_share import CpuShare  # bench/: scripts run from bench/
from report import RESULTS, save
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import db, processes  # noqa: E402
from app.config import Settings  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.pipeline.backfills import backfill_progress, create_backfill  # noqa: E402
from app.waiting import wait_until  # noqa: E402
from sandbox.loaded_sources import load_sources  # noqa: E402
from sandbox.sources import create_sources, drop_sources  # noqa: E402

SOURCES = ("core", "channel", "fraud")
TARGET_RATIO = 0.15  # the target: a backfill at this share of the COPY rate (docs/scale.md)
REDIS_DB = 12

TASK_LINE = re.compile(r"(tasks\.[a-z_.]+)\[[^\]]+\] succeeded in ([0-9.e-]+)s")
STAGES = {
    "tasks.extract.backfill_source": "backfill slices (extract + stage)",
    "tasks.pipeline.match_batch": "match",
    "tasks.pipeline.upsert_batch": "upsert",
    "tasks.pipeline.update_risk": "risk",
}


def loaded_sources_beside(
    brain: str, workdir: Path, people: int
) -> tuple[dict[str, str], dict[str, int]]:
    """Core and channel beside a fresh, migrated Brain at `brain`, fraud in SQLite under
    `workdir`, loaded with `people` people and their activity; returns their URLs and rows per
    source table."""
    urls = {
        "core": db.sibling_url(brain, "_src_core"),
        "channel": db.sibling_url(brain, "_src_channel"),
        "fraud": f"sqlite:///{workdir / 'fraud.db'}",
    }
    print(f"population of {people:,} people into the sources ...", flush=True)
    counts = load_sources(urls, people)
    print(f"  {counts}", flush=True)
    db.recreate_database(brain)
    upgrade(brain)
    return urls, counts


def copy_rate(core_url: str, brain_url: str) -> dict[str, float]:
    """The disk path: core's rows copied out of the source and into tables of the same schema
    (types, keys, unique and foreign-key constraints) on the same server."""
    import psycopg

    target = db.sibling_url(brain_url, "_copy")
    drop_sources({"core": target})
    create_sources({"core": target}, sample=False)

    def plain(url: str) -> str:
        return url.replace("postgresql+psycopg://", "postgresql://")

    rows, started = 0, time.monotonic()
    with psycopg.connect(plain(core_url)) as src, psycopg.connect(plain(target)) as dst:
        for table in ("Customers", "Accounts", "Transactions"):
            with (
                src.cursor().copy(f'COPY "{table}" TO STDOUT') as out,
                dst.cursor().copy(f'COPY "{table}" FROM STDIN') as into,
            ):
                for data in out:
                    into.write(data)
            rows += src.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        dst.commit()
    elapsed = time.monotonic() - started
    drop_sources({"core": target})
    return {"rows": rows, "seconds": round(elapsed, 2), "rows_per_s": round(rows / elapsed)}


def stage_times(log: Path, start: int = 0) -> dict[str, float]:
    """Seconds of worker time per stage, from Celery's `succeeded in` lines after `start`."""
    spent: Counter = Counter()
    with log.open("rb") as lines:
        lines.seek(start)
        written = lines.read().decode(errors="replace")
    for name, seconds in TASK_LINE.findall(written):
        spent[STAGES.get(name, name)] += float(seconds)
    # a backfill slice's task time splits into reading the source and staging what it read
    for line in written.splitlines():
        if '"backfill slice"' in line:
            event = json.loads(line[line.index("{") :])
            spent["extract (read)"] += event["read_seconds"]
            spent["stage"] += event["stage_seconds"]
    return {stage: round(seconds, 1) for stage, seconds in spent.most_common()}


def heaviest(profile: Path, top: int = 15) -> dict[str, list[tuple[str, int]]]:
    """From py-spy's raw (collapsed) stacks: the leaf functions with most samples, and the
    Enterprise Brain's own frames (app/, connectors/) with most samples beneath them."""
    leaves: Counter = Counter()
    ours: Counter = Counter()
    for line in profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        leaves[frames[-1]] += int(count)
        for frame in reversed(frames):
            if "(app/" in frame or "(connectors/" in frame:
                ours[frame] += int(count)
                break
    return {"leaf": leaves.most_common(top), "ours": ours.most_common(top)}


def run_backfills(timeout: float) -> tuple[float, dict[str, float], dict[str, int]]:
    """Backfill every source through the worker; (seconds, seconds per source, backfill IDs)."""
    from tasks.extract import backfill_source

    started = time.monotonic()
    backfills = {}
    for source in SOURCES:
        with db.transaction() as conn:
            backfills[source] = create_backfill(conn, source, None)
        backfill_source.delay(backfills[source])
    finished: dict[str, float] = {}

    def landed() -> bool:
        with db.connect() as conn:
            for source, backfill_id in backfills.items():
                progress = backfill_progress(conn, [backfill_id])
                ended = progress["done_batches"] + progress["failed_batches"]
                done = progress["extracted"] and ended == progress["batches"]
                if done and source not in finished:
                    finished[source] = time.monotonic() - started
        return len(finished) == len(SOURCES)

    wait_until(landed, timeout=timeout, interval=0.5, what="every backfill landed")
    return time.monotonic() - started, finished, backfills


def quiet(seconds: float = 5.0):
    """A check: every batch done, and nothing new staged for `seconds`."""
    seen = {"total": -1, "since": time.monotonic()}

    def check() -> bool:
        with db.connect() as conn:
            total, unfinished = conn.execute(
                text(
                    "SELECT coalesce(sum(record_count), 0),"
                    " count(*) FILTER (WHERE status <> 'done') FROM ingest_batch"
                )
            ).one()
        if total != seen["total"] or unfinished:
            seen.update(total=total, since=time.monotonic())
            return False
        return total > 0 and time.monotonic() - seen["since"] >= seconds

    return check


class MemoryWatch:
    """The highest RSS each process of a tree reached, sampled on a thread until stopped."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.peaks: dict[str, int] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, args=(interval,), daemon=True)
        self.thread.start()

    def _sample(self, interval: float) -> None:
        import psutil

        while not self.stop.is_set():
            for process in [self.root, *self.root.children(recursive=True)]:
                try:
                    rss = process.memory_info().rss
                except psutil.Error:
                    continue
                name = "main" if process.pid == self.root.pid else f"child {process.pid}"
                self.peaks[name] = max(self.peaks.get(name, 0), rss)
            self.stop.wait(interval)

    def finish(self) -> dict[str, float]:
        self.stop.set()
        self.thread.join()
        return {name: round(rss / 2**20, 1) for name, rss in sorted(self.peaks.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--population", type=int, default=50_000)
    parser.add_argument("--beat", action="store_true", help="poll with beat during the backfill")
    parser.add_argument("--profile", action="store_true", help="sample the worker with py-spy")
    parser.add_argument(
        "--reload",
        action="store_true",
        help="time a backfill of an Enterprise Brain already loaded (by the polls with --beat, "
        "else by a first backfill): how a backfill runs in production",
    )
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    beside = Path(sys.executable).with_name("py-spy")  # the virtualenv's, when not on PATH
    py_spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if args.profile and not py_spy:
        sys.exit("--profile needs py-spy (pip install py-spy; make install adds it)")

    base = Settings.from_env()
    brain = db.sibling_url(base.database_url, "_bench_rate")
    workdir = Path(tempfile.mkdtemp(prefix="c360-bench-rate-"))
    urls, counts = loaded_sources_beside(brain, workdir, args.population)
    copy = copy_rate(urls["core"], brain)
    print(f"COPY: {copy['rows']:,} core rows in {copy['seconds']} s = {copy['rows_per_s']:,}/s")

    redis_url = base.redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    env = {
        "C360_DATABASE_URL": brain,
        "C360_REDIS_URL": redis_url,
        "C360_LOG_LEVEL": "INFO",
        **{f"C360_SOURCE_{name.upper()}_URL": url for name, url in urls.items()},
    }
    os.environ.update(env)
    engine = create_engine(brain)
    db.set_engine(engine)
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    log = workdir / "worker.log"
    children = {"worker": processes.start(processes.worker_command(concurrency=2), log)}
    if args.beat:
        children["beat"] = processes.start(
            processes.beat_command(workdir / "beat-state"), workdir / "beat.log"
        )
    spy = None
    try:
        time.sleep(3)  # the worker's processes up before the clock starts
        if args.reload:
            # untimed: the first load, by the polls (with beat) or by a first backfill
            if args.beat:
                wait_until(quiet(), timeout=args.timeout, interval=1, what="the polls' load")
            else:
                run_backfills(args.timeout)
            print("loaded; now the timed backfill", flush=True)
        log_start = log.stat().st_size if log.exists() else 0
        if args.profile:
            spy = subprocess.Popen(
                [py_spy, "record", "--pid", str(children["worker"].pid), "--subprocesses",
                 "--format", "raw", "--rate", "50", "--output", str(workdir / "profile.txt")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
        memory = MemoryWatch(children["worker"].pid)
        with CpuShare({"worker": children["worker"].pid}, by_name={"postgres": "postgres"}) as cpu:
            elapsed, finished, backfills = run_backfills(args.timeout)
        peak_rss_mb = memory.finish()
    finally:
        if spy is not None:
            spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
            spy.wait(timeout=60)
        for child in children.values():
            processes.stop(child)
    with db.connect() as conn:
        per_source = {
            source: conn.execute(
                text(
                    "SELECT coalesce(sum(record_count), 0),"
                    " count(*) FILTER (WHERE status = 'failed')"
                    " FROM ingest_batch WHERE backfill_id = :id"
                ),
                {"id": backfill_id},
            ).one()
            for source, backfill_id in backfills.items()
        }
    records = sum(int(row[0]) for row in per_source.values())
    rate = records / elapsed
    report = {
        "population": args.population,
        "beat": args.beat,
        "source_rows": counts,
        "copy": copy,
        "records": records,
        "seconds": round(elapsed, 1),
        "records_per_s": round(rate),
        "ratio_to_copy": round(rate / copy["rows_per_s"], 3),
        "failed_batches": sum(int(row[1]) for row in per_source.values()),
        "per_source": {
            source: {
                "records": int(row[0]),
                "seconds": round(finished[source], 1),
                "records_per_s": round(int(row[0]) / finished[source]),
            }
            for source, row in per_source.items()
        },
        "reload": args.reload,
        "worker_seconds_per_stage": stage_times(log, log_start),
        "worker_peak_rss_mb": peak_rss_mb,
        "cpu_seconds": cpu.report,
        # what one record cost the machine, against what the target leaves for it: every core
        # busy for the whole backfill at TARGET_RATIO of the COPY rate
        "cpu_ms_per_record": {
            group: round(1000 * cpu.report[group] / records, 3)
            for group in ("worker", "postgres", "rest", "busy")
        },
        "cpu_ms_per_record_at_target": round(
            1000 * (os.cpu_count() or 1) / (TARGET_RATIO * copy["rows_per_s"]), 3
        ),
    }
    if args.profile and (workdir / "profile.txt").exists():
        RESULTS.mkdir(exist_ok=True)
        saved = RESULTS / "backfill_profile.txt"
        shutil.copy(workdir / "profile.txt", saved)
        report["profile"] = heaviest(saved)
    print(
        f"pipeline: {records:,} records in {elapsed:.1f} s = {rate:,.0f}/s "
        f"({report['ratio_to_copy']} of the COPY rate){' with beat' if args.beat else ''}"
    )
    for source, figures in report["per_source"].items():
        print(f"  {source}: {figures['records']:,} records, {figures['records_per_s']:,}/s")
    print(f"  worker seconds per stage: {report['worker_seconds_per_stage']}")
    print(f"  CPU-seconds in the timed backfill: {report['cpu_seconds']}")
    print(
        f"  CPU ms per record: {report['cpu_ms_per_record']}; at {TARGET_RATIO} of the COPY"
        f" rate the machine's cores give {report['cpu_ms_per_record_at_target']} ms a record"
    )
    for kind, frames in report.get("profile", {}).items():
        print(f"  heaviest ({kind}):")
        for frame, samples in frames:
            print(f"    {samples:>7}  {frame}")
    name = "backfill_rate" + ("_reload" if args.reload else "") + ("_beat" if args.beat else "")
    print(f"saved to {save(name, report)}")
    db.set_engine(None)
    engine.dispose()
    drop_sources(urls)


if __name__ == "__main__":
    main()
