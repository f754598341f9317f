"""Attach capture to a vLLM worker: install hooks at load, label and ship every step.

Everything here is fail-open: an error in the monitor is logged (rate-limited),
counted, and the step's rows are dropped; the worker's own result is always returned
untouched and its exceptions propagate unchanged. vLLM's objects are read and patched
only through :mod:`monitor.plugin.vllm_compat`; the class patch that gives each worker its
monitor and wraps its step is :mod:`monitor.plugin.worker_patch`.

The step path never makes the host wait for the device and never holds device memory:
each step's rows are copied asynchronously into a preallocated host pool and the
checks that need their values run in the shipper (:mod:`monitor.plugin.staged`): a
thread of the worker, or on the CPU backend a child process that maps the pool
(:mod:`monitor.plugin.ship_process`), so the worker keeps no thread beside the model.
When the ring or the pool is full the step's rows are dropped and counted
(``ring_buffer_full``, ``host_pool_full``); the ids of requests that finished stay
pending until a step carrying them is queued. Requests that opted out of capture
(:mod:`monitor.plugin.request_control`) are left out of what is shipped: their starts and
finishes here, their rows by the shipper thread (``opted_out``).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid

from monitor import __version__, placement
from monitor.logutil import RateLimitedLog
from monitor.plugin import vllm_compat
from monitor.plugin.batch import FINISHED_PER_BATCH, Outgoing
from monitor.plugin.capture import LayerCapture
from monitor.plugin.host_pool import HostBufferPool
from monitor.plugin.request_control import RequestControls, StartedRequest
from monitor.plugin.ring import (
    REASON_HOST_POOL_FULL,
    REASON_PLUGIN_ERROR,
    REASON_RING_FULL,
    DropCounters,
    RingBuffer,
)
from monitor.plugin.settings import PluginSettings
from monitor.plugin.ship_process import ChildConfig, ProcessShipper
from monitor.plugin.shipper import Shipper, shipper_from_settings
from monitor.plugin.staged import StagedStep
from monitor.plugin.step_timing import StepTiming
from monitor.plugin.vllm_compat import SchedulerOutputLike, WorkerLike
from monitor.v1 import ingest_pb2

log = logging.getLogger("vllm.llm_monitor")

REASON_PREFIX_CACHE = "prefix_cache"
#: Prompts of started requests kept while no batch can be queued (oldest dropped first).
MAX_PENDING_STARTED = 1024
#: Finished request ids kept while no batch can be queued (oldest dropped first).
MAX_PENDING_FINISHED = 65536
#: Default host pool: this many full steps, at least ``MIN_POOL_BYTES``.
POOL_STEPS = 4
MIN_POOL_BYTES = 64 << 20
#: Ring byte bound beyond the pool, for labels and prompts of the queued steps.
RING_LABEL_BYTES = 64 << 20


def default_pool_bytes(full_step: int) -> int:
    """Room for ``POOL_STEPS`` steps of ``full_step`` bytes, at least ``MIN_POOL_BYTES``,
    rounded up to a power of two (what CUDA's pinned allocator reserves anyway)."""
    return 1 << (max(MIN_POOL_BYTES, POOL_STEPS * full_step) - 1).bit_length()


class WorkerMonitor:
    """Per-worker capture state: hooks, ring buffer, shipper, counters."""

    def __init__(self, settings: PluginSettings) -> None:
        self.settings = settings
        self.drops = DropCounters()
        self.ring: RingBuffer[Outgoing] = RingBuffer(settings.buffer_batches, self.drops)
        self.capture: LayerCapture | None = None
        self.pool: HostBufferPool | None = None
        self.capture_ok = False
        self.capture_error = ""
        self.model_name = settings.model_name or "unknown"
        self.layers: list[int] = list(settings.layers or [])
        self.producer_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.row_offset = 0
        self.steps = 0
        self.timing = StepTiming()
        self._step_start_ns = 0  # wall clock at the current step's start
        self._pending_finished: list[str] = []
        self._pending_started: list[StartedRequest] = []
        self._logs: dict[str, RateLimitedLog] = {}
        self.controls = RequestControls(settings.allow_opt_out)
        self.shipper: Shipper | ProcessShipper | None = None
        # where the step thread queues steps: the ring (shipper thread) or the process
        self.sink: RingBuffer[Outgoing] | ProcessShipper = self.ring

    # -- start-up ---------------------------------------------------------------------

    def hello_fields(self) -> dict[str, object]:
        """The fields of the first message of every ingest stream."""
        return {
            "producer_id": self.producer_id,
            "model_name": self.model_name,
            "layers": list(self.layers),
            "capture_ok": self.capture_ok,
            "capture_error": self.capture_error,
            "plugin_version": __version__,
        }

    def hello(self) -> ingest_pb2.Hello:
        """The first message of every ingest stream."""
        return ingest_pb2.Hello(**self.hello_fields())  # type: ignore[arg-type]

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
            self.pool = self._make_pool(
                self.capture,
                pin=shape.device.type == "cuda",
                shared=self._ships_from_process(shape.device.type),
            )
            self.ring.set_max_bytes(self.pool.capacity + RING_LABEL_BYTES)
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

    def _ships_from_process(self, device_type: str) -> bool:
        """Whether the shipper runs in a child process (``shipper_mode``)."""
        mode = self.settings.shipper_mode
        return mode == "process" or (mode == "auto" and device_type == "cpu")

    def _make_pool(self, capture: LayerCapture, pin: bool, shared: bool) -> HostBufferPool:
        """The host pool: the configured size, or room for a few full steps."""
        full_step = capture.staged_bytes(capture.max_rows)
        size = self.settings.host_pool_bytes
        capacity = default_pool_bytes(full_step) if size is None else size
        pool = HostBufferPool(capacity, pin=pin, shared=shared)
        if pool.capacity < full_step:
            log.warning(
                "llm-monitor: the host pool (%d bytes) is smaller than a full step (%d "
                "bytes); the largest steps will always be dropped as host_pool_full",
                pool.capacity,
                full_step,
            )
        log.info(
            "llm-monitor: host pool of %d bytes (%s), %d full steps",
            pool.capacity,
            "pinned" if pool.pinned else "shared" if shared else "pageable",
            pool.capacity // max(full_step, 1),
        )
        return pool

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
        cpus = placement.helper_cpus(settings.shipper_cpus)
        if cpus is not None:
            log.info(
                "llm-monitor: shipper and gRPC threads on CPU(s) %s (the worker's compute "
                "threads are on %s)%s",
                placement.format_cpu_list(cpus),
                placement.format_cpu_list(placement.affinity()),
                ", in a process of their own"
                if self.pool is not None and self.pool.fd is not None
                else "",
            )
        if self.capture is not None and self.pool is not None and self.pool.fd is not None:
            self.shipper = ProcessShipper(
                self.pool,
                self.drops,
                ChildConfig(
                    settings=settings,
                    producer_id=self.producer_id,
                    hello=self.hello_fields(),
                    layers=list(self.capture.layers),
                    d_model=self.capture.act_sinks[self.capture.layers[0]].shape[1],
                    dtype=str(self.capture.dtype).removeprefix("torch."),
                    pool_bytes=self.pool.capacity,
                    cpus=cpus,
                ),
                capacity=settings.buffer_batches,
                respawn_initial_s=settings.reconnect_initial_s,
                respawn_max_s=settings.reconnect_max_s,
            )
            self.sink = self.shipper
        else:
            self.shipper = shipper_from_settings(
                settings,
                self.ring,
                self.drops,
                self.producer_id,
                self.hello,
                cpus,
                Shipper,
                layers=max(1, len(self.layers)),
            )
        self.shipper.start()

    # -- every step -------------------------------------------------------------------

    def before_step(self, scheduler_output: SchedulerOutputLike) -> int:
        """Arm the sinks for the step; return its token count (0 = nothing to capture)."""
        self._step_start_ns = time.time_ns()
        n = vllm_compat.scheduled_tokens(scheduler_output)
        if self.capture is None or not self.capture_ok or n == 0:
            if self.capture_ok:
                finished = self.controls.finish(vllm_compat.finished_ids(scheduler_output))
                self._pending_finished.extend(finished)
                del self._pending_finished[:-MAX_PENDING_FINISHED]
            return 0
        self.capture.arm(n)
        return n

    def after_step(self, worker: WorkerLike, scheduler_output: SchedulerOutputLike, n: int) -> None:
        """Queue the step's rows for copying to host memory and hand them to the shipper.

        Reads no captured value (so the host never waits for the device here); the
        shipper checks and labels the rows once their copy has landed.
        """
        assert self.capture is not None and self.pool is not None
        step_end_ns = time.time_ns()
        self.steps += 1
        # Finished ids stay pending until a step carrying them is queued; so do the
        # prompts of started requests (the sidecar needs them to tell the chat's segments
        # apart), within a bound.
        self._pending_finished.extend(
            self.controls.finish(vllm_compat.finished_ids(scheduler_output))
        )
        del self._pending_finished[:-MAX_PENDING_FINISHED]
        self._pending_started.extend(self.controls.starts(scheduler_output))
        del self._pending_started[:-MAX_PENDING_STARTED]
        if n > self.capture.max_rows:
            self._drop(
                REASON_PLUGIN_ERROR,
                n,
                "step has %d tokens, sink holds %d",
                n,
                self.capture.max_rows,
            )
            return
        nbytes = self.capture.staged_bytes(n)
        if not self.sink.has_room(nbytes):
            self._drop(REASON_RING_FULL, n, "ring buffer full: a %d-token step dropped", n)
            return
        # host-side facts first: nothing below may fail while a lease is held
        order = vllm_compat.batch_order(worker.model_runner)
        num_scheduled = dict(vllm_compat.tokens_per_request(scheduler_output))
        num_computed = vllm_compat.computed_before(scheduler_output)
        uncaptured = [
            (req_id, cached, REASON_PREFIX_CACHE)
            for req_id, cached in vllm_compat.prefix_cache_hits(scheduler_output)
            if req_id not in self.controls.opted_out
        ]
        lease = self.pool.acquire(nbytes)
        if lease is None:
            self._drop(REASON_HOST_POOL_FULL, n, "host pool full: a %d-token step dropped", n)
            return
        queued = False
        try:
            step = StagedStep(
                model_name=self.model_name,
                row_offset=self.row_offset,
                staged=self.capture.stage(n, lease),
                lease=lease,
                order=order,
                num_scheduled=num_scheduled,
                num_computed=num_computed,
                uncaptured=uncaptured,
                finished_request_ids=self._pending_finished[:FINISHED_PER_BATCH],
                started=list(self._pending_started),
                opted_out=self.controls.opted_out,
                step_end_unix_ns=step_end_ns,
                step_start_unix_ns=self._step_start_ns,
            )
            self.row_offset += step.rows
            queued = self.sink.put(step, rows=step.rows, nbytes=step.nbytes, offset=step.row_offset)
        finally:
            if not queued:
                lease.release()
        if queued:
            del self._pending_finished[:FINISHED_PER_BATCH]
            self._pending_started = []

    def _drop(self, reason: str, tokens: int, msg: str, *args: object) -> None:
        """Count a step's rows (``tokens`` per layer) as dropped and skip their offsets."""
        rows = tokens * max(1, len(self.layers))
        self.drops.add(reason, rows, self.row_offset)
        self.row_offset += rows
        limited = self._logs.get(reason)
        if limited is None:
            limited = self._logs[reason] = RateLimitedLog(log, interval_s=30.0)
        limited.warning("llm-monitor: " + msg, *args)

    def step_error(self, n: int) -> None:
        """Count a step lost to an unexpected error in the monitor."""
        self._drop(REASON_PLUGIN_ERROR, n, "monitor error in a %d-token step", n)
        log.debug("llm-monitor: step error", exc_info=True)
