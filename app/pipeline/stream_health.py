"""How each stream of a source fared when it was last read (table `stream_poll`).

Every stream is read on its own: a missing table, a missing column or a refused permission
fails that stream alone, is recorded with the database's own message, and is logged once when
it starts and then at most once a minute until the stream recovers. A stream that polls and
finds nothing new is healthy: its `last_success_at` moves all the same.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, exc, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app import db
from app.logs import log_event, mask_text
from app.pipeline.models import stream_poll

log = logging.getLogger("c360.extract")

LOG_EVERY = timedelta(minutes=1)


def describe_error(error: BaseException) -> str:
    """One line an operator can act on: the database's own message (not the SQL, not a
    traceback), passwords in URLs hidden, identifiers masked."""
    if isinstance(error, exc.DBAPIError) and error.orig is not None:
        error = error.orig
    message = (str(error).strip().splitlines() or [""])[0] or type(error).__name__
    return mask_text(message)[:500]


@contextmanager
def stream_attempt(source_system: str, stream: str, kind: str) -> Iterator[None]:
    """Read one stream: a failure is recorded and logged (throttled), never raised, so the
    source's other streams are read all the same. Failing to record is raised: then the
    Enterprise Brain itself is unreachable."""
    try:
        yield
    except Exception as error:
        message = describe_error(error)
        with db.transaction() as conn:
            should_log = _record_failure(conn, source_system, stream, kind, message)
        if should_log:
            log.warning(
                "stream failing",
                extra={"fields": {"source": source_system, "stream": stream, "error": message}},
            )
        return
    with db.transaction() as conn:
        recovered = _record_success(conn, source_system, stream, kind)
    if recovered:
        log_event(log, "stream recovered", source=source_system, stream=stream)


# One statement, one commit: the stream's success, whether it was failing until now (what the
# row held before this statement), and its checkpoint's `updated_at` (when it was last read, in
# `c360 status`; a stream without a checkpoint, a watch or a digest scan, has none to touch). An
# idle poll of a source writes this and nothing else, every second, for each of its streams.
# Its commit does not wait for the WAL to reach the disk (`synchronous_commit` off for this
# transaction): a crash may lose the last second's heartbeats, which the next poll writes again,
# and never a checkpoint's marker or a batch, whose commits still wait: flushes the API's
# access-log commits would otherwise queue behind (docs/scale.md).
_RECORD_SUCCESS = text(
    """
WITH without_waiting AS (
    SELECT set_config('synchronous_commit', 'off', true)
), touched AS (
    UPDATE source_checkpoint SET updated_at = now()
    WHERE source_system = :source_system AND stream = :stream
), was AS (
    SELECT failing_since FROM stream_poll
    WHERE source_system = :source_system AND stream = :stream
)
INSERT INTO stream_poll (source_system, stream, kind, last_attempt_at, last_success_at)
SELECT :source_system, :stream, :kind, now(), now() FROM without_waiting
ON CONFLICT (source_system, stream) DO UPDATE SET
    kind = excluded.kind, last_attempt_at = now(), last_success_at = now(),
    failing_since = NULL, last_error = NULL, logged_at = NULL
RETURNING (SELECT failing_since FROM was) IS NOT NULL
"""
)


def _record_success(conn: Connection, source_system: str, stream: str, kind: str) -> bool:
    """Returns whether the stream was failing until now."""
    params = {"source_system": source_system, "stream": stream, "kind": kind}
    return conn.execute(_RECORD_SUCCESS, params).scalar_one()


def _record_failure(
    conn: Connection, source_system: str, stream: str, kind: str, message: str
) -> bool:
    """Returns whether to log it: the first failure of a run, a new message, or a minute on."""
    stmt = pg_insert(stream_poll).values(
        source_system=source_system,
        stream=stream,
        kind=kind,
        last_attempt_at=text("now()"),
        failing_since=text("now()"),
        last_error=message,
        logged_at=text("now()"),
    )
    table = stream_poll
    due = (
        table.c.failing_since.is_(None)
        | table.c.last_error.is_distinct_from(stmt.excluded.last_error)
        | (table.c.logged_at < text("now() - make_interval(secs => :every)"))
    )
    row = conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["source_system", "stream"],
            set_={
                "kind": kind,
                "last_attempt_at": text("now()"),
                "failing_since": text("coalesce(stream_poll.failing_since, now())"),
                "last_error": message,
                "logged_at": case((due, text("now()")), else_=table.c.logged_at),
            },
        ).returning(table.c.logged_at == text("now()")),
        {"every": LOG_EVERY.total_seconds()},
    ).scalar()
    return bool(row)


def stream_states(conn: Connection) -> dict[str, dict[str, dict[str, Any]]]:
    """{source: {stream: its row}} for every stream ever read."""
    states: dict[str, dict[str, dict[str, Any]]] = {}
    for row in conn.execute(select(stream_poll).order_by(stream_poll.c.stream)).mappings():
        states.setdefault(row["source_system"], {})[row["stream"]] = dict(row)
    return states


def stream_status(row: dict[str, Any] | None, now: datetime, behind_after: timedelta) -> str:
    """never_polled | failing | behind (polls stopped running) | ok (polling, new rows or not)."""
    if row is None:
        return "never_polled"
    if row["failing_since"] is not None:
        return "failing"
    if row["last_success_at"] is None or now - row["last_success_at"] > behind_after:
        return "behind"
    return "ok"
