"""Where each stream of a source was read up to (its compound cursor), and when it was last
read (`updated_at`: moved with each successful read, stream_health)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.pipeline.models import (
    source_checkpoint,
)
from connectors.base import Cursor


def load_checkpoint(conn: Connection, source_system: str, stream: str) -> Cursor | None:
    row = conn.execute(
        select(source_checkpoint.c.marker, source_checkpoint.c.source_key).where(
            source_checkpoint.c.source_system == source_system,
            source_checkpoint.c.stream == stream,
        )
    ).first()
    return Cursor(row.marker, row.source_key) if row else None


def save_checkpoint(conn: Connection, source_system: str, stream: str, cursor: Cursor) -> None:
    stmt = pg_insert(source_checkpoint).values(
        source_system=source_system, stream=stream, marker=cursor.marker, source_key=cursor.key
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["source_system", "stream"],
            set_={"marker": cursor.marker, "source_key": cursor.key, "updated_at": func.now()},
        )
    )
