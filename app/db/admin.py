"""Scratch databases beside the Enterprise Brain (tests, benchmarks, accuracy runs)."""

from sqlalchemy import (
    create_engine,
    text,
)


def recreate_database(url: str) -> None:
    """Drop (forcing out connections) and create the database named in `url`: scratch
    databases for tests, benchmarks and accuracy runs."""
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def sibling_url(url: str, suffix: str) -> str:
    """The URL of database `<name><suffix>` on the same server."""
    from sqlalchemy.engine import make_url

    base = make_url(url)
    return base.set(database=f"{base.database}{suffix}").render_as_string(hide_password=False)
