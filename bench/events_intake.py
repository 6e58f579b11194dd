"""Events into staging: how many a second the intake stores durably, through RabbitMQ and
`c360 consume` (the real process), and through the intake's own function (no transport).

    python bench/events_intake.py [--events 50000]

Publishes core CustomerCreated and TransactionPosted events (half each) to c360.inbound on the
machine's RabbitMQ, starts `c360 consume` and times from its start until every event's ID is
stored with its staged batch (the worker is not running: what is measured is the intake, up to
the durable hand-off). Then the same number through `take_events` in deliveries of 1,000, one
transaction each. Runs on a scratch database beside the Enterprise Brain; writes
bench/results/events_intake.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

from kombu import Connection, Producer
from report import save  # bench/report.py: scripts run from bench/
from sqlalchemy import create_engine, text

from app import db, processes
from app.config import Settings
from app.intake.consumer import EXCHANGE, QUEUE, declare
from app.intake.service import take_events
from app.migrate import upgrade

AMQP_URL = os.environ.get("C360_AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672//"
SOURCES = {"core": "postgresql+psycopg://unused/core"}  # configured; never connected to


def events(count: int, run: str) -> list[dict]:
    made = []
    for n in range(count // 2):
        customer, account, txn = (str(uuid.uuid4()) for _ in range(3))
        made.append(
            {
                "specversion": "1.0",
                "id": f"{run}-c-{n}",
                "source": "core",
                "type": "CustomerCreated",
                "time": "2026-11-30T09:00:00+03:00",
                "subject": customer,
                "data": {
                    "Id": customer,
                    "CustomerNumber": f"C{run[:4]}{n:08d}",
                    "FirstName": "Achieng",
                    "LastName": "Odhiambo",
                    "Email": f"achieng{n}@example.co.ke",
                    "PrimaryPhone": f"+2547{n % 100_000_000:08d}",
                    "IdentificationNumber": f"{20_000_000 + n}",
                    "Status": "Active",
                    "CreatedAt": "2026-11-30T06:00:00+00:00",
                    "UpdatedAt": "2026-11-30T06:00:00+00:00",
                },
            }
        )
        made.append(
            {
                "specversion": "1.0",
                "id": f"{run}-t-{n}",
                "source": "core",
                "type": "TransactionPosted",
                "time": "2026-11-30T09:00:01+03:00",
                "subject": txn,
                "data": {
                    "Id": txn,
                    "AccountId": account,
                    "CustomerId": customer,
                    "Type": "Credit",
                    "Amount": 2500.5,
                    "Currency": "KES",
                    "Status": "Completed",
                    "Reference": f"TX-{run[:4]}-{n}",
                    "ProcessedAt": "2026-11-30T06:00:01+00:00",
                },
            }
        )
    return made


def staged(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM ingest_event")).scalar_one()
    engine.dispose()
    return count


def through_amqp(url: str, batch: list[dict], workdir: Path) -> dict:
    with Connection(AMQP_URL) as broker:
        declare(broker)
        QUEUE.bind(broker.default_channel).purge()
        producer = Producer(broker.default_channel, exchange=EXCHANGE)
        for event in batch:
            producer.publish(
                json.dumps(event).encode(),
                routing_key=f"core.{event['type']}",
                content_type="application/cloudevents+json",
                delivery_mode=2,
            )
    env = {
        "C360_DATABASE_URL": url,
        "C360_AMQP_URL": AMQP_URL,
        "C360_SOURCE_CORE_URL": SOURCES["core"],
    }
    started = time.monotonic()
    consumer = processes.start(processes.consume_command(), workdir / "consume.log", **env)
    try:
        while staged(url) < len(batch):
            if consumer.poll() is not None:
                sys.exit(f"c360 consume died:\n{(workdir / 'consume.log').read_text()}")
            time.sleep(0.2)
        seconds = time.monotonic() - started
    finally:
        processes.stop(consumer)
    return {
        "events": len(batch),
        "seconds": round(seconds, 2),
        "per_second": round(len(batch) / seconds),
    }


def through_the_function(url: str, batch: list[dict]) -> dict:
    engine = create_engine(url)
    db.set_engine(engine)
    started = time.monotonic()
    for at in range(0, len(batch), 1000):
        with db.transaction() as conn:
            take_events(conn, batch[at : at + 1000], SOURCES)
    seconds = time.monotonic() - started
    db.set_engine(None)
    engine.dispose()
    return {
        "events": len(batch),
        "seconds": round(seconds, 2),
        "per_second": round(len(batch) / seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    args = parser.parse_args()
    url = db.sibling_url(Settings.from_env().database_url, "_bench_events")
    db.recreate_database(url)
    upgrade(url)
    workdir = Path("results")
    workdir.mkdir(exist_ok=True)
    amqp = through_amqp(url, events(args.events, uuid.uuid4().hex), workdir)
    print(f"AMQP, c360 consume: {amqp}")
    direct = through_the_function(url, events(args.events, uuid.uuid4().hex))
    print(f"take_events: {direct}")
    print(save("events_intake", {"amqp": amqp, "take_events": direct}))


if __name__ == "__main__":
    main()
