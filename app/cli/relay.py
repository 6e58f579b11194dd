"""Events out: `c360 relay` (docs/events.md)."""

from __future__ import annotations

import signal
import threading

import click

from app.cli.common import checked_settings


@click.command()
def relay() -> None:
    """Deliver the Brain's events until stopped: stamp them into the feed, publish them to
    RabbitMQ's c360.events where C360_AMQP_URL is set, and call the webhook subscriptions."""
    from app.events.relay import relay as deliver
    from app.logs import configure_logging

    settings = checked_settings(database=True)
    configure_logging()
    stop = threading.Event()
    for stopping in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stopping, lambda *_: stop.set())
    where = "c360.events and the webhooks" if settings.amqp_url else "the webhooks"
    click.echo(f"relaying events to {where}", err=True)
    deliver(settings, stop)
