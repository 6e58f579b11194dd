"""Progress of work the CLI waits for (`backfill --wait`, `replay --wait`, `quarantine replay
--wait`): on a terminal a live display (rich) with rate and ETA per source; piped or logged,
plain lines as things move; always a summary line, and whether everything succeeded."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

LINE_EVERY_S = 5.0  # piped: a line at least this often, and whenever something moved
POLL_S = 0.5


@dataclass(frozen=True)
class Tally:
    """Where one part of the work stands (a source's backfill, a set of batches)."""

    label: str
    done: int  # finished so far (records or batches)
    total: int  # known so far: a backfill still extracting knows more later
    finished: bool  # nothing more will come
    failed: int = 0
    quarantined: int = 0

    def line(self, unit: str) -> str:
        state = "done" if self.finished else "running"
        return (
            f"{self.label}: {self.done:,}/{self.total:,} {unit}, "
            f"{self.quarantined:,} quarantined, {self.failed:,} failed, {state}"
        )


class _Rate(ProgressColumn):
    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} {self.unit}/s" if speed else f"– {self.unit}/s")


def follow(read: Callable[[], list[Tally]], *, what: str, unit: str, timeout: float) -> bool:
    """Show the work's progress until all of it finished or `timeout` seconds passed, then a
    summary line. True when everything finished and nothing failed."""
    started = time.monotonic()
    interactive = sys.stdout.isatty()
    tallies = read()
    if interactive:
        tallies, timed_out = _live(read, tallies, unit, started + timeout)
    else:
        tallies, timed_out = _lines(read, tallies, unit, started + timeout)
    done = sum(t.done for t in tallies)
    total = sum(t.total for t in tallies)
    failed = sum(t.failed for t in tallies)
    quarantined = sum(t.quarantined for t in tallies)
    elapsed = time.monotonic() - started
    if timed_out:
        click.echo(f"{what} TIMED OUT after {timeout:.0f} s: {done:,}/{total:,} {unit} finished")
        return False
    outcome = "FAILED" if failed else "done"
    click.echo(
        f"{what} {outcome}: {done:,} {unit} in {elapsed:.1f} s "
        f"({', '.join(f'{t.label} {t.done:,}' for t in tallies)}), "
        f"{quarantined:,} quarantined, {failed:,} failed"
    )
    return not failed


def _lines(read, tallies: list[Tally], unit: str, deadline: float) -> tuple[list[Tally], bool]:
    shown: list[Tally] | None = None
    last = 0.0
    while True:
        if tallies != shown or time.monotonic() - last >= LINE_EVERY_S:
            for tally in tallies:
                click.echo(tally.line(unit))
            shown, last = tallies, time.monotonic()
        if all(t.finished for t in tallies):
            return tallies, False
        if time.monotonic() > deadline:
            return tallies, True
        time.sleep(POLL_S)
        tallies = read()


def _live(read, tallies: list[Tally], unit: str, deadline: float) -> tuple[list[Tally], bool]:
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        _Rate(unit),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}"),
    )
    with Progress(*columns, console=Console(), transient=False) as progress:
        tasks = {
            t.label: progress.add_task(t.label, total=t.total or None, note="") for t in tallies
        }
        while True:
            for tally in tallies:
                progress.update(
                    tasks[tally.label],
                    completed=tally.done,
                    total=max(tally.total, 1) if tally.finished or tally.total else None,
                    note=f"{tally.quarantined:,} quarantined, {tally.failed:,} failed",
                )
            if all(t.finished for t in tallies):
                return tallies, False
            if time.monotonic() > deadline:
                return tallies, True
            time.sleep(POLL_S)
            tallies = read()
