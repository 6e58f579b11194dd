"""Alembic environment: migrates the Enterprise Brain database named by C360_DATABASE_URL."""

from alembic import context
from sqlalchemy import create_engine

from app.config import Settings
from app.models import metadata

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            # Two processes upgrading at once (worker and API start together) must not race.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(360360)")
            context.run_migrations()
    engine.dispose()


run_migrations_online()
