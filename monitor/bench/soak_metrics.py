"""/metrics and RSS readings for ``bench soak``: the counters it reports, read until
they stop moving, and the sidecar process's peak resident memory.

Counters are cumulative, so a phase's figures are the difference of two readings
(``delta``). ``accounted`` is every row the sidecar has answered for: scored plus
dropped, any reason (rows of rejected messages are counted as dropped too, reason
``sidecar_rejected``). Metrics another version of the sidecar lacks read as 0.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

import psutil

QUEUE_DEPTH = ("llm_monitor_ingest_queue_depth", "llm_monitor_queue_depth")

Samples = list[tuple[str, dict[str, str], float]]


def samples(port: int) -> Samples:
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return [
        (s.name, dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def _total(samples: Samples, *names: str) -> int:
    return int(sum(value for name, _, value in samples if name in names))


def _by_reason(samples: Samples, name: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for sample_name, labels, value in samples:
        if sample_name == name and value:
            reason = labels.get("reason", "")
            out[reason] = out.get(reason, 0) + int(value)
    return out


def counters(samples: Samples) -> dict[str, Any]:
    """The cumulative figures the soak reports, from one /metrics read."""
    dropped = _by_reason(samples, "llm_monitor_activations_dropped_total")
    scored = _total(samples, "llm_monitor_tokens_scored_total")
    return {
        "scored": scored,
        "dropped": dropped,
        "rejected": _by_reason(samples, "llm_monitor_ingest_rejected_total"),
        "accounted": scored + sum(dropped.values()),
        "evictions": _total(samples, "llm_monitor_trace_buffer_evictions_total"),
        "alerts": _total(samples, "llm_monitor_alerts_total"),
        "pipeline_errors": _total(samples, "llm_monitor_pipeline_errors_total"),
        "trace_writes_dropped": _total(samples, "llm_monitor_trace_writes_dropped_total"),
        "trace_errors": _total(samples, "llm_monitor_trace_errors_total"),
        "queue_depth": _total(samples, *QUEUE_DEPTH),
    }


def delta(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in after.items():
        if isinstance(value, dict):
            old = before.get(key, {})
            diff = {k: v - old.get(k, 0) for k, v in value.items()}
            out[key] = {k: v for k, v in diff.items() if v}
        elif key != "queue_depth":
            out[key] = value - before.get(key, 0)
    return out


class RssSampler:
    """Samples a process's RSS every ``interval_s`` on a thread; ``take_peak`` returns the
    highest sample since the previous call."""

    def __init__(self, pid: int, interval_s: float) -> None:
        self._process = psutil.Process(pid)
        self._interval = interval_s
        self._peak = self._overall = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-rss", daemon=True)

    def rss(self) -> int:
        return int(self._process.memory_info().rss)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                value = self.rss()
            except psutil.Error:
                return
            with self._lock:
                self._peak, self._overall = max(self._peak, value), max(self._overall, value)

    def take_peak(self) -> int:
        with self._lock:
            peak, self._peak = self._peak, 0
        return peak

    @property
    def overall_peak(self) -> int:
        with self._lock:
            return self._overall

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass(frozen=True)
class Drained:
    """The last reading after a phase, and how it ended."""

    figures: dict[str, Any]
    settled: bool
    """True: the queue was empty and every sent row accounted for, and nothing moved for
    0.5 s. False: the counters stopped short of the rows sent, or time ran out."""
    accounted_at: float | None
    """``time.monotonic()`` of the first reading that accounted for every row."""


def drain(metrics_port: int, sent: int, timeout_s: float) -> Drained:
    """Read /metrics until the queue is empty, ``accounted`` has reached ``sent`` (the
    cumulative figure) and the counters have not moved for 0.5 s; or until they have not
    moved for 3 s with rows missing, or ``timeout_s`` has passed."""
    deadline = time.monotonic() + timeout_s
    last: dict[str, Any] | None = None
    still_since = time.monotonic()
    accounted_at: float | None = None
    while True:
        now = counters(samples(metrics_port))
        moment = time.monotonic()
        if now != last:
            last, still_since = now, moment
        if accounted_at is None and now["accounted"] >= sent:
            accounted_at = moment
        idle = now["queue_depth"] == 0
        if idle and accounted_at is not None and moment - still_since >= 0.5:
            return Drained(now, True, accounted_at)
        if (idle and moment - still_since >= 3.0) or moment > deadline:
            return Drained(now, False, accounted_at)
        time.sleep(0.1)
