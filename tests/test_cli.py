"""The command line's output and inputs: times with their offset, aligned columns, refusals."""

from datetime import UTC, datetime

from click.testing import CliRunner

from app.cli import main
from app.cli.status import _format_status

POLLED = datetime(2026, 11, 26, 10, 0, 5, 123456, tzinfo=UTC)


def source(**fields):
    return {
        "state": "ok",
        "failing_streams": {},
        "unknown_values": {},
        "lag_seconds": 0.5,
        "records_per_minute": 10,
        "latency_p50_seconds": 0.4,
        "latency_max_seconds": 1.2,
        "records_processed": 100,
        "batches_unfinished": 0,
        "quarantined_records": 1,
        "held_records": 0,
        "checkpoints": [],
        **fields,
    }


def test_status_prints_iso_times_in_aligned_columns():
    checkpoints = [
        {"stream": "customers", "marker": "2026-11-26T09:59:00.000000+00:00", "updated_at": POLLED},
        {"stream": "transactions", "marker": "42", "updated_at": POLLED},
    ]
    report = {
        "sources": {
            "core": source(checkpoints=checkpoints),
            "fraud": source(
                checkpoints=[{"stream": "cases_new", "marker": "7", "updated_at": POLLED}]
            ),
        },
        "queues": {"extract": 0},
    }
    lines = [line for line in _format_status(report).splitlines() if "2026-11-26T10:00:05" in line]
    assert len(lines) == 3
    assert len({line.index("2026-11-26T10:00:05+00:00") for line in lines}) == 1  # one column


def test_a_time_without_its_offset_is_refused(monkeypatch):
    monkeypatch.setenv("C360_SOURCE_CORE_URL", "postgresql+psycopg://bank/core")
    result = CliRunner().invoke(main, ["backfill", "core", "--since", "2026-11-01T00:00:00"])
    assert result.exit_code == 2
    assert "has no offset" in result.output and "+03:00" in result.output


def test_an_unknown_source_is_refused():
    result = CliRunner().invoke(main, ["quarantine", "list", "--source", "nosuch"])
    assert result.exit_code == 2
    assert "nosuch" in result.output
