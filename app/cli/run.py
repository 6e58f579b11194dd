"""Every process in the foreground: `c360 run`."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click

from app.cli.common import checked_settings
from app.config import state_dir


@click.command()
@click.option("--port", default=8000, show_default=True)
@click.option("--flower-port", default=5555, show_default=True)
def run(port: int, flower_port: int) -> None:
    """API, worker, beat, Flower and the event relay together in the foreground, and the AMQP
    intake where C360_AMQP_URL is set, each started again if it dies (Ctrl-C stops all)."""
    from app import processes

    settings = checked_settings(database=True, broker=True)

    commands = {
        "api": processes.api_command(port),
        "worker": processes.worker_command(),
        "beat": processes.beat_command(),
        "flower": processes.flower_command(flower_port),
        "relay": processes.relay_command(),
    }
    if settings.amqp_url:
        commands["consume"] = processes.consume_command()
    logdir = state_dir() / "logs"
    logdir.mkdir(parents=True, exist_ok=True)

    def report(line: str) -> None:
        click.echo(f"{datetime.now(UTC).isoformat(timespec='seconds')} {line}", err=True)

    with processes.supervised(commands, logdir, report) as supervisor:
        click.echo(
            f"API http://127.0.0.1:{port}/docs  Flower http://127.0.0.1:{flower_port}"
            f"  logs {logdir}"
        )
        try:
            while True:
                supervisor.check()
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
