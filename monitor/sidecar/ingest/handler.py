"""The ``Ingest`` client stream: a thin gRPC servicer over ``IngestHandler``.

``IngestHandler`` holds the logic (validation, drop accounting, queueing) and knows
nothing about gRPC, so it is tested by calling it directly.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import grpc

from monitor.logutil import RateLimitedLog
from monitor.sidecar.ingest.batches import BadBatch, DecodedBatch, decode_batch
from monitor.sidecar.metrics import SidecarMetrics
from monitor.v1 import ingest_pb2, ingest_pb2_grpc

__all__ = [
    "BadBatch",
    "BatchQueue",
    "IngestHandler",
    "IngestServicer",
    "ProducerState",
    "StreamState",
    "account_batch",
    "decode_batch",
]

log = logging.getLogger(__name__)

LOST_IN_TRANSIT = "lost_in_transit"
SIDECAR_REJECTED = "sidecar_rejected"


class BatchQueue(Protocol):
    """Where accepted batches go; ``offer`` never blocks and says whether it kept the batch."""

    def offer(self, batch: DecodedBatch) -> bool: ...


@dataclass
class ProducerState:
    """Drop accounting for one producer, kept across its streams."""

    counters: dict[str, int] = field(default_factory=dict)  # last cumulative value per reason
    next_offset: int | None = None  # row_offset expected on the next batch
    missing_rows: int = 0  # rows skipped by row_offset since tracking (re)started
    explained_rows: int = 0  # producer-reported drops since tracking (re)started
    lost_rows: int = 0  # rows already counted as lost in transit

    def resync(self) -> None:
        """Forget the expected offset (e.g. after a rejected batch)."""
        self.next_offset = None
        self.missing_rows = self.explained_rows = self.lost_rows = 0


def account_batch(
    state: ProducerState, row_offset: int, rows: int, counters: Iterable[tuple[str, int]]
) -> dict[str, int]:
    """Update ``state`` with one received batch; return rows to count as dropped, by reason.

    Producer drops are the deltas of its cumulative counters. Rows skipped by
    ``row_offset`` that those drops do not explain are ``lost_in_transit``. The first
    batch of a producer only sets the baseline for offsets.
    """
    increments: dict[str, int] = {}
    first = state.next_offset is None
    for reason, total in counters:
        previous = state.counters.get(reason, 0)
        delta = total - previous if total >= previous else total  # a reset counter restarts
        state.counters[reason] = total
        if delta > 0:
            increments[reason] = increments.get(reason, 0) + delta
            if not first:
                state.explained_rows += delta
    if state.next_offset is not None and row_offset > state.next_offset:
        state.missing_rows += row_offset - state.next_offset
    state.next_offset = row_offset + rows
    lost = state.missing_rows - state.explained_rows - state.lost_rows
    if lost > 0:
        increments[LOST_IN_TRANSIT] = increments.get(LOST_IN_TRANSIT, 0) + lost
        state.lost_rows += lost
    return increments


@dataclass
class StreamState:
    """What one ``Ingest`` stream has said and delivered so far."""

    producer_id: str = ""
    model_name: str = ""
    layers: tuple[int, ...] = ()
    hello_seen: bool = False
    batches_accepted: int = 0
    rows_accepted: int = 0


class IngestHandler:
    """Validates ingest messages, accounts drops and queues decoded batches."""

    def __init__(
        self,
        metrics: SidecarMetrics,
        batches: BatchQueue,
        *,
        max_batch_bytes: int,
        expected_model: str | None = None,
        d_models: Mapping[int, int] | None = None,
    ) -> None:
        self._metrics = metrics
        self._batches = batches
        self._max_bytes = max_batch_bytes
        self._expected_model = expected_model
        self._d_models = dict(d_models or {})
        self._producers: dict[str, ProducerState] = {}
        self._capture_streams: dict[tuple[str, int], int] = {}
        self._warn = RateLimitedLog(log, interval_s=30.0)

    def producer(self, producer_id: str) -> ProducerState:
        """The drop accounting state of a producer (created on first use)."""
        state = self._producers.get(producer_id)
        if state is None:
            state = self._producers[producer_id] = ProducerState()
        return state

    def handle(self, message: ingest_pb2.IngestMessage, stream: StreamState) -> None:
        """Process one message of a stream; raises ``BadBatch`` (already counted)."""
        kind = message.WhichOneof("kind")
        try:
            if kind == "hello":
                self._hello(message.hello, stream)
            elif kind == "batch":
                self._batch(message.batch, message.ByteSize(), stream)
            else:
                raise BadBatch("empty_message", "ingest message has neither hello nor batch")
        except BadBatch as exc:
            self._reject(exc, message, stream)
            raise
        except Exception:
            self._metrics.model(stream.model_name).pipeline_errors.inc()
            raise

    def close(self, stream: StreamState) -> None:
        """The stream ended: its layers no longer count as captured."""
        if not stream.hello_seen:
            return
        for layer in stream.layers:
            key = (stream.model_name, layer)
            remaining = self._capture_streams.get(key, 0) - 1
            if remaining <= 0:
                self._capture_streams.pop(key, None)
                self._metrics.model(stream.model_name).capture_up(layer).set(0)
            else:
                self._capture_streams[key] = remaining

    def _hello(self, hello: ingest_pb2.Hello, stream: StreamState) -> None:
        if self._expected_model is not None and hello.model_name != self._expected_model:
            raise BadBatch(
                "model_name",
                f"producer serves model {hello.model_name!r}, expected {self._expected_model!r}",
            )
        if stream.hello_seen:
            self.close(stream)
        stream.hello_seen = True
        stream.producer_id = hello.producer_id
        stream.model_name = hello.model_name
        stream.layers = tuple(hello.layers)
        model = self._metrics.model(hello.model_name)
        for layer in stream.layers:
            key = (hello.model_name, layer)
            self._capture_streams[key] = self._capture_streams.get(key, 0) + 1
            model.capture_up(layer).set(1 if hello.capture_ok else 0)
        if hello.capture_ok:
            log.info(
                "producer %s connected: model %s, layers %s, plugin %s",
                hello.producer_id,
                hello.model_name,
                list(hello.layers),
                hello.plugin_version or "?",
            )
        else:
            log.warning(
                "producer %s (model %s) reports capture not working: %s",
                hello.producer_id,
                hello.model_name,
                hello.capture_error or "no reason given",
            )

    def _batch(self, batch: ingest_pb2.ActivationBatch, size: int, stream: StreamState) -> None:
        if not batch.model_name and stream.model_name:
            batch.model_name = stream.model_name
        decoded = decode_batch(
            batch,
            message_bytes=size,
            max_batch_bytes=self._max_bytes,
            expected_model=self._expected_model,
            expected_d_model=self._d_models.get(batch.layer),
            producer_id=stream.producer_id,
        )
        model = self._metrics.model(decoded.model_name)
        model.batches_received.inc()
        stream.batches_accepted += 1
        stream.rows_accepted += decoded.rows
        counters = [(c.reason, c.rows) for c in batch.dropped]
        state = self.producer(decoded.producer_id)
        for reason, rows in account_batch(state, batch.row_offset, decoded.rows, counters).items():
            model.dropped(reason).inc(rows)
        self._batches.offer(decoded)

    def _reject(
        self, exc: BadBatch, message: ingest_pb2.IngestMessage, stream: StreamState
    ) -> None:
        batch = message.batch if message.WhichOneof("kind") == "batch" else None
        model_name = (batch.model_name if batch is not None else "") or stream.model_name
        model = self._metrics.model(model_name)
        model.rejected(exc.reason).inc()
        if batch is not None:
            self.producer(batch.producer_id or stream.producer_id).resync()
            if len(batch.shape) == 2 and batch.shape[0] > 0:
                model.dropped(SIDECAR_REJECTED).inc(batch.shape[0])
        self._warn.warning("rejected ingest message from producer %r: %s", stream.producer_id, exc)


class IngestServicer(ingest_pb2_grpc.MonitorServicer):
    """gRPC aio servicer: ``async for`` over the stream, abort on the first bad message."""

    def __init__(self, handler: IngestHandler, on_error: RateLimitedLog | None = None) -> None:
        self._handler = handler
        self._errors = on_error or RateLimitedLog(log)

    async def Ingest(
        self,
        request_iterator: AsyncIterator[ingest_pb2.IngestMessage],
        context: grpc.aio.ServicerContext[ingest_pb2.IngestMessage, ingest_pb2.IngestSummary],
    ) -> ingest_pb2.IngestSummary:
        stream = StreamState()
        try:
            async for message in request_iterator:
                failure: tuple[grpc.StatusCode, str] | None = None
                try:
                    self._handler.handle(message, stream)
                except BadBatch as exc:
                    failure = (grpc.StatusCode.INVALID_ARGUMENT, str(exc))
                except Exception as exc:  # a bug must not take the server down
                    self._errors.error("ingest failed: %r", exc, exc_info=True)
                    failure = (grpc.StatusCode.INTERNAL, f"internal error: {exc!r}")
                if failure is not None:
                    await context.abort(*failure)
        finally:
            self._handler.close(stream)
        return ingest_pb2.IngestSummary(
            batches_accepted=stream.batches_accepted, rows_accepted=stream.rows_accepted
        )
