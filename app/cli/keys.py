"""API keys: `c360 keys create|list|revoke`."""

from __future__ import annotations

import click

from app.access.keys import SCOPES
from app.cli.common import _refusals_as_errors, checked_settings


@click.group("keys")
def keys_group() -> None:
    """API keys and their scopes (read, steward, security, admin); stored hashed."""


@keys_group.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(SCOPES),
    help="A scope the key holds (repeatable).",
)
def keys_create(name: str, scopes: tuple[str, ...]) -> None:
    """Create key NAME; the key is printed once and never stored in clear."""
    from app import db
    from app.access.keys import KeyRefused, create_key

    checked_settings(database=True)
    with _refusals_as_errors(KeyRefused), db.transaction() as conn:
        key = create_key(conn, name, list(scopes))
    click.echo(f"key {name} ({', '.join(scopes)}) created; it is shown only now:", err=True)
    click.echo(key)


@keys_group.command("list")
def keys_list() -> None:
    from app import db
    from app.access.keys import list_keys

    checked_settings(database=True)
    with db.connect() as conn:
        keys = list_keys(conn)
    for key in keys:
        state = (
            f"revoked {key['revoked_at'].isoformat(timespec='seconds')}"
            if key["revoked_at"]
            else "active"
        )
        click.echo(
            f"{key['name']:<24} {','.join(key['scopes']):<30} "
            f"created {key['created_at'].isoformat(timespec='seconds')}  {state}"
        )
    click.echo(f"{len(keys)} keys")


@keys_group.command("revoke")
@click.argument("name")
def keys_revoke(name: str) -> None:
    """Revoke key NAME at once (its name stays taken, so the access log stays unambiguous)."""
    from app import db
    from app.access.keys import KeyRefused, revoke_key

    checked_settings(database=True)
    with _refusals_as_errors(KeyRefused), db.transaction() as conn:
        revoke_key(conn, name)
    click.echo(f"key {name} revoked")
