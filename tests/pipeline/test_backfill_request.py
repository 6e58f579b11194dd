"""One backfill request for the command line and Flower: what each refuses, and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.pipeline.backfills import BackfillRequest, UnknownSource

CONFIGURED = ("core", "channel")


def test_a_request_names_a_configured_source_and_a_time_with_its_offset() -> None:
    request = BackfillRequest.parse("core", "2026-11-01T00:00:00+03:00", CONFIGURED)
    assert request.source_system == "core"
    assert request.since == datetime(2026, 11, 1, tzinfo=timezone(timedelta(hours=3)))
    assert request.since == datetime(2026, 10, 31, 21, tzinfo=UTC)
    assert BackfillRequest.parse("channel", None, CONFIGURED).since is None


def test_a_source_not_configured_is_refused_before_its_time_is_read() -> None:
    with pytest.raises(UnknownSource, match="'dfs' is not a configured source"):
        BackfillRequest.parse("dfs", "not even a time", CONFIGURED)


def test_a_time_without_its_offset_is_refused_with_how_to_write_it() -> None:
    with pytest.raises(ValueError, match=r"has no offset.*\+03:00") as refused:
        BackfillRequest.parse("core", "2026-11-01T00:00:00", CONFIGURED)
    assert not isinstance(refused.value, UnknownSource)
