"""Latency of events through the real pipeline, both ways.

--path published (events in): core publishes each change to RabbitMQ (option B, the simulator's
publisher) and `c360 consume` takes it; the latency is from the broker's confirm of the publish
until the HTTP API serves the change (a new customer found by its core key, a posting in the
customer's transactions). The poll interval is an hour, so the events alone carry the changes.

--path polled (events out): core only writes (no event), polled at the default interval; the
latency is from the source commit until the Brain's event about it (the record's
LinkedRecordAdded) reaches a webhook receiver and a queue bound to `c360.events` (`c360 relay`).

Writes are made one after another, each at a random moment of the poll cycle. Starts a worker,
beat, `c360 consume`, `c360 relay` and the API on a fresh `<db>_bench` database. Prints p50,
p95 and max and saves them to bench/results/.

    python bench/events_latency.py --path published [--writes 60]
    python bench/events_latency.py --path polled [--writes 60]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kombu import Connection, Consumer, Queue
from report import save  # bench/report.py: scripts run from bench/

from app import db, processes
from app.config import Settings
from app.events.publisher import EXCHANGE
from app.migrate import upgrade
from app.waiting import wait_until
from sandbox.publisher import SourcePublisher
from sandbox.scenario import api_server
from sandbox.simulator import Simulator
from sandbox.sources import create_sources, drop_sources

KEY = "bench-key"
AMQP_URL = os.environ.get("C360_AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672//"


def get(base: str, path: str) -> tuple[int, object]:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_s": round(statistics.median(values), 3),
        "p95_s": round(percentile(values, 0.95), 3),
        "max_s": round(max(values), 3),
    }


class Arrivals:
    """When each record's LinkedRecordAdded first arrived, per way it came."""

    def __init__(self) -> None:
        self.at: dict[str, dict[str, float]] = {"webhook": {}, "amqp": {}}
        # how long after the event was written (its `time`) it arrived: the relay's part
        self.relayed: dict[str, list[float]] = {"webhook": [], "amqp": []}
        self.lock = threading.Lock()

    def saw(self, way: str, events: list[dict]) -> None:
        now = time.time()
        with self.lock:
            for event in events:
                key = event["data"].get("source_customer_id")
                if event["type"] == "LinkedRecordAdded" and key not in self.at[way]:
                    self.at[way][key] = now
                    written = datetime.fromisoformat(event["time"]).timestamp()
                    self.relayed[way].append(now - written)


