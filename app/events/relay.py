"""The relay (`c360 relay`): stamps the outbox's new events into the feed, publishes them to
RabbitMQ where C360_AMQP_URL is set, and calls the webhooks. It wakes when a commit wrote
events (LISTEN), and at least every second. Killed at any point it loses nothing: a cursor moves
only past what was confirmed, so a restart sends again what was in flight (at least once)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
from amqp.exceptions import AMQPError
from kombu.exceptions import KombuError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from app import db
from app.config import Settings
from app.events import feed, publisher, webhooks
from app.outbox.service import NOTIFY_CHANNEL

log = logging.getLogger("c360.events")

IDLE_WAIT_S = 1.0
OUTAGE_WAIT_S = 1.0
RECEIVERS_AT_ONCE = 8  # webhook subscriptions called at the same time
# what a lost or refused broker connection raises (kombu's, py-amqp's, the socket's)
BROKER_ERRORS = (OSError, KombuError, AMQPError)


class _Outage:
    """A service the relay waits for: one line when it goes, one when it is back."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.down = False

    def failed(self, error: BaseException) -> None:
        if not self.down:
            fields = {"service": self.service, "error": type(error).__name__}
            log.warning(f"{self.service} unreachable; waiting for it", extra={"fields": fields})
            self.down = True

    def answered(self) -> None:
        if self.down:
            fields = {"service": self.service}
            log.warning(f"{self.service} reachable again", extra={"fields": fields})
            self.down = False


def relay(settings: Settings, stop: threading.Event) -> None:
    """Relay until `stop` is set, through outages of the database, the broker or a receiver:
    webhooks go on while the broker is down."""
    amqp = publisher.Publisher(settings.amqp_url) if settings.amqp_url else None
    database, broker = _Outage("database"), _Outage("RabbitMQ")
    listener: psycopg.Connection | None = None
    with ThreadPoolExecutor(RECEIVERS_AT_ONCE, thread_name_prefix="webhook") as pool:
        while not stop.is_set():
            try:
                if listener is None:
                    listener = _listen(settings.database_url)
                more = _cycle(amqp, broker, settings, pool)
                database.answered()
                if broker.down:
                    stop.wait(OUTAGE_WAIT_S)
                elif not more:
                    _wait(listener, stop)
            except (SQLAlchemyError, psycopg.Error) as error:
                database.failed(error)
                _close(listener)
                listener = None
                stop.wait(OUTAGE_WAIT_S)
    if amqp is not None:
        amqp.close()
    _close(listener)


def _cycle(
    amqp: publisher.Publisher | None,
    broker: _Outage,
    settings: Settings,
    pool: ThreadPoolExecutor,
) -> bool:
    """Stamp what committed, then at once publish a batch and call each due webhook (eight at
    a time) with one batch; True if there is more to do now."""
    with db.transaction() as conn:
        more = feed.stamp(conn) >= feed.STAMP_AT_MOST
    calls = [pool.submit(webhooks.deliver, sid, settings) for sid in webhooks.due()]
    if amqp is not None:
        more |= _publish(amqp, broker)
    return any([call.result() for call in calls]) or more


def _publish(amqp: publisher.Publisher, broker: _Outage) -> bool:
    """A batch to the exchange; a broker outage is told and waited out."""
    try:
        with db.transaction() as conn:
            publisher.start_cursor(conn)
        more = publisher.publish_next(amqp, db.transaction)
    except BROKER_ERRORS as error:
        amqp.close()
        broker.failed(error)
        return False
    broker.answered()
    return more


def _listen(database_url: str) -> psycopg.Connection:
    url = make_url(database_url).set(drivername="postgresql")
    connection = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
    return connection


def _wait(listener: psycopg.Connection, stop: threading.Event) -> None:
    """Until a commit wrote events, or a second went by."""
    for _ in listener.notifies(timeout=IDLE_WAIT_S, stop_after=1):
        pass


def _close(listener: psycopg.Connection | None) -> None:
    if listener is not None:
        try:
            listener.close()
        except psycopg.Error:
            pass
