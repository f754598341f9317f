"""Time each thread ran, and spent ready to run but waiting for a CPU, sampled each second.

Linux counts both per thread (``/proc/<pid>/task/<tid>/schedstat``: time on a CPU, then
run-queue wait, in nanoseconds). A process that stalls because others hold its CPU shows
that wait; one that stalls on a lock, a disk or the network does not. The kernel books a
wait when it ends (the thread gets a CPU), so a second's figure can hold a longer wait
that ended in it; time on a CPU accrues as it runs. The sampler reads the counters of a
few processes' threads in a background thread of the bench (a few dozen small files a
second) and keeps each second's figures by thread group, so a slow alert can be set
against what its processes waited for a CPU meanwhile, and what ran.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from monitor.bench.alert_watch import AlertTiming
from monitor.bench.cpu_time import thread_group

#: A second in which a thread group waited at least this long counts as a stalled one.
STALL_WAIT_S = 0.1
PROC_STAT = Path("/proc/stat")


class Window(NamedTuple):
    """One sampling interval (``time.monotonic()`` bounds), each group's run-queue wait
    booked in it and its time on a CPU."""

    start: float
    end: float
    waited_s: dict[str, float]
    ran_s: dict[str, float]
    stolen_s: float = 0.0  # CPU time the hypervisor took from this machine, all CPUs


class Counters(NamedTuple):
    """One thread's group and its cumulative seconds on a CPU and waiting for one."""

    group: str
    ran_s: float
    waited_s: float