def receiver(arrivals: Arrivals) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            arrivals.saw("webhook", json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _json(body: object) -> dict:
    """The body as sent: kombu hands over a content type it has no serializer for as text."""
    return json.loads(body) if isinstance(body, str | bytes) else body


def amqp_listener(arrivals: Arrivals, stop: threading.Event) -> threading.Thread:
    queue = Queue("bench.c360.events", EXCHANGE, routing_key="LinkedRecordAdded", auto_delete=True)

    def listen() -> None:
        with Connection(AMQP_URL) as connection:
            with Consumer(
                connection,
                [queue],
                callbacks=[
                    lambda body, message: (arrivals.saw("amqp", [_json(body)]), message.ack())
                ],
                accept=["application/cloudevents+json", "application/json"],
            ):
                while not stop.is_set():
                    try:
                        connection.drain_events(timeout=0.2)
                    except TimeoutError:
                        pass

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    return thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", choices=("published", "polled"), required=True)
    parser.add_argument("--writes", type=int, default=60)
    args = parser.parse_args()

    url = db.sibling_url(Settings.from_env().database_url, "_bench")
    workdir = Path(tempfile.mkdtemp(prefix="c360-bench-"))
    sources = {"core": db.sibling_url(url, "_src_core")}
    os.environ.update({f"C360_SOURCE_{k.upper()}_URL": v for k, v in sources.items()})
    os.environ.update(
        C360_DATABASE_URL=url, C360_API_KEYS=KEY, C360_HOME=str(workdir), C360_AMQP_URL=AMQP_URL
    )
    if args.path == "published":
        os.environ["C360_POLL_INTERVAL"] = "3600"
    db.recreate_database(url)
    upgrade(url)
    drop_sources(sources)
    create_sources(sources, sample=False)
    settings = dataclasses.replace(Settings.from_env(), api_keys=(KEY,))
    publisher = SourcePublisher(AMQP_URL) if args.path == "published" else None
    simulator = Simulator(sources, seed=42, publisher=publisher)
    commands = {
        "worker": processes.worker_command(),
        "beat": processes.beat_command(workdir / "beat-state"),
        "consume": processes.consume_command(),
        "relay": processes.relay_command(),
    }
    with processes.running(commands, workdir), api_server(settings) as api:
        if args.path == "published":
            report = measure_published(simulator, api, args.writes)
        else:
            report = measure_polled(simulator, api, settings, args.writes)
    simulator.close()
    report = {
        "path": args.path,
        "poll_interval_s": float(os.environ.get("C360_POLL_INTERVAL", settings.poll_interval)),
        **report,
    }
    save(f"events_latency_{args.path}", report)
    print(json.dumps(report, indent=2))


def measure_published(simulator: Simulator, api: str, writes: int) -> dict:
    """Publish (confirmed) to served by the API: new customers and postings, in turn."""
    latencies: dict[str, list[float]] = {"customer": [], "posting": []}
    rng = random.Random(7)
    person = None
    for n in range(writes):
        time.sleep(rng.uniform(0, 1))
        if n % 2 == 0 or person is None:
            start = time.monotonic()
            person = simulator.new_customer()
            key = person["customer_id"]

            def visible(key=key) -> bool:
                status, found = get(api, f"/customers?source_system=core&source_customer_id={key}")
                return status == 200 and bool(found)
        else:
            start = time.monotonic()
            posting = simulator.post_transaction(person["account_id"], 10 + n, "Credit")
            status, found = get(
                api, f"/customers?source_system=core&source_customer_id={person['customer_id']}"
            )
            gid = found[0]["global_customer_id"]

            def visible(gid=gid, ref=posting["reference"]) -> bool:
                status, page = get(api, f"/customer/{gid}/transactions?page_size=5")
                return status == 200 and any(t["reference"] == ref for t in page)

        wait_until(visible, timeout=30, interval=0.01, what="the change in the API")
        latencies["customer" if n % 2 == 0 else "posting"].append(time.monotonic() - start)
    everything = [v for values in latencies.values() for v in values]
    return {
        "writes": len(everything),
        "overall": summary(everything),
        "per_kind": {k: summary(v) for k, v in latencies.items() if v},
        "note": "from the publish call (returning at the broker's confirm; the customer's "
        "publish carries its account too) to the API serving the change",
    }


def measure_polled(simulator: Simulator, api: str, settings: Settings, writes: int) -> dict:
    """Source commit to the record's LinkedRecordAdded at a webhook and at an AMQP queue."""
    arrivals = Arrivals()
    server = receiver(arrivals)
    stop = threading.Event()
    listener = amqp_listener(arrivals, stop)
    with db.transaction() as conn:
        from app.events.webhooks import subscribe

        subscribe(
            conn,
            f"http://127.0.0.1:{server.server_port}/hook",
            ["LinkedRecordAdded"],
            "bench-secret-bench-secret",
            "bench",
        )
    time.sleep(1.0)  # the queue bound, the subscription seen
    committed: dict[str, float] = {}
    rng = random.Random(7)
    for _ in range(writes):
        time.sleep(rng.uniform(0, settings.poll_interval))
        person = simulator.new_customer()
        committed[person["customer_id"]] = time.time()
        wait_until(
            lambda key=person["customer_id"]: all(key in seen for seen in arrivals.at.values()),
            timeout=30,
            interval=0.01,
            what="the event at both destinations",
        )
    stop.set()
    listener.join(timeout=5)
    server.shutdown()
    return {
        "writes": len(committed),
        "per_destination": {
            way: summary([seen[key] - at for key, at in committed.items()])
            for way, seen in arrivals.at.items()
        },
        "event_written_to_delivered": {
            way: summary(values) for way, values in arrivals.relayed.items()
        },
        "note": "from the source commit to the LinkedRecordAdded event delivered",
    }


if __name__ == "__main__":
    main()
