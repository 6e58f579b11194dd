"""Where a machine's CPU went during a phase of a benchmark: CPU-seconds per group of processes
(the API, the worker, PostgreSQL, the load generator, ...), the rest of the machine, and the
time the hypervisor took (steal), which a shared virtual machine loses to its neighbours.

    with CpuShare({"api": api_pid, "worker": worker_pid}, by_name={"postgres": "postgres"}) as cpu:
        ...  # the phase
    cpu.report  # {"api": 8.6, ..., "load generator": 2.5, "rest": 0.8, "busy": 18.4, ...}

A group is a process and its descendants, or every process with a given name. The load
generator is this process's own children that ran and ended in the phase (hey, wrk).
"""

from __future__ import annotations

import resource
import threading
from typing import Any

import psutil

SAMPLE_SECONDS = 0.5


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _named(name: str) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] == name]


def _cpu(process: psutil.Process) -> float | None:
    try:
        times = process.cpu_times()
    except psutil.Error:  # ended meanwhile
        return None
    return times.user + times.system


def _ended_children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuShare:
    """Each group's processes are sampled every SAMPLE_SECONDS through the phase: a process
    that ends in it (a PostgreSQL backend whose connection closed, a recycled worker) keeps
    the CPU it was last seen with, and one that starts in it counts from nothing. Summing a
    group's processes at the two ends alone would count an ended one's whole life against it
    (a negative share)."""

    def __init__(self, trees: dict[str, int], by_name: dict[str, str] | None = None) -> None:
        self.trees = trees
        self.by_name = by_name or {}
        self.report: dict[str, Any] = {}
        self._stop = threading.Event()

    def _groups(self) -> dict[str, list[psutil.Process]]:
        return {
            **{group: _tree(pid) for group, pid in self.trees.items()},
            **{group: _named(name) for group, name in self.by_name.items()},
        }

    def _sample(self) -> None:
        for group, processes in self._groups().items():
            for process in processes:
                seconds = _cpu(process)
                if seconds is not None:
                    self.first[group].setdefault(process.pid, 0.0)
                    self.last[group][process.pid] = seconds

    def _sampling(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self._sample()

    def _machine(self) -> dict[str, float]:
        machine = psutil.cpu_times()
        return {
            "load generator": _ended_children_cpu(),
            "busy": machine.user + machine.nice + machine.system + machine.irq + machine.softirq,
            "steal": getattr(machine, "steal", 0.0),
            "idle": machine.idle + getattr(machine, "iowait", 0.0),
        }

    def __enter__(self) -> CpuShare:
        groups = [*self.trees, *self.by_name]
        self.first: dict[str, dict[int, float]] = {group: {} for group in groups}
        self.last: dict[str, dict[int, float]] = {group: {} for group in groups}
        for group, processes in self._groups().items():
            for process in processes:
                seconds = _cpu(process)
                if seconds is not None:
                    self.first[group][process.pid] = self.last[group][process.pid] = seconds
        self.before = self._machine()
        self._sampler = threading.Thread(target=self._sampling, daemon=True)
        self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sampler.join()
        self._sample()
        after = self._machine()
        spent = {group: after[group] - self.before[group] for group in after}
        for group, first in self.first.items():
            spent[group] = sum(self.last[group][pid] - start for pid, start in first.items())
        groups = [*self.trees, *self.by_name, "load generator"]
        spent["rest"] = spent["busy"] - sum(spent[group] for group in groups)
        self.report = {group: round(seconds, 1) for group, seconds in spent.items()}
