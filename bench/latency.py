"""Latency from a source write to the API showing it, through the real pipeline.

Starts a Celery worker and beat (default poll interval unless C360_POLL_INTERVAL is set) on a
fresh `<db>_bench` database with sample-filled demo sources, waits for the initial load, then
makes N writes one after another, each at a random moment of the poll cycle: a core
transaction, a channel login or a fraud case, in turn. Each write's latency is the time from its
source commit until the HTTP API returns it. Prints p50/p95/max overall and per source and
saves them to bench/results/.

    python bench/latency.py [--writes 60]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from report import save  # bench/report.py: scripts run from bench/
from sqlalchemy import create_engine, text

from app import db, processes
from app.config import Settings
from app.migrate import upgrade
from app.waiting import wait_until
from sandbox.scenario import api_server
from sandbox.simulator import Simulator
from sandbox.sources import create_sources, drop_sources

KEY = "bench-key"


def get(base: str, path: str) -> object:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {KEY}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def wait_for(check, timeout: float = 30.0, step: float = 0.02) -> float:
    """Seconds until check() is true (polling the API), or TimeoutError."""
    start = time.monotonic()
    wait_until(check, timeout=timeout, interval=step, what="the write in the API")
    return time.monotonic() - start


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=60)
    args = parser.parse_args()

    url = db.sibling_url(Settings.from_env().database_url, "_bench")
    workdir = Path(tempfile.mkdtemp(prefix="c360-bench-"))
    sources = {name: db.sibling_url(url, f"_src_{name}") for name in ("core", "channel")}
    sources["fraud"] = f"sqlite:///{workdir / 'fraud.db'}"
    os.environ.update({f"C360_SOURCE_{k.upper()}_URL": v for k, v in sources.items()})
    os.environ["C360_SOURCE_DFS_URL"] = ""  # the three sources of the seed's demo scenario
    os.environ.update(C360_DATABASE_URL=url, C360_API_KEYS=KEY, C360_HOME=str(workdir))
    db.recreate_database(url)
    upgrade(url)
    drop_sources(sources)
    create_sources(sources, sample=True)
    settings = dataclasses.replace(Settings.from_env(), api_keys=(KEY,))
    engine = create_engine(url)
    simulator = Simulator(sources, seed=42)
    person = simulator.new_customer()
    msisdn = simulator.login(person)["msisdn"]
    latencies: dict[str, list[float]] = {"core": [], "channel": [], "fraud": []}
    commands = {"worker": processes.worker_command(), "beat": processes.beat_command()}
    with processes.running(commands, workdir), api_server(settings) as api:

        def loaded() -> object:
            with engine.connect() as conn:
                return conn.execute(
                    text(
                        "SELECT global_customer_id FROM source_customer"
                        " WHERE source_system = 'core' AND source_customer_id = :id"
                        " AND NOT EXISTS (SELECT 1 FROM ingest_batch WHERE status <> 'done')"
                    ),
                    {"id": person["customer_id"]},
                ).scalar()

        gid = wait_until(loaded, timeout=300, interval=0.5, what=f"the initial load ({workdir})")
        rng = random.Random(7)
        for n in range(args.writes):
            time.sleep(rng.uniform(0, settings.poll_interval))
            kind = ("core", "channel", "fraud")[n % 3]
            if kind == "core":
                posting = simulator.post_transaction(person["account_id"], 10 + n, "Credit")
                reference = posting["reference"]
                last_reference = reference

                def visible(ref=reference):
                    page = get(api, f"/customer/{gid}/transactions?page_size=5")
                    return any(t["reference"] == ref for t in page)
            elif kind == "channel":
                device = f"bench-{n}"
                simulator.login(msisdn, device_id=device)

                def visible(device=device):
                    profile = get(api, f"/customer/{gid}")
                    return any(d["device_id"] == device for d in profile["devices"])
            else:
                case = simulator.open_fraud_case(
                    person["customer_number"], last_reference, 0.4, ["Bench"]
                )

                def visible(case_id=str(case["case_id"])):
                    risk = get(api, f"/customer/{gid}/risk")
                    reasons = (risk.get("profile") or {}).get("reasons") or []
                    return any(r["ref"] == case_id for r in reasons)

            latencies[kind].append(wait_for(visible))
    simulator.close()
    engine.dispose()
    everything = [v for values in latencies.values() for v in values]
    report = {
        "poll_interval_s": settings.poll_interval,
        "writes": len(everything),
        "overall": summary(everything),
        "per_source": {k: summary(v) for k, v in latencies.items()},
    }
    save("latency", report)
    print(json.dumps(report, indent=2))


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_s": round(statistics.median(values), 3),
        "p95_s": round(percentile(values, 0.95), 3),
        "max_s": round(max(values), 3),
    }


if __name__ == "__main__":
    main()
