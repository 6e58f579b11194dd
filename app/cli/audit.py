"""Who read whose data: `c360 audit`."""

from __future__ import annotations

import json
from uuid import UUID

import click

from app.cli.common import _json_value, _parse_time, checked_settings


@click.command()
@click.option("--customer", type=click.UUID, help="A Global Customer ID (and IDs merged in).")
@click.option("--key", "key_name", help="Only the reads made with this key.")
@click.option("--since", help="ISO 8601 with its offset.")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def audit(
    customer: UUID | None, key_name: str | None, since: str | None, limit: int, as_json: bool
) -> None:
    """The access log: who read whose data, through which endpoint, when and from where."""
    from app import db
    from app.access.audit import list_access

    checked_settings(database=True)
    moment = _parse_time(since) if since else None
    with db.connect() as conn:
        entries = list_access(conn, customer=customer, key_name=key_name, since=moment, limit=limit)
    if as_json:
        click.echo(json.dumps(entries, indent=2, default=_json_value))
        return
    for entry in entries:
        served = ",".join(str(gid) for gid in entry["customer_ids"]) or "-"
        click.echo(
            f"{entry['at'].isoformat(timespec='milliseconds')}  {entry['key_name']:<20} "
            f"{entry['remote_addr'] or '-':<15} {entry['status']} {entry['method']} "
            f"{entry['endpoint']}  {served}"
        )
    click.echo(f"{len(entries)} entries shown")
