"""Fraud cases (WekezaBank risk engine, SQLite; the same tables also run on PostgreSQL).

Two clocks write one column: inserts take CURRENT_TIMESTAMP ('YYYY-MM-DD HH:MM:SS', UTC) while the
analyst workbench rewrites updated_at from its host's clock with microseconds
('YYYY-MM-DD HH:MM:SS.ffffff'): Africa/Nairobi on the bank's hosts, UTC in a container, and the
data does not say which. A workbench stamp is read in the configured zone
(`C360_SOURCE_FRAUD_TIMEZONE`, Africa/Nairobi by default), never after the moment it was read.

Because the clock is unknown, updated_at cannot order versions (the latest read wins) nor serve
as a plain cursor: after a Nairobi stamp, a later change stamped on a UTC host sorts three hours
behind. So changes are found two ways:
- `cases_open`: every poll re-reads by key the cases the Enterprise Brain holds open (anything
  but CLOSED or BLOCKED), so an escalation or a block on either clock is seen within a poll;
- `cases_updated`: on the scan schedule, a full read of updated_at (it has no index) from the
  cursor moved back by the gap between the two clocks plus the look-back, so a change to any
  case, open or not, is seen whatever clock wrote it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, text

from connectors._common import (
    OBSERVED_AT,
    Fields,
    content_digest,
    json_row,
    not_after_read,
    observed_now,
    select_names,
)
from connectors.base import Connector, Cursor, EventShape, SourceRow, Stream, WatchStream
from connectors.records import FraudCaseRecord, Record, RecordError

NAIROBI = ZoneInfo("Africa/Nairobi")
UTC_STYLE = "%Y-%m-%d %H:%M:%S"
LOCAL_STYLE = "%Y-%m-%d %H:%M:%S.%f"
# PostgreSQL's text of a timestamp drops trailing zeros of the fraction, hence 1 to 6 digits.
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?")
_MIN_CASE = "0"

_COLUMNS = (
    "case_id, transaction_id, customer_id, amount, currency, merchant_name, transaction_type, "
    "risk_score, risk_level, status, flagged_reason, "
    "CAST(created_at AS TEXT) AS created_at, CAST(updated_at AS TEXT) AS updated_at"
)
# Markers are compared in SQL as the source holds them: case_id as a number, updated_at as text.
_SQL = {
    "cases_new": (
        "WHERE case_id > CAST(:m AS INTEGER) ",
        "ORDER BY case_id",
    ),
    "cases_updated": (
        "WHERE (CAST(updated_at AS TEXT), case_id) > (:m, CAST(:k AS INTEGER)) ",
        "ORDER BY CAST(updated_at AS TEXT), case_id",
    ),
}


def fraud_time(stamp: str, workbench: tzinfo = NAIROBI) -> datetime:
    """Aware UTC time of a fraud timestamp: seconds-only text is UTC (CURRENT_TIMESTAMP), text
    with a fraction is the workbench host's clock. ValueError for any other text."""
    if not isinstance(stamp, str) or not _STAMP.fullmatch(stamp):
        raise ValueError(f"not a fraud-engine timestamp: {stamp!r}")
    moment = datetime.fromisoformat(stamp)
    zone = workbench if "." in stamp else UTC
    return moment.replace(tzinfo=zone).astimezone(UTC)


def shift_stamp(stamp: str, seconds: float) -> str:
    """The stamp moved back `seconds` on its own clock, written in its own style, so it stays
    comparable as text with the rows of that clock."""
    if not _STAMP.fullmatch(stamp):
        raise ValueError(f"not a fraud-engine timestamp: {stamp!r}")
    moment = datetime.fromisoformat(stamp) - timedelta(seconds=seconds)
    return moment.strftime(LOCAL_STYLE if "." in stamp else UTC_STYLE)


