"""`c360 demo`: the seed's demo script, end to end through the real pipeline and the real API.

1. A customer is created in core. 2. The same person logs in through channel. 3. A transaction
is posted in core. 4. The fraud system opens a case on it. Then GET /customer/{id} must show the
account, the transaction, the last login and the risk score under one Global Customer ID.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import click
from sqlalchemy import text
from werkzeug.serving import make_server

from app import create_app, db, processes
from app.config import Settings, state_dir
from app.waiting import wait_until
from sandbox.simulator import Simulator


@contextmanager
def api_server(settings: Settings) -> Iterator[str]:
    """The API on a free loopback port, in a thread, for the duration of the block."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def _get(base: str, path: str, key: str) -> tuple[int, Any]:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def _complete(profile: dict[str, Any], written: dict[str, Any]) -> bool:
    """Everything the scenario wrote is visible in the profile."""
    accounts = {a.get("account_number") for a in profile.get("accounts") or []}
    references = {t.get("reference") for t in profile.get("recent_transactions") or []}
    reasons = (profile.get("risk") or {}).get("reasons") or []
    return (
        written["account_number"] in accounts
        and written["reference"] in references
        and bool(profile.get("last_login"))
        and any(r.get("ref") == str(written["case_id"]) for r in reasons)
    )


def run_demo(settings: Settings, timeout: float = 60.0, start_pipeline: bool = True) -> int:
    """Run the scenario; print the unified profile and how long it took. Exit status."""
    if not settings.api_keys:
        raise click.ClickException("no API key: set C360_API_KEYS (or run `c360 services up`)")
    key = settings.api_keys[0]
    logdir = state_dir() / "logs"
    logdir.mkdir(parents=True, exist_ok=True)
    pipeline = (
        processes.running(
            {"worker": processes.worker_command(), "beat": processes.beat_command()}, logdir
        )
        if start_pipeline
        else nullcontext()
    )
    simulator = Simulator(settings.source_urls, seed=int(time.time()))
    try:
        return _scenario(simulator, settings, key, pipeline, timeout, logdir)
    finally:
        simulator.close()


def _caught_up(expected_sources: int) -> bool:
    """Every source polled at least once and no batch left unfinished."""
    with db.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT (SELECT count(DISTINCT source_system) FROM stream_poll"
                    " WHERE last_success_at IS NOT NULL) >= :n"
                    " AND NOT EXISTS (SELECT 1 FROM ingest_batch"
                    " WHERE status NOT IN ('done', 'failed'))"
                ),
                {"n": expected_sources},
            ).scalar()
        )


def _scenario(simulator, settings, key, pipeline, timeout, logdir) -> int:
    with pipeline, api_server(settings) as base:
        click.echo("0. the pipeline catches up with what the sources already hold")
        try:
            wait_until(
                lambda: _caught_up(len(settings.source_urls)),
                timeout=max(timeout, 120),
                what="the pipeline to catch up",
            )
        except TimeoutError:
            click.echo(f"the pipeline did not catch up; logs in {logdir}", err=True)
            return 1
        click.echo("1. core: new customer")
        customer = simulator.new_customer()
        click.echo(f"   {customer['customer_number']} {customer['full_name']}")
        click.echo("2. channel: the same person logs in (MSISDN)")
        login = simulator.login(customer, device_id="android-7f3a")
        click.echo("3. core: a transaction is posted")
        posting = simulator.post_transaction(
            customer["account_id"], "250000.00", "Credit", "MOBILE"
        )
        click.echo(f"   {posting['reference']} KES {posting['amount']}")
        click.echo("4. fraud: a case is opened on it")
        case = simulator.open_fraud_case(
            customer["customer_number"],
            posting["reference"],
            0.87,
            ["Unusual amount", "New device"],
            amount=posting["amount"],
        )
        last_write = time.monotonic()
        written = {**customer, **posting, **case, "session_id": login["session_id"]}
        lookup = f"/customers?source_system=core&source_customer_id={customer['customer_id']}"
        seen: dict[str, Any] = {}

        def complete_profile() -> dict[str, Any] | None:
            status, found = _get(base, lookup, key)
            if status != 200 or not found:
                return None
            gid = found[0]["global_customer_id"]
            status, profile = _get(base, f"/customer/{gid}", key)
            seen["profile"] = profile
            return profile if status == 200 and profile and _complete(profile, written) else None

        try:
            profile = wait_until(
                complete_profile, timeout=timeout, interval=0.1, what="the complete profile"
            )
        except TimeoutError:
            profile = None
        if profile is not None:
            elapsed = time.monotonic() - last_write
            click.echo(f"\nGET /customer/{profile['global_customer_id']}   (API key: {key})")
            click.echo(json.dumps(profile, indent=2, default=str))
            click.echo(
                f"\nAccount, transaction, last login and risk score under one Global "
                f"Customer ID, {elapsed:.2f} s after the last source write."
            )
            return 0
        profile = seen.get("profile")
    click.echo(f"the profile was not complete after {timeout:.0f} s; logs in {logdir}", err=True)
    if profile:
        click.echo(json.dumps(profile, indent=2, default=str), err=True)
    return 1
