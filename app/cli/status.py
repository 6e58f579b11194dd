"""How the pipeline is doing: `c360 status`."""

from __future__ import annotations

import json

import click

from app.cli.common import _json_value, checked_settings


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """Per-source lag, checkpoints, queue depths, records per minute, quarantine; tables whose
    planner statistics are far older than their contents; events out still to deliver."""
    import redis

    from app import db
    from app.ops.service import pipeline_status, queue_depths

    settings = checked_settings(database=True)
    with db.connect() as conn:
        report = pipeline_status(conn, settings)
    try:
        report["queues"] = queue_depths(settings.redis_url)
    except redis.RedisError as error:
        report["queues"] = {"error": f"broker unreachable: {type(error).__name__}"}
    if as_json:
        click.echo(json.dumps(report, indent=2, default=_json_value))
        return
    click.echo(_format_status(report))


def _format_status(report: dict) -> str:
    header = (
        f"{'source':<9} {'lag s':>7} {'rec/min':>8} {'p50 s':>7} {'max s':>7} "
        f"{'processed':>10} {'pending':>8} {'quarant.':>8} {'held':>6}  state"
    )
    lines = [header]
    for name, source in report["sources"].items():
        lines.append(
            f"{name:<9} {_num(source['lag_seconds']):>7} {_num(source['records_per_minute']):>8} "
            f"{_num(source['latency_p50_seconds']):>7} {_num(source['latency_max_seconds']):>7} "
            f"{source['records_processed']:>10} {source['batches_unfinished']:>8} "
            f"{source['quarantined_records']:>8} {source['held_records']:>6}  {source['state']}"
        )
        for stream, error in source["failing_streams"].items():
            lines.append(f"  {name}.{stream} failing: {error}")
        for vocabulary, values in source["unknown_values"].items():
            counted = ", ".join(f"{value!r} x{rows}" for value, rows in sorted(values.items()))
            lines.append(f"  {name} {vocabulary} no rule knows: {counted}")
    lines.append("\ncheckpoints (stream, last read, position)")
    rows = [
        (f"{name}.{checkpoint['stream']}", checkpoint["updated_at"], checkpoint["marker"])
        for name, source in report["sources"].items()
        for checkpoint in source["checkpoints"]
    ]
    width = max((len(label) for label, _, _ in rows), default=0)
    for label, polled, marker in rows:
        lines.append(f"  {label:<{width}}  {polled.isoformat(timespec='seconds')}  {marker}")
    queues = report.get("queues", {})
    lines.append("\nqueues  " + "  ".join(f"{k}={v}" for k, v in queues.items()))
    stale = report.get("stale_statistics", {})
    if stale:
        lines.append(
            "\nplanner statistics far older than the contents (reads may be slow; is beat's"
            " refresh-statistics running?)"
        )
    for table, figures in stale.items():
        analyzed = figures["analyzed_at"]
        lines.append(
            f"  {table}: {figures['rows_now']} rows, {figures['changed_since_analyze']} changed"
            f" since analyzed {analyzed.isoformat(timespec='seconds') if analyzed else 'never'}"
            f" (then {figures['rows_at_analyze']} rows)"
        )
    lines += _format_events(report.get("events"))
    return "\n".join(lines)


def _format_events(events: dict | None) -> list[str]:
    if not events:
        return []
    outbox = events["outbox"]
    lines = [
        f"\nevents out: {outbox['unstamped']} waiting for the relay"
        f" (oldest {_num(outbox['lag_seconds'])} s)"
    ]
    for name, figures in events["destinations"].items():
        parked = "  PARKED" if figures.get("parked") else ""
        lines.append(
            f"  {name}: {figures['undelivered']} undelivered"
            f" (oldest {_num(figures['lag_seconds'])} s), at position {figures['position']}{parked}"
        )
    return lines


def _num(value: float | int | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if isinstance(value, float) else str(value)
