"""What every process checks as it starts: the Enterprise Brain database (reachable, created,
migrated) and the broker. A problem is one line an operator can act on — which URL (password
masked), what failed, what to do — never a traceback per poll."""

from __future__ import annotations

from sqlalchemy import create_engine, exc, inspect, text
from sqlalchemy.engine import make_url

from app.config import Settings

SCHEMA_TABLE = "ingest_batch"  # made by the migrations: its absence means `c360 db upgrade`


class NotReady(Exception):
    """A service the process needs is missing; str() is the line to show."""


def masked(url: str) -> str:
    """A URL with its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return "(an unreadable URL)"


def check_database(settings: Settings, *, migrated: bool = True) -> None:
    """Raise NotReady unless the database answers (and, with `migrated`, holds the schema)."""
    url = settings.database_url
    if not url:
        raise NotReady(
            "C360_DATABASE_URL is not set and no embedded database runs: "
            "run `c360 services up` or set C360_DATABASE_URL"
        )
    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            if migrated and not inspect(conn).has_table(SCHEMA_TABLE):
                raise NotReady(
                    f"the Enterprise Brain database at {masked(url)} has no schema yet: "
                    "run `c360 db upgrade`"
                )
    except exc.OperationalError as error:
        raise NotReady(_database_problem(url, error)) from None
    finally:
        engine.dispose()


def _database_problem(url: str, error: exc.OperationalError) -> str:
    reason = (str(error.orig).strip().splitlines() or ["unreachable"])[0]
    database = make_url(url).database
    if "does not exist" in reason and database and f'"{database}"' in reason:
        advice = (
            f"create it (`createdb {database}`, or CREATE DATABASE {database}), "
            "then run `c360 db upgrade`"
        )
    else:
        advice = "start PostgreSQL there, or point C360_DATABASE_URL at one that runs"
    return f"cannot use the Enterprise Brain database at {masked(url)}: {reason} — {advice}"


def check_services(
    settings: Settings, *, database: bool = True, migrated: bool = True, broker: bool = True
) -> None:
    """Raise NotReady for the first of the needed services that is not ready."""
    if database:
        check_database(settings, migrated=migrated)
    if broker:
        check_broker(settings)


def check_broker(settings: Settings) -> None:
    """Raise NotReady unless the broker answers."""
    from app.ops.service import redis_client

    if not settings.redis_url:
        raise NotReady(
            "C360_REDIS_URL is not set and no embedded Redis runs: "
            "run `c360 services up` or set C360_REDIS_URL"
        )
    client = redis_client(settings.redis_url)
    try:
        client.ping()
    except Exception as error:  # any failure to reach it is what this reports
        raise NotReady(
            f"cannot reach the broker at {masked(settings.redis_url)}: "
            f"{type(error).__name__}: {error} — start Redis there, or set C360_REDIS_URL"
        ) from None
    finally:
        client.close()
