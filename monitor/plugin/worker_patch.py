"""Put a :class:`~monitor.plugin.worker.WorkerMonitor` on vLLM's worker class.

The class patch gives each worker instance its monitor once the model loads (or, for a
vLLM the plugin does not support, only a monitor that reports capture down), wraps the
instance's ``execute_model`` with the monitor's step path, and keeps the monitor on the
instance under ``MONITOR_ATTR``. Apart from :mod:`monitor.plugin.worker` (the monitor's
state and step path) so that what gets installed into vLLM reads in one place; vLLM
itself is patched only through :mod:`monitor.plugin.vllm_compat`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from monitor.plugin import vllm_compat
from monitor.plugin.settings import PluginSettings
from monitor.plugin.vllm_compat import (
    PatchableWorkerLike,
    SchedulerOutputLike,
    StepFn,
    WorkerLike,
)
from monitor.plugin.worker import WorkerMonitor

log = logging.getLogger("vllm.llm_monitor")

#: The attribute of a worker instance that holds its monitor.
MONITOR_ATTR = "_llm_monitor"


def wrap_step(monitor: WorkerMonitor, worker: WorkerLike, execute_model: StepFn) -> StepFn:
    """Wrap the worker's bound ``execute_model`` with capture before and after."""

    def execute_model_monitored(
        scheduler_output: SchedulerOutputLike, *args: Any, **kwargs: Any
    ) -> Any:
        start = time.perf_counter_ns()
        try:
            n = monitor.before_step(scheduler_output)
        except Exception:
            n = 0
            monitor.step_error(0)
        model_start = time.perf_counter_ns()
        output = execute_model(scheduler_output, *args, **kwargs)
        model_end = time.perf_counter_ns()
        if n:
            try:
                monitor.after_step(worker, scheduler_output, n)
            except Exception:
                monitor.step_error(n)
        end = time.perf_counter_ns()
        monitor.timing.add(end - start - (model_end - model_start), end - start)
        return output

    return execute_model_monitored


def patch_worker_class(worker_cls: type, settings: PluginSettings) -> None:
    """Patch a vLLM worker class so each instance gets a monitor once its model loads.

    The monitor installs its hooks, wraps the instance's step and runs its self-test
    after the warm-up pass. Safe to call repeatedly.
    """

    def attach_monitor(worker: PatchableWorkerLike) -> None:
        try:
            monitor = WorkerMonitor(settings)
            monitor.attach(worker)
            setattr(worker, MONITOR_ATTR, monitor)
            vllm_compat.wrap_execute_model(worker, lambda step: wrap_step(monitor, worker, step))
            vllm_compat.after_warm_up(worker, lambda: monitor.self_test(worker))
        except Exception:
            log.exception("llm-monitor: could not attach to the worker; serving unmonitored")

    vllm_compat.on_model_loaded(worker_cls, attach_monitor)


def report_capture_down(worker_cls: type, settings: PluginSettings, reason: str) -> None:
    """Patch a vLLM worker class only to tell the sidecar that capture is down.

    For a vLLM the plugin does not support: no hooks, no wrapped step, no self-test;
    each worker's monitor connects once its model loads and reports ``reason``.
    """

    def report(worker: PatchableWorkerLike) -> None:
        try:
            monitor = WorkerMonitor(settings)
            setattr(worker, MONITOR_ATTR, monitor)
            monitor.report_down(worker, reason)
        except Exception:
            log.debug("llm-monitor: could not report capture down", exc_info=True)

    vllm_compat.on_model_loaded(worker_cls, report)


def monitors_of(workers: Mapping[str, Any]) -> dict[str, WorkerMonitor]:
    """The monitors attached to some workers (for tests and diagnostics)."""
    return {k: getattr(w, MONITOR_ATTR) for k, w in workers.items() if hasattr(w, MONITOR_ATTR)}
