"""Channel activity: logins (sessions, without their tokens) and security alerts."""

from sqlalchemy import Column, DateTime, Index, String, Table, Text, func, text
from sqlalchemy.dialects.postgresql import UUID

from app.db import held_facts_index, metadata

channel_login = Table(
    "channel_login",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("source_session_id", String(64), primary_key=True),
    Column("global_customer_id", UUID(as_uuid=True)),
    Column("source_customer_id", String(64)),
    # partitioned by year of the login (`app/pipeline/partitions.py`): part of the key
    Column("login_at", DateTime(timezone=True), primary_key=True),
    Column("last_activity", DateTime(timezone=True)),
    Column("device_id", String(255)),
    Column("ip_address", String(64)),
    Column("user_agent", Text),
    Column("session_mode", String(20)),
    Column("ingested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_channel_login_customer_time", "global_customer_id", text("login_at DESC")),
    # facts are re-pointed by owner when a merge or split moves their source record
    Index("ix_channel_login_owner", "source_system", "source_customer_id"),
    held_facts_index("channel_login"),
    postgresql_partition_by="RANGE (login_at)",
)

security_alert = Table(
    "security_alert",
    metadata,
    Column("source_system", String(16), primary_key=True),
    Column("source_alert_id", String(64), primary_key=True),
    Column("global_customer_id", UUID(as_uuid=True)),
    Column("source_customer_id", String(64)),
    Column("alert_type", String(100), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("status", String(50), nullable=False),
    Column("device_id", String(255)),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    # when the row was read: alerts change in place with no marker, so the latest read wins
    Column("observed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("ingested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_security_alert_global_customer_id", "global_customer_id"),
    # the alerts a watch re-reads every poll (app/pipeline/watch.py): the open ones
    Index(
        "ix_security_alert_open",
        "source_system",
        "source_alert_id",
        postgresql_where=text("status NOT IN ('CLOSED', 'FALSE_POSITIVE', 'RESOLVED')"),
    ),
    # facts are re-pointed by owner when a merge or split moves their source record
    Index("ix_security_alert_owner", "source_system", "source_customer_id"),
    held_facts_index("security_alert"),
)
