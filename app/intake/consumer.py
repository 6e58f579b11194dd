"""Events in over AMQP (`c360 consume`): the sources publish to the durable topic exchange
`c360.inbound` (routing key `<source_system>.<type>`), and this process takes them from one
quorum queue in deliveries of up to a thousand, stages each delivery in one transaction and
acknowledges it only after the commit. A message that fails its delivery again and again (the
queue's delivery limit) goes to the dead-letter exchange `c360.inbound.dead` instead of blocking
the rest. kombu, Celery's own AMQP library, speaks to the broker."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from kombu import Connection, Consumer, Exchange, Message, Queue

from app import db
from app.config import Settings
from app.intake.service import take_events
from app.logs import log_event

log = logging.getLogger("c360.intake")

EXCHANGE = Exchange("c360.inbound", type="topic", durable=True)
DEAD_EXCHANGE = Exchange("c360.inbound.dead", type="topic", durable=True)
# deliveries a message gets before it is dead-lettered: a crash mid-delivery, then the
# one-by-one retry of a delivery that failed, then a last chance
DELIVERY_LIMIT = 3
QUEUE = Queue(
    "c360.inbound",
    EXCHANGE,
    routing_key="#",
    durable=True,
    queue_arguments={
        "x-queue-type": "quorum",
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-dead-letter-exchange": DEAD_EXCHANGE.name,
    },
)
DEAD_QUEUE = Queue("c360.inbound.dead", DEAD_EXCHANGE, routing_key="#", durable=True)
DELIVERY = 1000  # messages staged in one transaction
LINGER_S = 0.05  # how long a delivery waits to fill before it is staged


def consume(
    settings: Settings,
    stop: threading.Event,
    on_staged: Callable[[list[int]], None],
) -> None:
    """Take events until `stop` is set: each delivery staged, then acknowledged."""
    with Connection(settings.amqp_url, heartbeat=10) as connection:
        declare(connection)
        channel = connection.channel()
        channel.basic_qos(0, DELIVERY * 2, False)
        pending: list[Message] = []
        # bodies are read here as JSON, whatever content type they were sent with
        consumer = Consumer(channel, [QUEUE], on_message=pending.append)
        with consumer:
            while not stop.is_set():
                _fill(connection, pending)
                if pending:
                    delivered, pending[:] = list(pending), []
                    _stage(delivered, settings, on_staged)


def declare(connection: Connection) -> None:
    """The exchanges and queues, as durable as the contract says (idempotent)."""
    for entity in (EXCHANGE, DEAD_EXCHANGE, QUEUE, DEAD_QUEUE):
        entity.bind(connection.default_channel).declare()


def _fill(connection: Connection, pending: list[Message]) -> None:
    """Wait for messages until a delivery is full or nothing came for a moment."""
    while len(pending) < DELIVERY:
        connection.heartbeat_check()  # a broker gone quiet is found, not waited on forever
        try:
            connection.drain_events(timeout=LINGER_S)
        except TimeoutError:
            return


def _stage(
    messages: list[Message], settings: Settings, on_staged: Callable[[list[int]], None]
) -> None:
    """Stage a delivery and acknowledge it; if it cannot be staged, each message alone, so one
    that cannot be stored is given back (towards its delivery limit) and the others land."""
    try:
        batches = _take(messages, settings)
    except Exception as error:  # noqa: BLE001 (one message may be at fault: try each alone)
        log_event(log, "delivery failed, staged one by one", count=len(messages), error=error)
        for message in messages:
            try:
                on_staged(_take([message], settings))
            except Exception:  # noqa: BLE001 (given back: the queue's limit dead-letters it)
                message.requeue()
        return
    on_staged(batches)


def _take(messages: list[Message], settings: Settings) -> list[int]:
    events = [_event(message.body) for message in messages]
    with db.transaction() as conn:
        intake = take_events(conn, events, settings.source_urls)
    for message in messages:
        message.ack()
    if intake.rejected or intake.duplicates:
        log_event(
            log,
            "events taken",
            staged=intake.staged,
            duplicates=intake.duplicates,
            refused=len(intake.rejected),
        )
    return intake.batches


def _event(body: Any) -> Any:
    """A message's body as the event it carries; one that is not JSON stays text, which the
    intake refuses (and quarantines) as not an event."""
    if isinstance(body, bytes | bytearray):
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return body.decode("utf-8", "replace")
    return body
