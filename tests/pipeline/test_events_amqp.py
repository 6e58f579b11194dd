"""`c360 consume` on the real RabbitMQ, worker and beat: events published to c360.inbound land
as the HTTP intake's do; a message that is not an event is quarantined while the rest flow;
killed with -9 mid-stream, a restarted consumer loses nothing and doubles nothing; the demo's
simulator publishes core's changes (option B) and they land once."""

from __future__ import annotations

import json
import os
import signal
import uuid

import pytest
from kombu import Connection, Producer

from app import processes
from app.intake.consumer import EXCHANGE, QUEUE, declare
from sandbox.publisher import SourcePublisher
from sandbox.simulator import Simulator
from tests.conftest import environment
from tests.pipeline.conftest import AMQP_URL

pytestmark = pytest.mark.integration


def customer_created(key: str) -> dict:
    return {
        "specversion": "1.0",
        "id": f"evt-{key}",
        "source": "core",
        "type": "CustomerCreated",
        "time": "2026-11-30T09:00:00+03:00",
        "subject": key,
        "data": {
            "Id": key,
            "CustomerNumber": f"CUST-{key[:8]}",
            "FirstName": "Akinyi",
            "LastName": "Otieno",
            "Status": "Active",
            "CreatedAt": "2026-11-30T06:00:00+00:00",
            "UpdatedAt": "2026-11-30T06:00:00+00:00",
        },
    }


@pytest.fixture
def broker(amqp):
    declare(amqp)
    QUEUE.bind(amqp.default_channel).purge()
    return amqp


def publish(connection: Connection, bodies: list) -> None:
    producer = Producer(connection.default_channel, exchange=EXCHANGE)
    for body in bodies:
        text = body if isinstance(body, str) else json.dumps(body)
        producer.publish(
            text.encode(),
            routing_key="core.CustomerCreated",
            content_type="application/cloudevents+json",
            delivery_mode=2,
        )


def test_published_events_land_and_a_poison_message_is_quarantined(pipeline, broker, tmp_path):
    keys = [str(uuid.uuid4()) for _ in range(200)]
    with environment(C360_AMQP_URL=AMQP_URL):
        consumer = processes.start(processes.consume_command(), tmp_path / "consume.log")
    try:
        publish(broker, [customer_created(k) for k in keys[:100]])
        publish(broker, ["{not json"])
        pipeline.wait_until(
            lambda: pipeline.scalar("SELECT count(*) FROM ingest_event") >= 50,
            timeout=60,
            what="the consumer taking events",
        )
        # killed mid-stream: what it had not acknowledged comes again, what it had is not doubled
        os.kill(consumer.pid, signal.SIGKILL)
        consumer.wait(timeout=10)
        publish(broker, [customer_created(k) for k in keys[100:]])
        with environment(C360_AMQP_URL=AMQP_URL):
            consumer = processes.start(processes.consume_command(), tmp_path / "consume2.log")
        landed = "SELECT count(*) FROM source_customer WHERE source_system = 'core'"
        pipeline.wait_until(
            lambda: pipeline.scalar(landed) == 200 and pipeline.idle(),
            timeout=90,
            what="every event in the Enterprise Brain",
        )
    finally:
        processes.stop(consumer)
    assert pipeline.scalar("SELECT count(*) FROM ingest_event") == 200
    assert pipeline.scalar("SELECT count(*) FROM customer_360") == 200
    poison = pipeline.scalar(
        "SELECT reason FROM quarantine WHERE level = 'event' AND source_system = 'unknown'"
    )
    assert poison and "an event is a JSON object" in poison


def test_the_simulator_publishes_what_core_changed_and_it_lands_once(pipeline, broker, tmp_path):
    publisher = SourcePublisher(AMQP_URL)
    simulator = Simulator({"core": pipeline.source_urls["core"]}, publisher=publisher)
    with environment(C360_AMQP_URL=AMQP_URL):
        consumer = processes.start(processes.consume_command(), tmp_path / "consume.log")
    try:
        person = simulator.new_customer()
        simulator.post_transaction(person["account_id"], 2500, "Credit")
        pipeline.wait_until(
            lambda: (
                pipeline.scalar("SELECT count(*) FROM ingest_event") == 4
                and pipeline.scalar("SELECT count(*) FROM transaction_360") == 1
                and pipeline.idle()
            ),
            timeout=60,
            what="core's four events in the Enterprise Brain",
        )
    finally:
        processes.stop(consumer)
        simulator.close()
    assert pipeline.scalar("SELECT count(*) FROM customer_360") == 1
    assert pipeline.scalar("SELECT count(*) FROM account_360") == 1
    balance = "SELECT balance FROM account_360 WHERE source_account_id = :a"
    assert pipeline.scalar(balance, a=person["account_id"]) == 2500