def stolen_s(stat: Path = PROC_STAT) -> float:
    """CPU seconds so far that the hypervisor ran something else while this (virtual)
    machine's CPUs had work (``steal`` in ``/proc/stat``); 0 where not reported."""
    try:
        fields = stat.read_text().split("\n", 1)[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def process_name(pid: int) -> str:
    """``pid``'s name (``comm``), or for a Python process started as ``python -m pkg.mod``
    the module's last part (``api_server``, ``ship_child``), so that two Python processes
    of one server read apart."""
    name = Path(f"/proc/{pid}/comm").read_text().strip()
    if not name.startswith("python"):
        return name
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return name
    for flag, module in itertools.pairwise(args):
        if flag == b"-m" and module:
            return module.decode(errors="replace").rsplit(".", 1)[-1]
    return name


def run_waits(label: str, pid: int) -> dict[int, Counters]:
    """By thread id of ``pid``: its group (:func:`monitor.bench.cpu_time.thread_group` of
    :func:`process_name`, prefixed by ``label``) and its counters so far; empty where the
    process has gone or the kernel keeps no schedstat."""
    out: dict[int, Counters] = {}
    try:
        name = process_name(pid)
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            comm = (task / "comm").read_text().strip()
            ran, waited = (int(v) / 1e9 for v in (task / "schedstat").read_text().split()[:2])
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        tid = int(task.name)
        out[tid] = Counters(f"{label}:{thread_group(name, pid, tid, comm)}", ran, waited)
    return out


class RunWaitSampler:
    """Samples labelled processes' threads (time on a CPU, run-queue wait) and the host's
    steal time every ``interval_s`` while in a ``with`` block; :attr:`windows` holds each
    interval's figures by thread group."""

    def __init__(self, processes: Mapping[str, Iterable[int]], interval_s: float = 1.0) -> None:
        self._pids = [(label, pid) for label, pids in processes.items() for pid in pids]
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="run-wait", daemon=True)
        self.windows: list[Window] = []

    def _read(self) -> dict[int, Counters]:
        out: dict[int, Counters] = {}
        for label, pid in self._pids:
            out.update(run_waits(label, pid))
        return out

    def _run(self) -> None:
        last, last_at, last_stolen = self._read(), time.monotonic(), stolen_s()
        seen = set(last)
        while not self._stop.wait(self._interval_s):
            now, now_at, now_stolen = self._read(), time.monotonic(), stolen_s()
            waited: dict[str, float] = {}
            ran: dict[str, float] = {}
            for tid, counters in now.items():
                if tid in last:  # a thread's growth since the last read
                    before = last[tid]
                elif tid not in seen:  # a thread started since: all of it
                    before = Counters(counters.group, 0.0, 0.0)
                else:  # a read missed it last time: what it did since is unknown
                    continue
                for into, delta in (
                    (waited, counters.waited_s - before.waited_s),
                    (ran, counters.ran_s - before.ran_s),
                ):
                    if delta > 0:
                        into[counters.group] = into.get(counters.group, 0.0) + delta
            seen.update(now)
            stolen = max(0.0, now_stolen - last_stolen)
            self.windows.append(Window(last_at, now_at, waited, ran, stolen))
            last, last_at, last_stolen = now, now_at, now_stolen

    def __enter__(self) -> RunWaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def during(self, start: float, end: float, label: str, ran: bool = False) -> float:
        """Seconds ``label``'s threads waited for a CPU (``ran``: ran on one) in the
        windows that overlap ``start``..``end`` (whole windows: one-second resolution)."""
        return sum(
            value
            for window in self.windows
            if window.end > start and window.start < end
            for key, value in (window.ran_s if ran else window.waited_s).items()
            if key.startswith(f"{label}:")
        )

    def busiest(self, start: float, end: float, top: int = 5) -> dict[str, float]:
        """The ``top`` thread groups by seconds on a CPU in the windows that overlap
        ``start``..``end``; ``window_s``, how long those windows lasted together, and
        ``stolen_s``, the CPU time the hypervisor took in them."""
        ran: dict[str, float] = {}
        span = stolen = 0.0
        for window in self.windows:
            if window.end > start and window.start < end:
                span += window.end - window.start
                stolen += window.stolen_s
                for key, value in window.ran_s.items():
                    ran[key] = ran.get(key, 0.0) + value
        ranked = sorted(ran.items(), key=lambda kv: kv[1], reverse=True)[:top]
        return {
            "window_s": round(span, 3),
            "stolen_s": round(stolen, 3),
            **{k: round(v, 3) for k, v in ranked},
        }

    def stolen_share(self) -> float | None:
        """CPU time the hypervisor took over the sampled time (summed over CPUs)."""
        if not self.windows:
            return None
        span = self.windows[-1].end - self.windows[0].start
        return round(sum(window.stolen_s for window in self.windows) / span, 4)

    def summary(self) -> dict[str, dict[str, Any]]:
        """By thread group: its time on a CPU and its wait for one as shares of the sampled
        time (summed over the group's threads, so either can pass 1), its worst second of
        waiting, and how many seconds it waited at least ``STALL_WAIT_S``."""
        if not self.windows:
            return {}
        span = self.windows[-1].end - self.windows[0].start
        groups = sorted({key for w in self.windows for key in (*w.waited_s, *w.ran_s)})
        out: dict[str, dict[str, Any]] = {}
        for group in groups:
            waits = [window.waited_s.get(group, 0.0) for window in self.windows]
            ran = sum(window.ran_s.get(group, 0.0) for window in self.windows)
            out[group] = {
                "cpu_share": round(ran / span, 4),
                "waited_share": round(sum(waits) / span, 4),
                "worst_window_ms": round(max(waits) * 1e3, 1),
                "windows_over_100ms": sum(w >= STALL_WAIT_S for w in waits),
            }
        return out


def slow_alert_waits(
    alerts: Sequence[AlertTiming], sampler: RunWaitSampler, labels: Iterable[str], limit: int = 8
) -> dict[str, Any]:
    """The ``limit`` slowest alerts, each with what every label's threads waited for a CPU
    and ran on one in the seconds its latency spanned; beside them the medians of those
    over all alerts (what an ordinary alert's seconds look like)."""
    labels = list(labels)

    def figures(alert: AlertTiming, ran: bool) -> dict[str, float]:
        return {
            label: round(sampler.during(alert.token_at, alert.received_at, label, ran) * 1e3, 1)
            for label in labels
        }

    def medians(ran: bool) -> dict[str, float | None]:
        every = [figures(alert, ran) for alert in alerts]
        return {
            label: float(np.median([f[label] for f in every])) if every else None
            for label in labels
        }

    slowest = sorted(alerts, key=lambda alert: alert.total_ms, reverse=True)[:limit]
    return {
        "median_alert_waited_ms": medians(ran=False),
        "median_alert_ran_ms": medians(ran=True),
        "slowest": [
            {
                "total_ms": round(alert.total_ms, 1),
                "after_firing_ms": round(alert.after_firing_ms, 1),
                "waited_ms": figures(alert, ran=False),
                "ran_ms": figures(alert, ran=True),
                "busiest_s": sampler.busiest(alert.token_at, alert.received_at),
            }
            for alert in slowest
        ],
    }
