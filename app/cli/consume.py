"""Events in over AMQP: `c360 consume` (docs/events.md)."""

from __future__ import annotations

import signal
import threading

import click

from app.cli.common import checked_settings


@click.command()
def consume() -> None:
    """Take the sources' events from RabbitMQ (C360_AMQP_URL) into the pipeline until stopped:
    each delivery acknowledged once it is durably staged."""
    from app.celeryconfig import create_celery
    from app.intake.consumer import consume as take_from_broker
    from app.logs import configure_logging
    from app.pipeline.handoff import enqueue_batches

    settings = checked_settings(database=True, broker=True)
    if not settings.amqp_url:
        raise click.ClickException("C360_AMQP_URL is not set: there is no AMQP intake to run")
    configure_logging()
    celery_app = create_celery(settings)
    stop = threading.Event()
    for stopping in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stopping, lambda *_: stop.set())
    click.echo("taking events from c360.inbound", err=True)
    take_from_broker(settings, stop, lambda batches: enqueue_batches(celery_app, batches))
