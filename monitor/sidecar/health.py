"""The watchdog: decides whether the sidecar is live and ready, from what its parts report.

Checks (each a label of ``llm_monitor_health_check``, 1 = passing):

- ``pipeline``: the scoring worker runs and its loop came round within
  ``max_heartbeat_age_s`` (a wedged or dead worker fails it);
- ``queue_age``: the oldest queued batch has waited at most ``max_queue_age_s``;
- ``trace_writer``: the trace store's writer thread runs (no store: passes);
- ``trace_writes``: trace writes have not been failing for longer than
  ``max_write_failure_s`` (a full disk fails it until space returns);
- ``server``: the gRPC server thread runs.

Liveness (``/healthz``) = the threads run (``pipeline`` thread alive, ``trace_writer``,
``server``): restarting the process would help. Readiness (``/readyz``, gRPC health
``SERVING``) = every check passes. The watchdog thread re-evaluates every
``check_interval_s`` and calls ``on_change(ready)`` when readiness flips.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from monitor.sidecar.service_metrics import HEALTH_CHECKS, ServiceMetrics
from monitor.sidecar.serving_config import HealthConfig

log = logging.getLogger(__name__)


class PipelineHealth(Protocol):
    """What the scoring worker reports."""

    heartbeat: float  # time.monotonic() when its loop last came round

    def alive(self) -> bool: ...

    def oldest_queued_age(self) -> float: ...


class TraceWriterHealth(Protocol):
    """What the trace store reports."""

    def alive(self) -> bool: ...

    def failing_for(self) -> float: ...


class ThreadHealth(Protocol):
    """A component that runs a thread (the gRPC server)."""

    def alive(self) -> bool: ...


@dataclass(frozen=True)
class HealthReport:
    """One evaluation: which checks fail, and the verdicts."""

    failing: tuple[str, ...]
    live: bool

    @property
    def ready(self) -> bool:
        return not self.failing

    def describe(self) -> str:
        return "ok" if self.ready else "failing: " + ", ".join(self.failing)


class Watchdog:
    """Evaluates the checks on demand and on its own thread; thread-safe."""

    def __init__(
        self,
        config: HealthConfig,
        pipeline: PipelineHealth,
        server: ThreadHealth,
        *,
        trace_writer: TraceWriterHealth | None = None,
        metrics: ServiceMetrics | None = None,
        model_name: str = "",
        on_change: Callable[[bool], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._pipeline = pipeline
        self._server = server
        self._writer = trace_writer
        self._on_change = on_change
        self._clock = clock
        self._gauges = (
            {check: metrics.health_check.labels(model_name, check) for check in HEALTH_CHECKS}
            if metrics is not None
            else {}
        )
        self._serving = metrics.serving.labels(model_name) if metrics is not None else None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._last: HealthReport | None = None

    def evaluate(self) -> HealthReport:
        """Run every check now; updates the gauges and, on a flip, calls ``on_change``."""
        config = self._config
        results: dict[str, bool] = {}
        thread_alive = self._pipeline.alive()
        heartbeat_age = self._clock() - self._pipeline.heartbeat
        results["pipeline"] = thread_alive and heartbeat_age <= config.max_heartbeat_age_s
        results["queue_age"] = self._pipeline.oldest_queued_age() <= config.max_queue_age_s
        writer = self._writer
        writer_alive = writer is None or writer.alive()
        results["trace_writer"] = writer_alive
        results["trace_writes"] = writer is None or writer.failing_for() <= (
            config.max_write_failure_s
        )
        server_alive = self._server.alive()
        results["server"] = server_alive
        failing = tuple(check for check in HEALTH_CHECKS if not results[check])
        report = HealthReport(failing, live=thread_alive and writer_alive and server_alive)
        for check, gauge in self._gauges.items():
            gauge.set(1.0 if results[check] else 0.0)
        if self._serving is not None:
            self._serving.set(1.0 if report.ready else 0.0)
        with self._lock:
            previous, self._last = self._last, report
        if previous is None or previous.ready != report.ready:
            if report.ready:
                log.info("health: ready")
            else:
                log.error("health: not ready (%s)", report.describe())
            if self._on_change is not None:
                try:
                    self._on_change(report.ready)
                except Exception as exc:  # the watchdog must keep running
                    log.error("health: could not publish the status: %r", exc)
        return report

    def report(self) -> HealthReport:
        """The latest evaluation (evaluates once if there is none yet)."""
        with self._lock:
            last = self._last
        return last if last is not None else self.evaluate()

    def start(self) -> None:
        """Evaluate every ``check_interval_s`` on a daemon thread."""
        self.evaluate()
        self._thread = threading.Thread(target=self._run, name="llm-monitor-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._config.check_interval_s):
            try:
                self.evaluate()
            except Exception as exc:  # never die: a failing check is a result, not a crash
                log.error("health: watchdog check failed: %r", exc)
