"""The ``Ingest`` client stream: a thin gRPC servicer over ``IngestHandler``.

``IngestHandler`` holds the logic (validation, drop accounting, queueing) and knows
nothing about gRPC, so it is tested by calling it directly. The contract it enforces:

- A stream starts with one ``Hello`` (a batch before it: ``no_hello``; a second one:
  ``hello_repeated``). Every rejection ends the stream with INVALID_ARGUMENT naming the
  problem and counts ``llm_monitor_ingest_rejected_total{reason}``.
- Metric labels never come from input: the model label is the configured model (or
  ``unknown`` for input that names another), ``capture_up{layer}`` exists only for
  configured or probed layers (others are counted as ``ingest_ignored{hello_layer}``),
  reasons are mapped to fixed sets by ``metrics``, and rejected messages create no
  label values at all.
- Producer strings reach logs and status messages only through ``quote`` (truncated,
  escaped); connection lines are rate-limited per producer and overall.

``IngestServicer`` handles one message of a stream at a time (order kept). A message up
to ``INLINE_BYTES`` (4 MiB: a step of a few thousand rows of a small model, about 2 ms to
validate and decode) is handled on the event loop: handing it to a thread and back cost
more CPU than the decoding itself (``bench sidecar``, steps of 256 rows: 7.1 -> 5.3 µs of
sidecar CPU per token). Larger ones go to a small thread pool, so that no message blocks
the event loop that also serves health checks and queries for long. Messages the gRPC
layer cannot parse are answered with INVALID_ARGUMENT and counted as ``decode``. Messages
over the server's receive limit (twice ``max_batch_bytes``) are refused by gRPC itself with
RESOURCE_EXHAUSTED before any handler runs, so they cannot be counted here.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import grpc
from google.protobuf.message import DecodeError

from monitor.artifacts.wire_checks import quote
from monitor.logutil import RateLimitedLog
from monitor.sidecar.ingest.accounting import (
    LOST_IN_TRANSIT,
    Drops,
    Producers,
    ProducerState,
    account_batch,
)
from monitor.sidecar.ingest.batches import BadBatch, DecodedBatch, decode_batch
from monitor.sidecar.ingest.limits import (
    MAX_DROP_COUNTERS,
    MAX_HELLO_LAYERS,
    MAX_MODEL_LABEL,
    IngestLimits,
)
from monitor.sidecar.metrics import UNKNOWN_MODEL, SidecarMetrics
from monitor.v1 import ingest_pb2, ingest_pb2_grpc

__all__ = [
    "LOST_IN_TRANSIT",
    "BadBatch",
    "BatchQueue",
    "Drops",
    "IngestHandler",
    "IngestServicer",
    "ProducerState",
    "StreamState",
    "account_batch",
    "decode_batch",
]

log = logging.getLogger(__name__)

SIDECAR_REJECTED = "sidecar_rejected"
#: Seconds between two connection lines of one producer.
HELLO_LOG_INTERVAL_S = 60.0
#: Producers whose last connection line is remembered for that.
HELLO_LOG_PRODUCERS = 1024
#: Threads that validate and decode ingest messages.
DECODE_THREADS = 2
#: Messages up to this size are handled on the event loop, larger ones in the threads.
INLINE_BYTES = 4 * 1024 * 1024


class BatchQueue(Protocol):
    """Where accepted batches go; ``offer`` never blocks and says whether it kept the batch.
    ``received_at`` is the ``time.monotonic()`` at which the handler received the message."""

    def offer(self, batch: DecodedBatch, received_at: float | None = None) -> bool: ...


@dataclass
class StreamState:
    """What one ``Ingest`` stream has said and delivered so far."""

    producer_id: str = ""
    model_name: str = ""
    model_label: str = ""  # the metric label of the stream's model ("" before the Hello)
    layers: tuple[int, ...] = ()  # the Hello's layers that have a capture_up series
    hello_seen: bool = False
    closed: bool = False
    batches_accepted: int = 0
    rows_accepted: int = 0


class IngestHandler:
    """Validates ingest messages, accounts drops and queues decoded batches.

    ``d_models`` are the probed layers' widths and ``layers`` the configured ones: the
    layers that may carry a ``capture_up`` series (without either, any layer below
    ``MAX_HELLO_LAYERS``, within the series cap). Thread-safe: streams are handled
    concurrently by the servicer's pool.
    """

    def __init__(
        self,
        metrics: SidecarMetrics,
        batches: BatchQueue,
        *,
        max_batch_bytes: int,
        expected_model: str | None = None,
        d_models: Mapping[int, int] | None = None,
        layers: Collection[int] | None = None,
        limits: IngestLimits | None = None,
    ) -> None:
        self._metrics = metrics
        self._batches = batches
        self._max_bytes = max_batch_bytes
        self._expected_model = expected_model
        self._d_models = dict(d_models or {})
        self._layers = frozenset(self._d_models) | frozenset(layers or ())
        self._limits = limits or IngestLimits()
        self._producers = Producers()
        self._capture_streams: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()
        self._warn = RateLimitedLog(log, interval_s=30.0)
        self._hello_log = RateLimitedLog(log, interval_s=1.0)
        self._hello_seen: OrderedDict[str, float] = OrderedDict()

    def producer(self, producer_id: str) -> ProducerState:
        """The drop accounting state of a producer (created on first use)."""
        with self._lock:
            return self._producers.get(producer_id)

    def handle(
        self, message: ingest_pb2.IngestMessage, stream: StreamState, size: int | None = None
    ) -> None:
        """Process one message of a stream (``size``: its ``ByteSize()``, when known);
        raises ``BadBatch`` (already counted)."""
        kind = message.WhichOneof("kind")
        batch = message.batch if kind == "batch" else None
        try:
            if size is None:
                size = message.ByteSize()
            if kind == "hello":
                if size > self._max_bytes:  # a Hello needs a few hundred bytes
                    raise BadBatch(
                        "oversized", f"Hello is {size} bytes, the limit is {self._max_bytes}"
                    )
                self._hello(message.hello, stream)
            elif batch is not None:
                self._batch(batch, size, stream)
            else:
                raise BadBatch("empty_message", "ingest message has neither hello nor batch")
        except BadBatch as exc:
            self._reject(exc, stream, batch)
            raise
        except Exception:
            self._metrics.model(self._reject_label(stream, batch)).pipeline_errors.inc()
            raise

    def undecodable(self, stream: StreamState) -> BadBatch:
        """Count a message that is not a valid ``IngestMessage``; the error to answer."""
        exc = BadBatch("decode", "message is not a valid IngestMessage")
        self._reject(exc, stream, None)
        return exc

    def close(self, stream: StreamState) -> None:
        """The stream ended: its layers no longer count as captured."""
        with self._lock:
            stream.closed = True
            if not stream.hello_seen:
                return
            for layer in stream.layers:
                key = (stream.model_label, layer)
                remaining = self._capture_streams.get(key, 0) - 1
                if remaining <= 0:
                    self._capture_streams.pop(key, None)
                    self._metrics.model(stream.model_label).capture_up(layer).set(0)
                else:
                    self._capture_streams[key] = remaining

    # -- labels ----------------------------------------------------------------------

    def model_label(self, model_name: str) -> str:
        """The metric label for a model named by an accepted message."""
        if self._expected_model is not None:
            return self._expected_model if model_name == self._expected_model else UNKNOWN_MODEL
        if not model_name or len(model_name) > MAX_MODEL_LABEL:
            return UNKNOWN_MODEL
        return model_name  # SidecarMetrics caps how many distinct names become labels

    def _reject_label(self, stream: StreamState, batch: ingest_pb2.ActivationBatch | None) -> str:
        """The model label of a rejected message: never a name only it carries."""
        if stream.model_label:
            return stream.model_label
        if self._expected_model is not None and batch is not None:
            return self.model_label(batch.model_name)
        return UNKNOWN_MODEL

    def _layer_allowed(self, layer: int) -> bool:
        if self._layers:
            return layer in self._layers
        return 0 <= layer < MAX_HELLO_LAYERS

    # -- messages --------------------------------------------------------------------

    def _hello(self, hello: ingest_pb2.Hello, stream: StreamState) -> None:
        if stream.hello_seen:
            raise BadBatch("hello_repeated", "a stream sends one Hello, as its first message")
        if len(hello.layers) > MAX_HELLO_LAYERS:
            raise BadBatch(
                "list_length",
                f"layers has {len(hello.layers)} entries, more than {MAX_HELLO_LAYERS}",
            )
        if self._expected_model is not None and hello.model_name != self._expected_model:
            raise BadBatch(
                "model_name",
                f"producer serves model {quote(hello.model_name)},"
                f" expected {quote(self._expected_model)}",
            )
        label = self.model_label(hello.model_name)
        named = tuple(dict.fromkeys(hello.layers))
        layers = tuple(layer for layer in named if self._layer_allowed(layer))
        model = self._metrics.model(label)
        with self._lock:
            if stream.closed:
                return
            stream.hello_seen = True
            stream.producer_id = hello.producer_id
            stream.model_name = hello.model_name
            stream.model_label = label
            stream.layers = layers
            for layer in layers:
                key = (label, layer)
                self._capture_streams[key] = self._capture_streams.get(key, 0) + 1
                model.capture_up(layer).set(1 if hello.capture_ok else 0)
        if len(named) > len(layers):
            model.ignored("hello_layer").inc(len(named) - len(layers))
        self._log_hello(hello, layers, len(named) - len(layers))

    def _log_hello(self, hello: ingest_pb2.Hello, layers: tuple[int, ...], ignored: int) -> None:
        """One line per producer and ``HELLO_LOG_INTERVAL_S``, at most one per second."""
        now = time.monotonic()
        with self._lock:
            last = self._hello_seen.get(hello.producer_id)
            if last is not None and now - last < HELLO_LOG_INTERVAL_S and hello.capture_ok:
                return
            self._hello_seen[hello.producer_id] = now
            self._hello_seen.move_to_end(hello.producer_id)
            if len(self._hello_seen) > HELLO_LOG_PRODUCERS:
                self._hello_seen.popitem(last=False)
        extra = f" ({ignored} layer(s) neither configured nor probed ignored)" if ignored else ""
        if hello.capture_ok:
            self._hello_log.log(
                logging.INFO,
                "producer %s connected: model %s, layers %s, plugin %s%s",
                quote(hello.producer_id),
                quote(hello.model_name),
                list(layers),
                quote(hello.plugin_version or "?"),
                extra,
            )
        else:
            self._hello_log.warning(
                "producer %s (model %s) reports capture not working: %s",
                quote(hello.producer_id),
                quote(hello.model_name),
                quote(hello.capture_error or "no reason given", 300),
            )

    def _batch(self, batch: ingest_pb2.ActivationBatch, size: int, stream: StreamState) -> None:
        received_at = time.monotonic()
        if not stream.hello_seen:
            raise BadBatch("no_hello", "a stream starts with a Hello, before any batch")
        if len(batch.dropped) > MAX_DROP_COUNTERS:
            raise BadBatch(
                "list_length",
                f"dropped has {len(batch.dropped)} entries, more than {MAX_DROP_COUNTERS}",
            )
        if not batch.model_name and stream.model_name:
            batch.model_name = stream.model_name
        decoded = decode_batch(
            batch,
            message_bytes=size,
            max_batch_bytes=self._max_bytes,
            expected_model=self._expected_model,
            expected_d_model=self._d_models.get(batch.layer),
            producer_id=stream.producer_id,
            max_abs=self._limits.max_abs_activation,
            max_list=self._limits.max_request_list,
        )
        model = self._metrics.model(self.model_label(decoded.model_name))
        counters = [(c.reason, c.rows) for c in batch.dropped]
        with self._lock:
            stream.batches_accepted += 1
            stream.rows_accepted += decoded.rows
            state = self._producers.get(decoded.producer_id)
            drops = account_batch(
                state,
                batch.row_offset,
                decoded.rows,
                counters,
                self._limits.max_dropped_rows_per_batch,
            )
        model.batches_received.inc()
        for reason, rows in drops.rows.items():
            model.dropped(reason).inc(rows)
        if drops.ignored:
            model.ignored("drop_claim").inc(drops.ignored)
        if decoded.bad_tenants:  # the requests are kept, without a tenant tag
            model.ignored("tenant").inc(decoded.bad_tenants)
        self._batches.offer(decoded, received_at=received_at)

    def _reject(
        self, exc: BadBatch, stream: StreamState, batch: ingest_pb2.ActivationBatch | None
    ) -> None:
        model = self._metrics.model(self._reject_label(stream, batch))
        model.rejected(exc.reason).inc()
        if batch is not None:
            with self._lock:
                state = self._producers.find(batch.producer_id or stream.producer_id)
                if state is not None:
                    state.resync()
            if exc.rows > 0:  # rows the message really carried, never its claimed shape
                model.dropped(SIDECAR_REJECTED).inc(exc.rows)
        # a string, not the exception: a kept log record must not pin the message
        self._warn.warning(
            "rejected ingest message from producer %s: %s", quote(stream.producer_id), str(exc)
        )


class IngestServicer(ingest_pb2_grpc.MonitorServicer):
    """gRPC aio servicer: one message of a stream at a time, small ones on the event loop,
    large ones in a thread pool; the first bad message ends the stream with
    INVALID_ARGUMENT."""

    def __init__(self, handler: IngestHandler, on_error: RateLimitedLog | None = None) -> None:
        self._handler = handler
        self._errors = on_error or RateLimitedLog(log)
        self._pool = ThreadPoolExecutor(DECODE_THREADS, thread_name_prefix="llm-monitor-ingest")

    def close(self) -> None:
        """Stop the decoding threads (after the server stopped)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def Ingest(
        self,
        request_iterator: AsyncIterator[ingest_pb2.IngestMessage],
        context: grpc.aio.ServicerContext[ingest_pb2.IngestMessage, ingest_pb2.IngestSummary],
    ) -> ingest_pb2.IngestSummary:
        stream = StreamState()
        loop = asyncio.get_running_loop()
        messages = aiter(request_iterator)
        try:
            while True:
                try:
                    message = await anext(messages)
                except StopAsyncIteration:
                    break
                except DecodeError:
                    exc = await loop.run_in_executor(self._pool, self._handler.undecodable, stream)
                    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
                failure: tuple[grpc.StatusCode, str] | None = None
                try:
                    size = message.ByteSize()
                    if size <= INLINE_BYTES:
                        self._handler.handle(message, stream, size)
                    else:
                        await loop.run_in_executor(
                            self._pool, self._handler.handle, message, stream, size
                        )
                except BadBatch as exc:
                    failure = (grpc.StatusCode.INVALID_ARGUMENT, str(exc))
                except Exception as exc:  # a bug must not take the server down
                    self._errors.error("ingest failed: %r", exc, exc_info=True)
                    failure = (grpc.StatusCode.INTERNAL, "internal error (see the sidecar log)")
                if failure is not None:
                    await context.abort(*failure)
        finally:
            self._handler.close(stream)
        return ingest_pb2.IngestSummary(
            batches_accepted=stream.batches_accepted, rows_accepted=stream.rows_accepted
        )
