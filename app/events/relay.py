"""The relay (`c360 relay`): stamps the outbox's new events into the feed, publishes them to
RabbitMQ where C360_AMQP_URL is set, and calls the webhooks. It wakes when a commit wrote
events (LISTEN), and at least every second. Killed at any point it loses nothing: a cursor moves
only past what was confirmed, so a restart sends again what was in flight (at least once)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
from sqlalchemy.engine import make_url

from app import db
from app.config import Settings
from app.events import feed, publisher, webhooks
from app.outbox.service import NOTIFY_CHANNEL

log = logging.getLogger("c360.events")

IDLE_WAIT_S = 1.0
OUTAGE_WAIT_S = 1.0
RECEIVERS_AT_ONCE = 8  # webhook subscriptions called at the same time


def relay(settings: Settings, stop: threading.Event) -> None:
    """Relay until `stop` is set, through outages of the database, the broker or a receiver."""
    amqp = publisher.Publisher(settings.amqp_url) if settings.amqp_url else None
    listener: psycopg.Connection | None = None
    down: str | None = None
    with ThreadPoolExecutor(RECEIVERS_AT_ONCE, thread_name_prefix="webhook") as pool:
        while not stop.is_set():
            try:
                if listener is None:
                    listener = _listen(settings.database_url)
                    if amqp is not None:
                        with db.transaction() as conn:
                            publisher.start_cursor(conn)
                more = _cycle(amqp, settings, pool)
                if down is not None:
                    log.warning(f"relay: {down} reachable again")
                    down = None
            except Exception as error:  # noqa: BLE001 - an outage is waited out, not fatal
                what = "broker" if amqp is not None and _is_broker(error) else "database"
                if down is None:
                    log.warning(f"relay: {what} unreachable ({type(error).__name__})")
                    down = what
                if amqp is not None:
                    amqp.close()
                _close(listener)
                listener = None
                stop.wait(OUTAGE_WAIT_S)
                continue
            if not more:
                _wait(listener, stop)
    if amqp is not None:
        amqp.close()
    _close(listener)


def _cycle(
    amqp: publisher.Publisher | None,
    settings: Settings,
    pool: ThreadPoolExecutor,
) -> bool:
    """Stamp, publish a batch, call each due webhook once; True if there is more to do now."""
    with db.transaction() as conn:
        stamped = feed.stamp(conn)
    more = stamped >= feed.STAMP_AT_MOST
    if amqp is not None:
        more |= publisher.publish_next(amqp, db.transaction)
    due = webhooks.due()
    results = pool.map(lambda sid: webhooks.deliver(sid, settings), due)
    more |= any(list(results))
    return more


def _listen(database_url: str) -> psycopg.Connection:
    url = make_url(database_url).set(drivername="postgresql")
    connection = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
    return connection


def _wait(listener: psycopg.Connection | None, stop: threading.Event) -> None:
    """Until a commit wrote events, or a second went by."""
    if listener is None:
        stop.wait(IDLE_WAIT_S)
        return
    for _ in listener.notifies(timeout=IDLE_WAIT_S, stop_after=1):
        pass


def _close(listener: psycopg.Connection | None) -> None:
    if listener is not None:
        try:
            listener.close()
        except psycopg.Error:
            pass


def _is_broker(error: BaseException) -> bool:
    module = type(error).__module__
    return module.startswith(("amqp", "kombu")) or isinstance(error, ConnectionRefusedError)
