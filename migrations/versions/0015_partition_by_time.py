"""Facts that grow with time, partitioned by year: transaction_360 by `occurred_at`,
channel_login by `login_at` (both written once by their sources, so they join the key). A
partition per year from 2020 to the next one, a default partition for any other time; the
maintenance task makes the next years from then on (`app/pipeline/partitions.py`). Existing
rows are copied over.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 21:30:00.000000
"""

from datetime import UTC, date, datetime

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLES = {
    "transaction_360": (
        "occurred_at",
        "source_system, source_transaction_id",
        [
            ("ix_transaction_360_customer_time",
             "(global_customer_id, occurred_at DESC, source_transaction_id DESC)", None),
            ("ix_transaction_360_reference", "(reference)", None),
            ("ix_transaction_360_unknown_type", "(source_system, source_type)",
             "type = 'UNKNOWN'"),
            ("ix_transaction_360_account", "(source_system, source_account_id)", None),
            ("ix_transaction_360_owner", "(source_system, source_customer_id)", None),
            ("ix_transaction_360_held", "(source_system)",
             "global_customer_id IS NULL AND source_business_id IS NULL"),
        ],
    ),
    "channel_login": (
        "login_at",
        "source_system, source_session_id",
        [
            ("ix_channel_login_customer_time", "(global_customer_id, login_at DESC)", None),
            ("ix_channel_login_owner", "(source_system, source_customer_id)", None),
            ("ix_channel_login_held", "(source_system)", "global_customer_id IS NULL"),
        ],
    ),
}  # fmt: skip


def _ranges(today: date) -> list[tuple[str, date, date]]:
    return [(f"y{y}", date(y, 1, 1), date(y + 1, 1, 1)) for y in range(2020, today.year + 2)]


def upgrade() -> None:
    today = datetime.now(UTC).date()
    for table, (column, key, indexes) in TABLES.items():
        old = f"{table}_unpartitioned"
        op.execute(f"ALTER TABLE {table} RENAME TO {old}")
        op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{table} TO pk_{old}")
        op.execute(
            f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS) PARTITION BY RANGE ({column})"
        )
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({key}, {column})")
        op.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
        for suffix, start, end in _ranges(today):
            op.execute(
                f"CREATE TABLE {table}_{suffix} PARTITION OF {table} FOR VALUES"
                f" FROM ('{start.isoformat()} 00:00+00') TO ('{end.isoformat()} 00:00+00')"
            )
        op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
        op.execute(f"DROP TABLE {old}")
        for name, columns, where in indexes:
            op.execute(
                f"CREATE INDEX {name} ON {table} {columns}" + (f" WHERE {where}" if where else "")
            )


def downgrade() -> None:
    for table, (_, key, indexes) in TABLES.items():
        old = f"{table}_partitioned"
        op.execute(f"ALTER TABLE {table} RENAME TO {old}")
        op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{table} TO pk_{old}")
        for name, _, _ in indexes:
            op.execute(f"ALTER INDEX {name} RENAME TO {name}_partitioned")
        op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS)")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({key})")
        op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
        op.execute(f"DROP TABLE {old}")
        for name, columns, where in indexes:
            op.execute(
                f"CREATE INDEX {name} ON {table} {columns}" + (f" WHERE {where}" if where else "")
            )
