"""CPU time of process trees, and the plugin's step timing read from a running engine.

Wall-clock throughput on a shared machine moves by several percent between rounds;
CPU seconds a process tree spends per generated token move much less, and the plugin's
own host time is measured inside the step, next to the step's wall time.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psutil

from monitor.plugin.worker_patch import MONITOR_ATTR

#: Set in the benchmark's environment so that ``collective_rpc`` may send a function to
#: the engine's worker (vLLM otherwise refuses to serialize callables).
INSECURE_SERIALIZATION_ENV = "VLLM_ALLOW_INSECURE_SERIALIZATION"


def process_cpu_s(process: psutil.Process) -> float:
    """User + system CPU seconds of one process (its threads included, not its children);
    0 for a process that has gone."""
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


class ProcessTree:
    """A fixed set of processes whose CPU time is read together (e.g. one engine's core and
    worker processes, found as the children that appeared when it started)."""

    def __init__(self, pids: Iterable[int]) -> None:
        self.processes: list[psutil.Process] = []
        for pid in sorted(set(pids)):
            try:
                self.processes.append(psutil.Process(pid))
            except psutil.Error:
                continue

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def cpu_s(self) -> float:
        """Total CPU seconds of the processes so far."""
        return sum(process_cpu_s(p) for p in self.processes)

    def thread_cpu_s(self) -> dict[str, float]:
        """CPU seconds so far by thread, as ``process name/thread group``: ``main`` (the
        process's main thread), ``python`` (its other threads named like it: Python
        threads such as the plugin's shipper), else the thread's own name (gRPC's
        ``grpc_global_tim``, ``event_engine``, ...). Empty where /proc is absent."""
        out: dict[str, float] = {}
        for process in self.processes:
            name = _comm(process.pid)
            for tid, comm, cpu in _threads(process.pid):
                key = thread_group(name, process.pid, tid, comm)
                out[key] = out.get(key, 0.0) + cpu
        return out


def thread_group(name: str, pid: int, tid: int, comm: str) -> str:
    """A thread's group as ``process name/group``: ``main`` for the process's main thread,
    ``python`` for its other threads named like the process, else the thread's own name."""
    group = "main" if tid == pid else "python" if comm == name else comm
    return f"{name}/{group}"


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _threads(pid: int) -> list[tuple[int, str, float]]:
    """(thread id, name, user + system CPU seconds) of each thread of ``pid``."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            comm = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        out.append((int(task.name), comm, (int(fields[11]) + int(fields[12])) / ticks))
    return out


def thread_delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    """CPU seconds by thread group spent between two :meth:`ProcessTree.thread_cpu_s`."""
    return {
        group: round(after[group] - before.get(group, 0.0), 3)
        for group in sorted(after)
        if after[group] - before.get(group, 0.0) > 0
    }


def descendants(process: psutil.Process | None = None) -> set[int]:
    """Pids of every descendant of ``process`` (default: this one)."""
    root = process if process is not None else psutil.Process()
    try:
        return {child.pid for child in root.children(recursive=True)}
    except psutil.Error:
        return set()


def worker_step_timing(worker: Any) -> dict[str, float] | None:
    """Run inside a vLLM worker through ``LLM.collective_rpc``: the plugin's cumulative
    step timing (:class:`monitor.plugin.step_timing.StepTiming`), None without the plugin."""
    monitor = getattr(worker, MONITOR_ATTR, None)
    timing = getattr(monitor, "timing", None)
    return None if timing is None else dict(timing.snapshot())


def plugin_timing(llm: Any) -> dict[str, float] | None:
    """The plugin's step timing summed over the engine's workers; None when no worker has
    the plugin."""
    results = [r for r in llm.collective_rpc(worker_step_timing) if r is not None]
    if not results:
        return None
    return {key: sum(float(r[key]) for r in results) for key in results[0]}


def timing_delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float | None]:
    """A period's steps, monitor and step seconds, and the monitor's share of step time."""
    out: dict[str, float | None] = {key: after[key] - before.get(key, 0.0) for key in after}
    step_s = out.get("step_s") or 0.0
    monitor_s = out.get("monitor_s") or 0.0
    out["monitor_fraction"] = monitor_s / step_s if step_s > 0 else None
    return out
