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
from typing import Any

import psutil


def _tree_cpu(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    return sum(_cpu(process) for process in processes)


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:  # ended meanwhile
        return 0.0
    return times.user + times.system


def _named_cpu(name: str) -> float:
    return sum(_cpu(p) for p in psutil.process_iter(["name"]) if p.info["name"] == name)


def _ended_children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuShare:
    def __init__(self, trees: dict[str, int], by_name: dict[str, str] | None = None) -> None:
        self.trees = trees
        self.by_name = by_name or {}
        self.report: dict[str, Any] = {}

    def _snapshot(self) -> dict[str, float]:
        machine = psutil.cpu_times()
        return {
            **{group: _tree_cpu(pid) for group, pid in self.trees.items()},
            **{group: _named_cpu(name) for group, name in self.by_name.items()},
            "load generator": _ended_children_cpu(),
            "busy": machine.user + machine.nice + machine.system + machine.irq + machine.softirq,
            "steal": getattr(machine, "steal", 0.0),
            "idle": machine.idle + getattr(machine, "iowait", 0.0),
        }

    def __enter__(self) -> CpuShare:
        self.before = self._snapshot()
        return self

    def __exit__(self, *exc: object) -> None:
        after = self._snapshot()
        spent = {group: after[group] - self.before[group] for group in after}
        groups = [*self.trees, *self.by_name, "load generator"]
        spent["rest"] = spent["busy"] - sum(spent[group] for group in groups)
        self.report = {group: round(seconds, 1) for group, seconds in spent.items()}
