"""What the commands share: checked settings, times as the backfill reads them, refusals as
one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click

from app.config import Settings
from app.db import BIGINT_MAX
from app.preflight import NotReady, check_services

# a proposal's, an item's, a batch's or an entry's number: past a BIGINT no row has it
ROW_NUMBER = click.IntRange(1, BIGINT_MAX)


@contextmanager
def _refusals_as_errors(*refusals: type[Exception]) -> Iterator[None]:
    """An action refused (a key name taken, a self-approval, a merged profile, ...) is one
    line and exit status 1, never a traceback."""
    try:
        yield
    except refusals as refused:
        raise click.ClickException(str(refused)) from None


def checked_settings(
    *, database: bool = False, migrated: bool = True, broker: bool = False
) -> Settings:
    """The settings; with `database` / `broker`, those services checked first: a problem is
    one line (which URL, what failed, what to do) and exit status 1, never a traceback."""
    settings = Settings.from_env()
    if not settings.database_url or not settings.redis_url:
        raise click.ClickException(
            "C360_DATABASE_URL / C360_REDIS_URL are not set and no embedded services run: "
            "run `c360 services up` (make does it) or set them"
        )
    try:
        check_services(settings, database=database, migrated=migrated, broker=broker)
    except NotReady as problem:
        raise click.ClickException(str(problem)) from None
    return settings


def _parse_time(value: str) -> datetime:
    """The backfill rule for `--since` (an offset is required), echoed in UTC."""
    from app.pipeline.backfills import parse_since

    try:
        moment = parse_since(value)
    except ValueError as problem:
        raise click.BadParameter(str(problem), param_hint="--since") from None
    click.echo(f"since {moment.astimezone(UTC).isoformat()}", err=True)
    return moment


def _json_value(value: object) -> str:
    """Times as ISO 8601 with their offset; anything else as its text."""
    return value.isoformat() if isinstance(value, datetime) else str(value)