class FraudConnector(Connector):
    source_system = "fraud"
    default_zone = NAIROBI  # the workbench hosts' clock
    streams = (
        # SQLite serialises writers, so autoincrement order is commit order: no look-back needed.
        Stream("cases_new", "fraud_case", lookback=False, scan="cases_open"),
        Stream("cases_updated", "fraud_case", scan="cases_open", slow=True),
    )
    watches = (WatchStream("cases_open", "fraud_case"),)

    @classmethod
    def event_shape(cls, entity: str) -> EventShape | None:
        if entity != "fraud_case":
            return None
        return EventShape(entity, "case_id", select_names(_COLUMNS))

    def fetch(self, stream: Stream, after: Cursor | None, limit: int) -> list[SourceRow]:
        if limit < 1:
            raise ValueError(f"limit must be positive, not {limit}")
        where, order = _SQL[self.stream(stream.name).name]
        sql = f"SELECT {_COLUMNS} FROM analyst_cases {where if after else ''}{order} LIMIT :n"
        params: dict[str, Any] = {"n": limit}
        if after is not None:
            params |= {"m": after.marker, "k": after.key}
        with self.engine.connect() as conn:
            rows = conn.execute(text(sql), params).mappings().all()
        observed = observed_now()
        result = []
        for row in rows:
            key = str(row["case_id"])
            marker = key if stream.name == "cases_new" else row["updated_at"]
            raw = json_row(row) | {OBSERVED_AT: observed}
            written = self._written_at(row["updated_at"], observed)
            result.append(SourceRow(marker, key, written, raw, content_digest(raw)))
        return result

    def fetch_keys(self, watch: WatchStream, keys: list[str]) -> list[SourceRow]:
        sql = text(f"SELECT {_COLUMNS} FROM analyst_cases WHERE case_id IN :keys")
        ids = [int(key) for key in keys if key.isdigit()]
        with self.engine.connect() as conn:
            statement = sql.bindparams(bindparam("keys", expanding=True))
            rows = conn.execute(statement, {"keys": ids}).mappings().all()
        observed = observed_now()
        result = []
        for row in rows:
            raw = json_row(row) | {OBSERVED_AT: observed}
            digest = content_digest(raw)
            result.append(SourceRow(digest, str(row["case_id"]), None, raw, digest))
        return result

    def _written_at(self, stamp: Any, observed: str) -> datetime | None:
        # A row whose stamp is unreadable still moves the cursor; transform quarantines it.
        try:
            return not_after_read(fraud_time(stamp, self.zone), datetime.fromisoformat(observed))
        except ValueError:
            return None

    @property
    def clock_gap(self) -> timedelta:
        """How far apart the workbench clock and UTC read at the same moment."""
        offset = datetime.now(self.zone).utcoffset() or timedelta(0)
        return abs(offset)

    def transform(self, entity: str, raw: dict[str, Any]) -> Record:
        if entity != "fraud_case":
            raise RecordError(f"fraud has no {entity!r} entity")
        f = Fields(entity, raw)
        risk = f.decimal_req("risk_score")
        if not 0 <= risk <= 1:
            raise RecordError(f"fraud_case risk_score {raw['risk_score']!r} is outside 0..1")
        currency = f.currency("currency") if raw.get("currency") is not None else None
        updated = self._time(f, "updated_at")
        return FraudCaseRecord(
            source_system="fraud",
            source_case_id=f.key("case_id"),
            customer_number=f.key("customer_id"),
            transaction_reference=f.text("transaction_id"),
            # The engine stores an unrounded REAL: cents, half-even, as the ledger would.
            amount=f.decimal("amount", places=2),
            currency=currency,
            merchant_name=f.text("merchant_name"),
            transaction_type=f.text("transaction_type"),
            risk_score=float(risk),
            risk_level=f.key("risk_level").strip().upper(),
            status=f.key("status").strip().upper(),
            flagged_reason=f.text("flagged_reason"),
            opened_at=self._time(f, "created_at"),
            updated_at=updated,
            # rows staged before reads were timed fall back on their own time
            observed_at=f.timestamp(OBSERVED_AT) or updated,
        )

    def _time(self, f: Fields, name: str) -> datetime:
        stamp = f.key(name)
        try:
            moment = fraud_time(stamp, self.zone)
        except ValueError:
            raise RecordError(
                f"fraud_case {name} is not a fraud-engine timestamp: {stamp!r}"
            ) from None
        # a workbench stamp after the moment it was read was written on the other clock
        observed = f.timestamp(OBSERVED_AT)
        return not_after_read(moment, observed) if observed else moment

    def rewind(self, stream: Stream, cursor: Cursor, seconds: float) -> Cursor:
        if stream.name == "cases_new":
            return cursor  # an id, not a time: nothing to rewind
        # a change stamped on the other clock sorts up to the gap behind the cursor
        window = seconds + self.clock_gap.total_seconds()
        try:
            return Cursor(shift_stamp(cursor.marker, window), _MIN_CASE)
        except ValueError:
            # A marker the engine never writes (hand-edited row): keep the position, lose nothing.
            return cursor

    def first_cursor(self, stream: Stream) -> Cursor | None:
        """cases_new reads every case: the change stream's first read starts at the newest
        change, moved back over the clocks' gap, rather than reading the table again."""
        if stream.name != "cases_updated":
            return None
        with self.engine.connect() as conn:
            newest = conn.execute(
                text("SELECT MAX(CAST(updated_at AS TEXT)) FROM analyst_cases")
            ).scalar()
        if newest is None:
            return None
        return self.rewind(stream, Cursor(newest, _MIN_CASE), 0)

    def cursor_since(self, stream: Stream, since: datetime | None) -> Cursor | None:
        if since is None:
            return None
        if since.tzinfo is None:
            raise ValueError(f"since {since!r} has no time zone")
        # UTC text, floored to the second: a local-clock stamp of the same instant reads three
        # hours later, so no row written since `since` sorts before it.
        floor = since.astimezone(UTC).strftime(UTC_STYLE)
        if stream.name == "cases_updated":
            return Cursor(floor, _MIN_CASE)
        sql = (
            "SELECT (SELECT MIN(case_id) FROM analyst_cases WHERE CAST(created_at AS TEXT) >= :s),"
            " (SELECT MAX(case_id) FROM analyst_cases)"
        )
        with self.engine.connect() as conn:
            first, last = conn.execute(text(sql), {"s": floor}).one()
        start = first - 1 if first is not None else last or 0
        return Cursor(str(start), str(start))
