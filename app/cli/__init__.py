"""The `c360` command line (docs/operations.md): services, db, backfill, replay, quarantine,
keys, audit, steward, status, run, consume, relay, events, one module each. The demo source
systems add theirs (sources, demo, accuracy, simulate) from the sandbox distribution, through
the `c360.commands` entry points, when it is installed."""

from __future__ import annotations

from importlib.metadata import entry_points

import click

from app.cli.audit import audit
from app.cli.backfill import backfill, replay
from app.cli.common import checked_settings
from app.cli.consume import consume
from app.cli.database import database
from app.cli.events import events_group
from app.cli.keys import keys_group
from app.cli.quarantine import quarantine_group
from app.cli.relay import relay
from app.cli.run import run
from app.cli.services import services
from app.cli.status import status
from app.cli.steward import steward_group


class _WithPlugins(click.Group):
    """`c360`, plus the commands other installed distributions add (the sandbox's `sources`,
    `demo`, `accuracy`, `simulate`) through the `c360.commands` entry points, loaded only when
    asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_plugins()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in _plugins():
            command = _plugins()[name].load()
        return command


def _plugins() -> dict:
    return {entry.name: entry for entry in entry_points(group="c360.commands")}


@click.group(cls=_WithPlugins)
def main() -> None:
    """Wekeza Enterprise Brain: the real-time Customer 360."""


for command in (
    services,
    database,
    backfill,
    replay,
    quarantine_group,
    keys_group,
    audit,
    steward_group,
    status,
    run,
    consume,
    relay,
    events_group,
):
    main.add_command(command)

__all__ = ["checked_settings", "main"]
