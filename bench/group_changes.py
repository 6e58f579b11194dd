"""Changes in the group's other systems that carry no marker, from the source's commit to the
HTTP API, through the real pipeline.

Starts a Celery worker and beat (default poll interval unless C360_POLL_INTERVAL is set) on a fresh
`<db>_bench_group` database (and Redis database 13) with sample-filled core_v1, openbanking and
global demo sources, waits for the initial load, then repeats N rounds, each change at a random
moment of the poll cycle: a global wallet deposit (its balance in the API), a large withdrawal (its
AML alert among the risk reasons), the alert's resolution (gone from them: no timestamp moves at the
source) and an openbanking payment's completion (`completed_at` only: no `updated_at`; its status
among the risk reasons). Prints p50/p95/max per change and saves them to bench/results/.

    python bench/group_changes.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from latency import get, summary, wait_for  # bench/latency.py: scripts run from bench/
from report import save
from sqlalchemy import create_engine, text

from app import db, processes
from app.config import Settings
from app.migrate import upgrade
from app.waiting import wait_until
from sandbox.scenario import api_server
from sandbox.simulator import Simulator
from sandbox.sources import create_sources, drop_sources

KEY = "bench-key"
GROUP = ("core_v1", "openbanking", "global")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    base = Settings.from_env()
    url = db.sibling_url(base.database_url, "_bench_group")
    # a Redis database of its own: no other worker on this machine takes its batches
    redis_url = base.redis_url.rsplit("/", 1)[0] + "/13"
    workdir = Path(tempfile.mkdtemp(prefix="c360-bench-"))
    sources = {name: db.sibling_url(url, f"_src_{name}") for name in GROUP}
    os.environ.update({f"C360_SOURCE_{k.upper()}_URL": v for k, v in sources.items()})
    os.environ.update(
        C360_DATABASE_URL=url, C360_REDIS_URL=redis_url, C360_API_KEYS=KEY, C360_HOME=str(workdir)
    )
    db.recreate_database(url)
    upgrade(url)
    drop_sources(sources)
    create_sources(sources, sample=True)
    settings = dataclasses.replace(Settings.from_env(), api_keys=(KEY,))
    engine = create_engine(url)
    simulator = Simulator(sources, seed=43)
    user = simulator.global_user("Bench Wallet", "bench.wallet@wgi.example", "+254799000111")
    wallet = simulator.global_open_wallet(user, "KES")
    simulator.global_deposit(wallet, "1000000.0000")
    payer = simulator.openbanking_customer("Bench", "Payer", "bench.payer@gmail.com", None)
    seconds: dict[str, list[float]] = {
        "wallet_balance": [],
        "aml_alert_raised": [],
        "aml_alert_resolved": [],
        "payment_completed": [],
    }
    commands = {"worker": processes.worker_command(), "beat": processes.beat_command()}
    with processes.running(commands, workdir), api_server(settings) as api:

        def linked(source: str, key: str, idle: bool = False) -> object:
            """The record's Global Customer ID once linked (and, with `idle`, every batch done)."""
            with engine.connect() as conn:
                return conn.execute(
                    text(
                        "SELECT global_customer_id FROM source_customer WHERE source_system = :s"
                        " AND source_customer_id = :k AND (NOT :idle OR NOT EXISTS"
                        " (SELECT 1 FROM ingest_batch WHERE status <> 'done'))"
                    ),
                    {"s": source, "k": key, "idle": idle},
                ).scalar()

        gid = wait_until(
            lambda: linked("global", user, idle=True),
            timeout=300,
            interval=0.5,
            what=f"the initial load ({workdir})",
        )

        def balance() -> str | None:
            accounts = get(api, f"/customer/{gid}/accounts")
            return next((a["balance"] for a in accounts if a["source_system"] == "global"), None)

        def aml_refs() -> set[str]:
            profile = get(api, f"/customer/{gid}/risk").get("profile") or {}
            return {r["ref"] for r in profile.get("reasons", []) if r["kind"] == "aml_alert"}

        def payment_state(payment_id: str) -> str | None:
            """The payment's status as the risk reasons in the API show it."""
            profile = get(api, f"/customer/{payer_gid}/risk").get("profile") or {}
            reasons = [r for r in profile.get("reasons", []) if r["ref"] == payment_id]
            return reasons[0]["status"] if reasons else None

        payer_gid = wait_until(
            lambda: linked("openbanking", payer["customer_id"]), timeout=60, what="the payer"
        )
        rng = random.Random(7)
        expected = Decimal(wait_until(balance, timeout=60, what="the wallet"))
        for n in range(args.rounds):
            time.sleep(rng.uniform(0, settings.poll_interval))
            simulator.global_deposit(wallet, "10.0001")
            expected += Decimal("10.0001")
            seconds["wallet_balance"].append(wait_for(lambda e=str(expected): balance() == e))

            time.sleep(rng.uniform(0, settings.poll_interval))
            withdrawal = simulator.global_withdraw(wallet, "60000.0000")
            expected -= Decimal("60000.0000")
            alert = simulator.global_aml_alerts(withdrawal)[0]
            seconds["aml_alert_raised"].append(wait_for(lambda a=alert: a in aml_refs()))

            time.sleep(rng.uniform(0, settings.poll_interval))
            simulator.global_resolve_alert(alert)
            seconds["aml_alert_resolved"].append(wait_for(lambda a=alert: a not in aml_refs()))
            simulator.global_deposit(wallet, "60000.0000")  # back to where the round began
            expected += Decimal("60000.0000")

            payment = simulator.openbanking_payment(payer["account_id"], "100.00", 0.2)
            wait_for(lambda p=payment["payment_id"]: payment_state(p) == "PROCESSING")
            time.sleep(rng.uniform(0, settings.poll_interval))
            simulator.openbanking_complete_payment(payment["payment_id"])
            seconds["payment_completed"].append(
                wait_for(lambda p=payment["payment_id"]: payment_state(p) == "COMPLETED")
            )
            print(f"round {n + 1}/{args.rounds}", flush=True)
    simulator.close()
    engine.dispose()
    report = {
        "poll_interval_s": settings.poll_interval,
        "rounds": args.rounds,
        "changes": {name: summary(values) for name, values in seconds.items()},
    }
    save("group_changes", report)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
