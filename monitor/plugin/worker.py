"""Attach capture to a vLLM worker: install hooks at load, label and ship every step.

Everything here is fail-open: an error in the monitor is logged (rate-limited),
counted, and the step's rows are dropped; the worker's own result is always returned
untouched and its exceptions propagate unchanged. vLLM's objects are read and patched
only through :mod:`monitor.plugin.vllm_compat`.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Mapping
from typing import Any

import numpy as np

from monitor import __version__
from monitor.logutil import RateLimitedLog
from monitor.plugin import vllm_compat
from monitor.plugin.batch import CapturedBatch
from monitor.plugin.capture import UNWRITTEN, LayerCapture
from monitor.plugin.labels import LabelMismatch, label_rows
from monitor.plugin.ring import (
    REASON_CAPTURE_MISSED,
    REASON_LABEL_MISMATCH,
    REASON_PLUGIN_ERROR,
    DropCounters,
    RingBuffer,
)
from monitor.plugin.settings import PluginSettings
from monitor.plugin.shipper import ChannelTls, Shipper
from monitor.plugin.vllm_compat import (
    PatchableWorkerLike,
    SchedulerOutputLike,
    StepFn,
    WorkerLike,
)
from monitor.v1 import ingest_pb2

log = logging.getLogger("vllm.llm_monitor")

REASON_PREFIX_CACHE = "prefix_cache"
#: Prompts of started requests kept while no batch can be queued (oldest dropped first).
MAX_PENDING_STARTED = 1024
#: The attribute of a worker instance that holds its monitor.
MONITOR_ATTR = "_llm_monitor"


class WorkerMonitor:
    """Per-worker capture state: hooks, ring buffer, shipper, counters."""

    def __init__(self, settings: PluginSettings) -> None:
        self.settings = settings
        self.drops = DropCounters()
        self.ring: RingBuffer[CapturedBatch] = RingBuffer(settings.buffer_batches, self.drops)
        self.capture: LayerCapture | None = None
        self.capture_ok = False
        self.capture_error = ""
        self.model_name = settings.model_name or "unknown"
        self.layers: list[int] = list(settings.layers or [])
        self.producer_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.row_offset = 0
        self.steps = 0
        self._pending_finished: list[str] = []
        self._pending_started: list[tuple[str, list[int]]] = []
        self._logs: dict[str, RateLimitedLog] = {}
        self.shipper: Shipper | None = None

    # -- start-up ---------------------------------------------------------------------

    def hello(self) -> ingest_pb2.Hello:
        """The first message of every ingest stream."""
        return ingest_pb2.Hello(
            producer_id=self.producer_id,
            model_name=self.model_name,
            layers=self.layers,
            capture_ok=self.capture_ok,
            capture_error=self.capture_error,
            plugin_version=__version__,
        )

    def attach(self, worker: WorkerLike) -> None:
        """Install the hooks on the freshly loaded model (before any compilation)."""
        try:
            vllm_config = worker.vllm_config
            if self.settings.model_name is None:
                self.model_name = vllm_compat.served_model_name(vllm_config)
            if not self.layers:
                self.layers = [vllm_compat.middle_layer(vllm_config)]
            shape = vllm_compat.sink_shape(worker)
            self.capture = LayerCapture(
                vllm_compat.loaded_model(worker),
                self.layers,
                max_rows=shape.max_rows,
                d_model=shape.d_model,
                dtype=shape.dtype,
                device=shape.device,
            )
            self.capture.install()
            self.capture.arm_all()
            self._separate_compile_cache(worker)
            log.info(
                "llm-monitor: capture hooks installed on layer(s) %s of %s",
                self.layers,
                self.model_name,
            )
        except Exception as exc:
            self.capture = None
            self.capture_error = f"capture could not be installed: {exc!r}"
            log.exception("llm-monitor: %s; vLLM keeps serving unmonitored", self.capture_error)
            self._start_shipper()  # to report the failure; otherwise after the self-test

    def report_down(self, worker: WorkerLike, reason: str) -> None:
        """Install nothing and tell the sidecar capture is down, with ``reason``.

        The first Hello carries ``capture_ok=false`` for the model's layers, so the
        sidecar's ``llm_monitor_capture_up`` reads 0 with the reason in its log.
        """
        self.capture = None
        self.capture_ok = False
        self.capture_error = reason
        try:
            if self.settings.model_name is None:
                self.model_name = vllm_compat.served_model_name(worker.vllm_config)
            if not self.layers:
                self.layers = [vllm_compat.middle_layer(worker.vllm_config)]
        except Exception:
            log.debug("llm-monitor: model name or layers unreadable", exc_info=True)
        self._start_shipper()

    def self_test(self, worker: WorkerLike) -> None:
        """Prove the capture fires through the compiled model; log the verdict.

        The shipper starts afterwards, so the sidecar's first Hello carries the verdict.
        """
        if self.capture is None:
            return
        try:
            rows = self.capture.rows_written()
            if rows == 0:
                self.capture.arm_all()
                vllm_compat.dummy_run(worker, 16)
                rows = self.capture.rows_written()
            if rows > 0:
                self.capture_ok = True
                self.capture_error = ""
                log.info(
                    "llm-monitor: capture self-test passed: layer(s) %s fired through the "
                    "model as served (%d rows in the warm-up pass)",
                    self.layers,
                    rows,
                )
            else:
                self.capture_error = "capture self-test failed: the hooks never fired"
                log.error("llm-monitor: %s; vLLM keeps serving unmonitored", self.capture_error)
        except Exception as exc:
            self.capture_error = f"capture self-test could not run: {exc!r}"
            log.exception("llm-monitor: %s", self.capture_error)
        finally:
            self.capture.arm_all()
            self._start_shipper()

    def _separate_compile_cache(self, worker: WorkerLike) -> None:
        """Make the compile cache key differ from an unmonitored run's.

        vLLM keys its torch.compile cache on the config, not on hooks; without this a
        graph compiled without the hooks could be loaded from disk (and never capture),
        or a graph with them loaded by an unmonitored server.
        """
        key = {"layers": list(self.layers), "version": __version__}
        if not vllm_compat.separate_compile_cache(worker.vllm_config, key):
            log.warning(
                "llm-monitor: additional_config is not a dict; the compile cache is not separated"
            )

    def _start_shipper(self) -> None:
        if self.shipper is not None:
            return
        settings = self.settings
        self.shipper = Shipper(
            self.ring,
            self.drops,
            self.settings.sidecar_address,
            producer_id=self.producer_id,
            hello=self.hello,
            max_message_bytes=self.settings.max_message_bytes,
            reconnect_initial_s=self.settings.reconnect_initial_s,
            reconnect_max_s=self.settings.reconnect_max_s,
            token=self.settings.ingest_token,
            tls=ChannelTls(settings.tls_ca, settings.tls_cert, settings.tls_key)
            if settings.tls_ca is not None or settings.tls_cert is not None
            else None,
        )
        self.shipper.start()

    # -- every step -------------------------------------------------------------------

    def before_step(self, scheduler_output: SchedulerOutputLike) -> int:
        """Arm the sinks for the step; return its token count (0 = nothing to capture)."""
        n = vllm_compat.scheduled_tokens(scheduler_output)
        if self.capture is None or not self.capture_ok or n == 0:
            if self.capture_ok:
                self._pending_finished.extend(vllm_compat.finished_ids(scheduler_output))
            return 0
        self.capture.arm(n)
        return n

    def after_step(self, worker: WorkerLike, scheduler_output: SchedulerOutputLike, n: int) -> None:
        """Label the captured rows of the step and hand them to the shipper."""
        assert self.capture is not None
        self.steps += 1
        # Finished ids stay pending until a batch carrying them is queued; so do the
        # prompts of started requests (the sidecar needs them to tell the chat's segments
        # apart), within a bound.
        self._pending_finished.extend(vllm_compat.finished_ids(scheduler_output))
        self._pending_started.extend(vllm_compat.prompts_of(scheduler_output))
        del self._pending_started[:-MAX_PENDING_STARTED]
        finished = list(self._pending_finished)
        if n > self.capture.max_rows:
            self._drop(
                REASON_PLUGIN_ERROR,
                n,
                "step has %d tokens, sink holds %d",
                n,
                self.capture.max_rows,
            )
            return
        rows, token_ids = self.capture.collect(n)
        if (rows[0].positions == UNWRITTEN).any():
            self._drop(REASON_CAPTURE_MISSED, n, "capture did not fire for a %d-token step", n)
            return
        num_computed = vllm_compat.computed_before(scheduler_output)
        try:
            labels = label_rows(
                vllm_compat.batch_order(worker.model_runner),
                vllm_compat.tokens_per_request(scheduler_output),
                num_computed,
                rows[0].positions,
            )
        except LabelMismatch as exc:
            self._drop(REASON_LABEL_MISMATCH, n, "rows of a %d-token step dropped: %s", n, exc)
            return
        uncaptured = [
            (req_id, cached, REASON_PREFIX_CACHE)
            for req_id, cached in vllm_compat.prefix_cache_hits(scheduler_output)
        ]
        started = self._pending_started
        token_ids = np.where(token_ids == UNWRITTEN, -1, token_ids).astype(np.int32)
        queued = False
        for i, step_rows in enumerate(rows):
            last = i == len(rows) - 1
            queued |= self.ring.put(
                CapturedBatch(
                    model_name=self.model_name,
                    layer=step_rows.layer,
                    activations=step_rows.activations,
                    row_offset=self.row_offset,
                    request_ids=labels.request_ids,
                    row_request=labels.row_request,
                    positions=labels.positions,
                    token_ids=token_ids,
                    finished_request_ids=finished if last else [],
                    uncaptured=uncaptured if last else [],
                    started=started,  # with every layer: any one that arrives will do
                ),
                rows=n,
            )
            self.row_offset += n
        self._pending_finished = []
        if queued:
            self._pending_started = []

    def _drop(self, reason: str, rows: int, msg: str, *args: object) -> None:
        self.drops.add(reason, rows)
        self.row_offset += rows * len(self.layers)
        limited = self._logs.get(reason)
        if limited is None:
            limited = self._logs[reason] = RateLimitedLog(log, interval_s=30.0)
        limited.warning("llm-monitor: " + msg, *args)

    def step_error(self, n: int) -> None:
        """Count a step lost to an unexpected error in the monitor."""
        self._drop(REASON_PLUGIN_ERROR, n, "monitor error in a %d-token step", n)
        log.debug("llm-monitor: step error", exc_info=True)


def wrap_step(monitor: WorkerMonitor, worker: WorkerLike, execute_model: StepFn) -> StepFn:
    """Wrap the worker's bound ``execute_model`` with capture before and after."""

    def execute_model_monitored(
        scheduler_output: SchedulerOutputLike, *args: Any, **kwargs: Any
    ) -> Any:
        try:
            n = monitor.before_step(scheduler_output)
        except Exception:
            n = 0
            monitor.step_error(0)
        output = execute_model(scheduler_output, *args, **kwargs)
        if n:
            try:
                monitor.after_step(worker, scheduler_output, n)
            except Exception:
                monitor.step_error(n)
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
