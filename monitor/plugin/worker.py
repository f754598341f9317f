"""Attach capture to a vLLM worker: install hooks at load, label and ship every step.

Everything here is fail-open: an error in the monitor is logged (rate-limited),
counted, and the step's rows are dropped; the worker's own result is always returned
untouched and its exceptions propagate unchanged.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from monitor import __version__
from monitor.logutil import RateLimitedLog
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
from monitor.v1 import ingest_pb2

log = logging.getLogger("vllm.llm_monitor")

REASON_PREFIX_CACHE = "prefix_cache"
#: Prompts of started requests kept while no batch can be queued (oldest dropped first).
MAX_PENDING_STARTED = 1024


def batch_order(runner: Any) -> list[str]:
    """The request order of the flat token batch of the step that just ran."""
    state = getattr(runner, "execute_model_state", None)
    step_batch = getattr(state, "input_batch", None)
    if step_batch is not None and getattr(step_batch, "req_ids", None) is not None:
        return list(step_batch.req_ids)  # model runner V2: the step's own batch
    return [r for r in runner.input_batch.req_ids if r is not None]  # model runner V1


def computed_before(scheduler_output: Any) -> dict[str, int]:
    """Tokens each scheduled request had computed before this step."""
    computed = {r.req_id: int(r.num_computed_tokens) for r in scheduler_output.scheduled_new_reqs}
    cached = scheduler_output.scheduled_cached_reqs
    for req_id, n in zip(cached.req_ids, cached.num_computed_tokens, strict=False):
        computed[req_id] = int(n)
    return computed


def prompts_of(scheduler_output: Any) -> list[tuple[str, list[int]]]:
    """(request id, prompt token ids) of the requests that start at this step."""
    out = []
    for r in scheduler_output.scheduled_new_reqs:
        ids = getattr(r, "prompt_token_ids", None)
        if ids is not None:
            out.append((r.req_id, ids))
    return out


def served_model_name(vllm_config: Any) -> str:
    """The name vLLM serves the model under."""
    name = vllm_config.model_config.served_model_name
    if isinstance(name, list | tuple):
        name = name[0] if name else None
    return str(name or os.path.basename(str(vllm_config.model_config.model).rstrip("/")))


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

    def attach(self, worker: Any) -> None:
        """Install the hooks on the freshly loaded model (before any compilation)."""
        try:
            vllm_config = worker.vllm_config
            if self.settings.model_name is None:
                self.model_name = served_model_name(vllm_config)
            runner = worker.model_runner
            model = runner.get_model()
            model_config = vllm_config.model_config
            if not self.layers:
                self.layers = [model_config.hf_config.num_hidden_layers // 2]
            self.capture = LayerCapture(
                model,
                self.layers,
                max_rows=int(runner.max_num_tokens),
                d_model=int(model_config.get_hidden_size()),
                dtype=model_config.dtype,
                device=torch.device(runner.device),
            )
            self.capture.install()
            self.capture.arm_all()
            _separate_compile_cache(vllm_config, self.layers)
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

    def self_test(self, worker: Any) -> None:
        """Prove the capture fires through the compiled model; log the verdict.

        The shipper starts afterwards, so the sidecar's first Hello carries the verdict.
        """
        if self.capture is None:
            return
        try:
            rows = self.capture.rows_written()
            if rows == 0:
                self.capture.arm_all()
                runner = worker.model_runner
                with torch.inference_mode():
                    runner._dummy_run(16)
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

    def before_step(self, scheduler_output: Any) -> int:
        """Arm the sinks for the step; return its token count (0 = nothing to capture)."""
        n = int(scheduler_output.total_num_scheduled_tokens)
        if self.capture is None or not self.capture_ok or n == 0:
            if self.capture_ok:
                self._pending_finished.extend(scheduler_output.finished_req_ids or ())
            return 0
        self.capture.arm(n)
        return n

    def after_step(self, worker: Any, scheduler_output: Any, n: int) -> None:
        """Label the captured rows of the step and hand them to the shipper."""
        assert self.capture is not None
        self.steps += 1
        # Finished ids stay pending until a batch carrying them is queued; so do the
        # prompts of started requests (the sidecar needs them to tell the chat's segments
        # apart), within a bound.
        self._pending_finished.extend(scheduler_output.finished_req_ids or ())
        self._pending_started.extend(prompts_of(scheduler_output))
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
        num_computed = computed_before(scheduler_output)
        try:
            labels = label_rows(
                batch_order(worker.model_runner),
                scheduler_output.num_scheduled_tokens,
                num_computed,
                rows[0].positions,
            )
        except LabelMismatch as exc:
            self._drop(REASON_LABEL_MISMATCH, n, "rows of a %d-token step dropped: %s", n, exc)
            return
        uncaptured = [
            (r.req_id, int(r.num_computed_tokens), REASON_PREFIX_CACHE)
            for r in scheduler_output.scheduled_new_reqs
            if int(r.num_computed_tokens) > 0
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


def _separate_compile_cache(vllm_config: Any, layers: list[int]) -> None:
    """Make the compile cache key differ from an unmonitored run's.

    vLLM keys its torch.compile cache on the config, not on hooks; without this a
    graph compiled without the hooks could be loaded from disk (and never capture),
    or a graph with them loaded by an unmonitored server.
    """
    extra = vllm_config.additional_config
    if isinstance(extra, dict):
        extra["llm_monitor"] = {"layers": list(layers), "version": __version__}
    else:
        log.warning(
            "llm-monitor: additional_config is not a dict; the compile cache is not separated"
        )


def wrap_step(
    monitor: WorkerMonitor, worker: Any, execute_model: Callable[..., Any]
) -> Callable[..., Any]:
    """Wrap the worker's bound ``execute_model`` with capture before and after."""

    def execute_model_monitored(scheduler_output: Any, *args: Any, **kwargs: Any) -> Any:
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


def patch_worker_class(worker_cls: Any, settings: PluginSettings) -> None:
    """Patch ``load_model`` of a vLLM worker class so each instance gets a monitor."""
    if getattr(worker_cls, "_llm_monitor_patched", False):
        return
    original_load = worker_cls.load_model

    def load_model(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original_load(self, *args, **kwargs)
        try:
            monitor = WorkerMonitor(settings)
            monitor.attach(self)
            self._llm_monitor = monitor
            self.execute_model = wrap_step(monitor, self, self.execute_model)
            original_warm = self.compile_or_warm_up_model

            def compile_or_warm_up_model(*a: Any, **kw: Any) -> Any:
                out = original_warm(*a, **kw)
                monitor.self_test(self)
                return out

            self.compile_or_warm_up_model = compile_or_warm_up_model
        except Exception:
            log.exception("llm-monitor: could not attach to the worker; serving unmonitored")
        return result

    worker_cls.load_model = load_model
    worker_cls._llm_monitor_patched = True


def monitors_of(workers: Mapping[str, Any]) -> dict[str, WorkerMonitor]:
    """The monitors attached to some workers (for tests and diagnostics)."""
    return {k: w._llm_monitor for k, w in workers.items() if hasattr(w, "_llm_monitor")}
