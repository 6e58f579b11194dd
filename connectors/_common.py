"""Helpers shared by the connectors: JSON-safe raw rows, timestamp cursors, checked field parsing
and the fetch loop of streams whose marker is a timestamp and key a uuid (core, channel)."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, text

from connectors.base import Connector, Cursor, EventShape, SourceRow, Stream, WatchStream
from connectors.records import Record, RecordError

MIN_UUID = "00000000-0000-0000-0000-000000000000"
_CURRENCY = re.compile(r"[A-Z]{3}")
# Raw field added to every row read: when it was read (aware UTC, ISO 8601). The version of a
# row whose source keeps no trustworthy change time (alerts, fraud cases, dfs), and the latest
# a naive source time can mean.
OBSERVED_AT = "_observed_at"


# The farthest apart two clocks of one moment can read: the largest offset from UTC.
_ZONE_SPREAD = timedelta(hours=14)


def observed_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def not_after_read(moment: datetime, observed: datetime) -> datetime:
    """A naive source time read in its configured zone, never after the moment it was read:
    within a zone's offset of it, another clock wrote it (a server default in another zone) and
    the read time is the best bound. Far beyond, it is a wrong date, kept for validation."""
    if observed < moment <= observed + _ZONE_SPREAD:
        return observed
    return moment


def content_digest(raw: Mapping[str, Any]) -> str:
    """A row's content, apart from when it was read: what a watch compares to find a change."""
    content = {k: v for k, v in raw.items() if k != OBSERVED_AT}
    return hashlib.md5(json.dumps(content, sort_keys=True).encode()).hexdigest()


