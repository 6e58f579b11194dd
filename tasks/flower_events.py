"""Flower's event capture, reconnecting within half a minute of the broker's return however long
it was gone, and telling the outage in two lines (`app/ops/outages.py`).

Flower's capture loop doubles its wait after every failed attempt with no ceiling: after a long
outage it waits longer still before it looks again, and logs a line per attempt meanwhile (the
figures are in docs/outages.md). Its loop is `flower.events.Events.run`, which nothing lets us
configure; this replaces it with the same loop and a capped wait. Applied only in the Flower
process (`celery -A tasks flower` imports this package first).
"""

from __future__ import annotations

import _thread
import time

from celery.events import EventReceiver

from app.ops.outages import BROKER

CAPTURE_WAIT_MAX_S = 30.0


def capture_events(self) -> None:  # type: ignore[no-untyped-def]  (Flower's Events, untyped)
    wait = 1.0
    while True:
        try:
            with self.capp.connection() as connection:
                receiver = EventReceiver(
                    connection, handlers={"*": self.on_event}, app=self.capp
                )  # declaring its queue connects: from here on the broker answered
                BROKER.answered()
                wait = 1.0
                receiver.capture(limit=None, timeout=None, wakeup=True)
        except (KeyboardInterrupt, SystemExit):
            _thread.interrupt_main()
            return
        except Exception as error:  # whatever the transport raises, the loop goes on
            BROKER.failed(error)
            time.sleep(wait)
            wait = min(wait * 2, CAPTURE_WAIT_MAX_S)


def install() -> None:
    from flower.events import Events

    Events.run = capture_events
