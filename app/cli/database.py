"""The Enterprise Brain database: `c360 db upgrade`."""

from __future__ import annotations

import click

from app.cli.common import checked_settings


@click.group("db")
def database() -> None:
    """The Enterprise Brain database."""


@database.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations (Alembic)."""
    from app.migrate import upgrade

    upgrade(checked_settings(database=True, migrated=False).database_url)
    click.echo("database at the latest migration")