def json_safe(value: Any) -> Any:
    """A column value as the pipeline can json.dumps it into JSONB and hand back to transform."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        # JSONB rejects NaN/Infinity; as text they still reach transform, which rejects them.
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    # An inet with a netmask (an interface) is also an address: test it first, keep the host.
    if isinstance(value, ipaddress.IPv4Interface | ipaddress.IPv6Interface):
        return str(value.ip)
    if isinstance(value, Decimal | UUID | ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    raise TypeError(f"cannot store a {type(value).__name__} column value as JSON")


def json_row(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {name: json_safe(value) for name, value in row.items()}


def format_marker(moment: datetime) -> str:
    """Cursor text of a timestamptz marker: ISO-8601 UTC with microseconds (exact round trip)."""
    if moment.tzinfo is None:
        raise ValueError(f"marker time {moment!r} has no time zone")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_marker(marker: str) -> datetime:
    moment = datetime.fromisoformat(marker)
    if moment.tzinfo is None:
        raise ValueError(f"cursor marker {marker!r} has no time zone")
    return moment.astimezone(UTC)


class Fields:
    """Checked access to one raw row: each failure is a RecordError naming the entity and field."""

    def __init__(self, entity: str, raw: Mapping[str, Any], zone: tzinfo = UTC) -> None:
        if not isinstance(raw, Mapping):
            raise RecordError(f"{entity} row is a {type(raw).__name__}, not a mapping")
        self.entity = entity
        self.raw = raw
        self.zone = zone  # what a naive source time means

    def _fail(self, name: str, problem: str) -> RecordError:
        return RecordError(f"{self.entity} {name} {problem}")

    def _value(self, name: str, required: bool) -> Any:
        value = self.raw.get(name)
        if value is None and required:
            raise self._fail(name, "is NULL")
        return value

    def text(self, name: str) -> str | None:
        value = self._value(name, False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self._fail(name, f"is not text: {value!r}")
        return str(value)

    def key(self, name: str) -> str:
        """A required identifier: neither NULL nor blank."""
        value = self.text(name)
        if value is None:
            raise self._fail(name, "is NULL")
        if not value.strip():
            raise self._fail(name, "is empty")
        return value

    def timestamp(self, name: str) -> datetime | None:
        """An aware UTC time. A naive value is read in the source's zone; if that puts it after
        the moment the row was read, another clock wrote it (a server default in another zone)
        and it is taken as that moment, never a time in the future."""
        value = self._value(name, False)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise self._fail(name, f"is not a timestamp: {value!r}") from None
        if not isinstance(value, datetime):
            raise self._fail(name, f"is not a timestamp: {value!r}")
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        moment = value.replace(tzinfo=self.zone).astimezone(UTC)
        observed = self.raw.get(OBSERVED_AT)
        if name != OBSERVED_AT and isinstance(observed, str):
            moment = not_after_read(moment, datetime.fromisoformat(observed))
        return moment

    def timestamp_req(self, name: str) -> datetime:
        self._value(name, True)
        moment = self.timestamp(name)
        assert moment is not None
        return moment

    def date(self, name: str) -> date | None:
        value = self._value(name, False)
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value).date()
            except ValueError:
                pass
        raise self._fail(name, f"is not a date: {value!r}")

    def decimal(self, name: str, places: int | None = None) -> Decimal | None:
        """A finite number, quantized half-even to `places` decimals when given."""
        value = self._value(name, False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise self._fail(name, f"is not a number: {value!r}")
        try:
            # str() of a float is its shortest repr: 0.1 stays 0.1, not its binary expansion.
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise self._fail(name, f"is not a number: {value!r}") from None
        if not number.is_finite():
            raise self._fail(name, f"is not a finite number: {value!r}")
        if places is not None:
            number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
        return number

    def decimal_req(self, name: str, places: int | None = None) -> Decimal:
        self._value(name, True)
        number = self.decimal(name, places)
        assert number is not None
        return number

    def integer(self, name: str) -> int | None:
        number = self.decimal(name)
        if number is None:
            return None
        if number != number.to_integral_value():
            raise self._fail(name, f"is not a whole number: {self.raw[name]!r}")
        return int(number)

    def boolean(self, name: str) -> bool:
        value = self._value(name, True)
        # SQLite has no boolean type: 0/1 stand in for it.
        if isinstance(value, bool) or value in (0, 1):
            return bool(value)
        raise self._fail(name, f"is not a boolean: {value!r}")

    def currency(self, name: str) -> str:
        code = self.key(name).strip().upper()
        if not _CURRENCY.fullmatch(code):
            raise self._fail(name, f"is not a 3-letter currency code: {self.raw[name]!r}")
        return code


def build_record(
    source_system: str,
    builders: Mapping[str, Callable[[Fields], Record]],
    entity: str,
    raw: Mapping[str, Any],
    zone: tzinfo = UTC,
) -> Record:
    """One raw row as its entity's canonical record, by the source's builder for the entity."""
    build = builders.get(entity)
    if build is None:
        raise RecordError(f"{source_system} has no {entity!r} entity")
    return build(Fields(entity, raw, zone))


# a column, quoted or not, perhaps behind its table's alias: t."UpdatedAt", updated_at
_COLUMN = re.compile(r'(?:\w+\.)?"?(\w+)"?')


def select_names(columns: str) -> tuple[str, ...]:
    """The names a select list gives its columns: `t."Id"` is Id, `host(ip) AS ip` is ip."""
    names, depth, start = [], 0, 0
    for at, char in enumerate(columns + ","):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            expression = columns[start:at].strip()
            alias = re.search(r'\s+AS\s+"?(\w+)"?$', expression, re.IGNORECASE)
            column = alias or _COLUMN.fullmatch(expression)
            if column is None:
                raise ValueError(f"{expression!r} has no name: give it one with AS")
            names.append(column.group(1))
            start = at + 1
    return tuple(names)


class BuildsRecords:
    """A connector whose entities are each built by one function (`builders`): the row becomes
    its entity's record with the source's time zone for its naive times, in one place."""

    source_system: str
    zone: tzinfo

    def builders(self) -> Mapping[str, Callable[[Fields], Record]]:
        raise NotImplementedError

    def transform(self, entity: str, raw: dict[str, Any]) -> Record:
        return build_record(self.source_system, self.builders(), entity, raw, self.zone)


@dataclass(frozen=True)
class StreamQuery:
    """How one stream is read: an explicit select list, its FROM clause and its cursor columns."""

    columns: str
    source: str
    marker: str  # SQL expression of the timestamp marker
    key: str  # SQL expression of the uuid key
    # the marker's and the key's names in the select list: the column's own name when the
    # expression is a column ('t."UpdatedAt"' is UpdatedAt); an expression names it
    marker_field: str = ""
    key_field: str = ""
    # the marker is `timestamp without time zone` (None: as the connector's `naive_times` says;
    # a source with both kinds of column, core_v1, says it per stream)
    naive: bool | None = None

    def __post_init__(self) -> None:
        for expression, name in ((self.marker, "marker_field"), (self.key, "key_field")):
            if not getattr(self, name):
                column = _COLUMN.fullmatch(expression)
                if column is None:
                    raise ValueError(f"{expression!r} is not a column: give {name}")
                object.__setattr__(self, name, column.group(1))

    def sql(self, after: bool, naive: bool) -> str:
        kind = "timestamp" if naive else "timestamptz"
        where = (
            f"WHERE ({self.marker}, {self.key}) > (CAST(:m AS {kind}), CAST(:k AS uuid)) "
            if after
            else ""
        )
        return (
            f"SELECT {self.columns} FROM {self.source} {where}"
            f"ORDER BY {self.marker}, {self.key} LIMIT :n"
        )

    def sql_keys(self) -> str:
        """The rows with the given keys (a watch re-reads them)."""
        return f"SELECT {self.columns} FROM {self.source} WHERE {self.key} IN :keys"


class TimestampConnector(Connector):
    """A PostgreSQL source whose streams are ordered by (timestamp marker, uuid key).

    A source whose times are naive (`timestamp without time zone`) is given the zone they are
    written in (`time_zone`); its cursors stay in the source's own naive time, so the source
    compares them on its own index, and only the values read are converted to UTC."""

    queries: Mapping[str, StreamQuery]
    naive_times = False  # the source stores `timestamp without time zone`
    # a watch's query: the stream whose columns and source it re-reads by key
    watched: Mapping[str, str] = {}

    @classmethod
    def event_shape(cls, entity: str) -> EventShape | None:
        for stream in cls.streams:
            if stream.entity == entity:
                query = cls.queries[stream.name]
                return EventShape(entity, query.key_field, select_names(query.columns))
        return None

    def fetch(self, stream: Stream, after: Cursor | None, limit: int) -> list[SourceRow]:
        if limit < 1:
            raise ValueError(f"limit must be positive, not {limit}")
        query = self.queries[self.stream(stream.name).name]
        params: dict[str, Any] = {"n": limit}
        if after is not None:
            params |= {"m": after.marker, "k": after.key}
        naive = self._naive(stream)
        with self.engine.connect() as conn:
            sql = query.sql(after is not None, naive)
            rows = conn.execute(text(sql), params).mappings().all()
        observed = observed_now()
        result = []
        for row in rows:
            moment = row[query.marker_field]
            raw = json_row(row) | {OBSERVED_AT: observed}
            result.append(
                SourceRow(
                    marker=self._marker(moment, naive),
                    key=str(row[query.key_field]),
                    written_at=self._written_at(moment, observed, naive),
                    raw=raw,
                    digest=content_digest(raw) if stream.scan else None,
                )
            )
        return result

    def fetch_keys(self, watch: WatchStream, keys: list[str]) -> list[SourceRow]:
        query = self.queries[self.watched[watch.name]]
        statement = text(query.sql_keys()).bindparams(bindparam("keys", expanding=True))
        with self.engine.connect() as conn:
            rows = conn.execute(statement, {"keys": keys}).mappings().all()
        observed = observed_now()
        result = []
        for row in rows:
            raw = json_row(row) | {OBSERVED_AT: observed}
            digest = content_digest(raw)
            # a change found by a watch has no write time to measure latency from
            result.append(SourceRow(digest, str(row[query.key_field]), None, raw, digest))
        return result

    def _naive(self, stream: Stream) -> bool:
        naive = self.queries[self.stream(stream.name).name].naive
        return self.naive_times if naive is None else naive

    def _marker(self, moment: datetime, naive: bool) -> str:
        if naive:
            if moment is None or moment.tzinfo is not None:
                raise ValueError(f"marker time {moment!r} is not a naive source time")
            return moment.isoformat(timespec="microseconds")
        return format_marker(moment)

    def _written_at(self, moment: datetime, observed: str, naive: bool) -> datetime:
        if not naive:
            return moment.astimezone(UTC)
        local = moment.replace(tzinfo=self.zone).astimezone(UTC)
        return not_after_read(local, datetime.fromisoformat(observed))

    def rewind(self, stream: Stream, cursor: Cursor, seconds: float) -> Cursor:
        # The minimum key makes every row at the rewound instant new again.
        if self._naive(stream):
            moment = datetime.fromisoformat(cursor.marker) - timedelta(seconds=seconds)
            return Cursor(moment.isoformat(timespec="microseconds"), MIN_UUID)
        moment = parse_marker(cursor.marker) - timedelta(seconds=seconds)
        return Cursor(format_marker(moment), MIN_UUID)

    def cursor_since(self, stream: Stream, since: datetime | None) -> Cursor | None:
        if since is None:
            return None
        if self._naive(stream):
            local = since.astimezone(self.zone).replace(tzinfo=None)
            return Cursor(local.isoformat(timespec="microseconds"), MIN_UUID)
        return Cursor(format_marker(since), MIN_UUID)
