"""What every source connector provides: ordered, incremental reads and a pure transform.

A connector reads one source system it does not own. For each stream (a table, or one change
marker of a table) it returns rows strictly after a compound cursor (marker, key), in that order,
so ties on a timestamp lose nothing. It never writes to the source and never selects a secret
column (session tokens, PIN hashes).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Engine, create_engine

from connectors.records import Record


@dataclass(frozen=True)
class Cursor:
    """A position in a stream: rows with (marker, key) greater than this are new."""

    marker: str
    key: str


@dataclass(frozen=True)
class Stream:
    name: str  # e.g. "customers"; also the checkpoint's name
    entity: str  # the canonical record kind: customer, account, transaction, ...
    # Rewind the cursor this far at the start of every poll, so a row whose transaction
    # committed late (after rows with a later marker were read) is still seen.
    lookback: bool = True
    # For a table whose rows change without a change marker: the name of the scan or watch
    # stream that follows the same rows by content digest (see ScanStream, WatchStream).
    scan: str | None = None
    # Read on the scan schedule (C360_SCAN_INTERVAL) instead of every poll: its marker has no
    # index at the source, so every read is a full scan of the table.
    slow: bool = False


@dataclass(frozen=True)
class EventShape:
    """What an inbound event about one entity carries as its `data`: the columns a poll reads of
    that row, under the source's own names, and which of them is the row's key (the event's
    subject). Derived from the stream that reads the entity, so a polled row and an event go
    through one transform."""

    entity: str
    key: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ScanStream:
    """A table whose rows change without any change marker (dfs balances, statuses).

    Changes are found on a slower schedule by comparing digests of key-range chunks computed
    in the source, then row digests inside the chunks that differ; only changed rows are staged.
    """

    name: str  # e.g. "accounts_scan"; rows staged from it are versioned by their digest
    entity: str


@dataclass(frozen=True)
class WatchStream:
    """Rows that change in place without any marker while they are open (a channel alert
    acknowledged or resolved, a fraud case escalated on an unknown clock): every poll re-reads,
    by key, the rows the Enterprise Brain holds open, and stages those whose content changed.
    The cost is one key look-up per open row, never a scan of the table."""

    name: str  # e.g. "security_alerts_open"; rows staged from it are versioned by their digest
    entity: str


@dataclass(frozen=True)
class SourceRow:
    """One row as read: its cursor position, its source write time and its JSON-safe columns."""

    marker: str
    key: str
    written_at: datetime | None  # aware UTC; the latency metric measures from here
    raw: dict[str, Any]
    # the row's content digest, for rows of a stream watched by a scan (Stream.scan): staging
    # records it so the first scan does not mistake every row read before for a change
    digest: str | None = None

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.marker, self.key)


class Connector(ABC):
    source_system: str
    streams: tuple[Stream, ...]
    # what the source's naive times mean, unless configured (C360_SOURCE_<NAME>_TIMEZONE)
    default_zone: tzinfo = UTC

    def __init__(
        self, url: str, engine: Engine | None = None, time_zone: tzinfo | None = None
    ) -> None:
        self.url = url
        self.zone = time_zone or self.default_zone
        self.engine = engine or create_engine(
            url, pool_pre_ping=True, connect_args=_connect_timeout(url)
        )

    def stream(self, name: str) -> Stream:
        for stream in self.streams:
            if stream.name == name:
                return stream
        raise KeyError(f"{self.source_system} has no stream {name!r}")

    @abstractmethod
    def fetch(self, stream: Stream, after: Cursor | None, limit: int) -> list[SourceRow]:
        """Up to `limit` rows of `stream` strictly after `after` (all rows when None),
        ordered by (marker, key)."""

    @abstractmethod
    def transform(self, entity: str, raw: dict[str, Any]) -> Record:
        """Turn one stored raw row into its canonical record; raise RecordError if it cannot."""

    @abstractmethod
    def rewind(self, stream: Stream, cursor: Cursor, seconds: float) -> Cursor:
        """The cursor moved back by `seconds` of the stream's marker (the look-back overlap)."""

    @abstractmethod
    def cursor_since(self, stream: Stream, since: datetime | None) -> Cursor | None:
        """Where a backfill from `since` starts (None: the beginning of the stream)."""

    @classmethod
    def event_shape(cls, entity: str) -> EventShape | None:
        """The `data` of an inbound event about `entity` (None: this source's events never
        carry it)."""
        return None

    def first_cursor(self, stream: Stream) -> Cursor | None:
        """Where a stream's first poll starts (None: the beginning). A change stream whose
        rows another stream reads in full starts at its newest change instead."""
        return None

    scans: tuple[ScanStream, ...] = ()

    def chunk_digests(self, scan: ScanStream, chunk_size: int) -> dict[int, str]:
        """{chunk number: digest of its rows} for the whole table, computed in the source
        (chunk n holds the rows whose integer key // chunk_size == n)."""
        raise NotImplementedError(f"{self.source_system} has no scan streams")

    def fetch_chunk(self, scan: ScanStream, chunk: int, chunk_size: int) -> list[SourceRow]:
        """The rows of one chunk, each with `marker` = `digest` = its content digest."""
        raise NotImplementedError(f"{self.source_system} has no scan streams")

    watches: tuple[WatchStream, ...] = ()

    def fetch_keys(self, watch: WatchStream, keys: list[str]) -> list[SourceRow]:
        """The rows with these keys, each with `marker` = `digest` = its content digest."""
        raise NotImplementedError(f"{self.source_system} has no watch streams")

    def order_key(self, cursor: Cursor) -> tuple[Any, Any]:
        """A Python sort key that orders cursors the way the source's SQL does."""
        return (_orderable(cursor.marker), _orderable(cursor.key))

    def close(self) -> None:
        self.engine.dispose()


def _orderable(value: str) -> Any:
    """Integers compare as numbers, ISO timestamps as times, anything else as text."""
    if value.lstrip("-").isdigit():
        return (0, int(value), "")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return (2, 0, value)
    if moment.tzinfo is None:
        return (1, moment.isoformat(), "")
    return (1, moment.astimezone(UTC).replace(tzinfo=None).isoformat(), "")


def _connect_timeout(url: str) -> dict[str, Any]:
    """A source that is down must fail its own poll quickly, not hang a worker."""
    if url.startswith("postgresql"):
        return {"connect_timeout": 5}
    if url.startswith("mysql"):
        return {"connect_timeout": 5}
    return {}
