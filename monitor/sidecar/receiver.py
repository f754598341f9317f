"""The ingest side of a sidecar on its own: gRPC ``Ingest`` -> validation -> a bounded queue.

``Receiver`` is the gRPC server with the ingest handler (validation, drop accounting) in
front of any ``BatchQueue``. The sidecar composes it with its scoring worker as the queue
and adds the query services; ``ActivationReceiver`` composes it with an ``ActivationQueue``
that hands every accepted batch to activation sinks and nothing else (no probes, rules,
trace store, query services or /metrics), which is what training collection and
activation tests need.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Mapping, Sequence

import grpc
from prometheus_client import CollectorRegistry

from monitor.sidecar.batch_writer import BatchWriter
from monitor.sidecar.ingest.batches import DecodedBatch
from monitor.sidecar.ingest.handler import BatchQueue, IngestHandler, IngestServicer
from monitor.sidecar.ingest.limits import IngestLimits
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.scoring.sinks import ActivationSink
from monitor.sidecar.server import GrpcServerThread, Service

log = logging.getLogger(__name__)


class Receiver:
    """The gRPC server (``Ingest`` plus any extra services) feeding an ``IngestHandler``."""

    def __init__(
        self,
        address: str,
        queue: BatchQueue,
        metrics: SidecarMetrics,
        *,
        max_batch_bytes: int,
        expected_model: str | None = None,
        d_models: Mapping[int, int] | None = None,
        layers: Collection[int] | None = None,
        limits: IngestLimits | None = None,
        services: Sequence[Service] = (),
        interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
        credentials: grpc.ServerCredentials | None = None,
        options: Sequence[tuple[str, int | str]] = (),
        maximum_concurrent_rpcs: int | None = None,
        reflection: bool = False,
    ) -> None:
        self.handler = IngestHandler(
            metrics,
            queue,
            max_batch_bytes=max_batch_bytes,
            expected_model=expected_model,
            d_models=d_models,
            layers=layers,
            limits=limits,
        )
        self._servicer = IngestServicer(self.handler)
        self._server = GrpcServerThread(
            address,
            self._servicer,
            max_receive_bytes=2 * max_batch_bytes,
            services=services,
            interceptors=interceptors,
            credentials=credentials,
            options=options,
            maximum_concurrent_rpcs=maximum_concurrent_rpcs,
            reflection=reflection,
        )

    @property
    def server(self) -> GrpcServerThread:
        """The gRPC server (health status, liveness)."""
        return self._server

    @property
    def port(self) -> int:
        """The bound port (after ``start``; meaningless for unix sockets)."""
        return self._server.port

    @property
    def target(self) -> str:
        """What a local client dials, e.g. ``127.0.0.1:50051`` or ``unix:/run/x.sock``."""
        return self._server.target

    def start(self) -> None:
        """Bind and serve; raises when the address cannot be bound."""
        self._server.start()

    def stop(self, grace: float) -> None:
        """Refuse new streams, give open ones ``grace`` seconds, stop the server."""
        self._server.stop(grace)
        self._servicer.close()


class ActivationQueue:
    """A ``BatchQueue`` whose worker hands every batch to activation sinks.

    Bounded by batches and by decoded bytes (``DecodedBatch.nbytes``); ``offer`` never
    blocks and counts what it drops
    (``llm_monitor_activations_dropped_total{reason="sidecar_queue_full"}``). A sink that
    raises is logged and the others still get the batch.
    """

    def __init__(
        self,
        sinks: Sequence[ActivationSink],
        metrics: SidecarMetrics,
        *,
        queue_size: int,
        max_queue_bytes: int | None = None,
    ) -> None:
        self._sinks = list(sinks)
        self._metrics = metrics
        self._max_bytes = max_queue_bytes
        self._bytes = 0
        self._lock = threading.Lock()
        self._writer: BatchWriter[DecodedBatch] = BatchWriter(
            self._export,
            max_queue=queue_size,
            max_batch=64,
            on_drop=self._dropped,
            on_error=lambda exc: log.error("activation sink error: %r", exc),
            name="llm-monitor-activations",
        )

    def offer(self, batch: DecodedBatch, received_at: float | None = None) -> bool:
        size = batch.nbytes  # the whole decoded message, not the activations alone
        with self._lock:
            if self._max_bytes is not None and self._bytes + size > self._max_bytes:
                self._dropped(batch, "full")
                return False
            self._bytes += size
        if not self._writer.submit(batch):  # on_drop counted it
            with self._lock:
                self._bytes -= size
            return False
        return True

    def start(self) -> None:
        self._writer.start()

    def flush(self, timeout: float) -> bool:
        """Wait until every batch offered so far reached the sinks; False on timeout."""
        return self._writer.flush(timeout)

    def close(self, timeout: float) -> bool:
        """Deliver what is queued (within ``timeout``) and stop the worker."""
        return self._writer.close(timeout)

    def _export(self, batches: list[DecodedBatch]) -> None:
        for batch in batches:
            with self._lock:
                self._bytes -= batch.nbytes
            for sink in self._sinks:
                try:
                    sink.on_batch(batch)
                except Exception as exc:
                    log.error("activation sink %s failed: %r", type(sink).__name__, exc)

    def _dropped(self, batch: DecodedBatch, reason: str) -> None:
        self._metrics.model(batch.model_name).dropped("sidecar_queue_full").inc(batch.rows)


class ActivationReceiver:
    """Ingest only: plugin batches -> validation -> activation sinks. A context manager.

    ``target`` is the address to give the plugin (``LLM_MONITOR_PLUGIN_SIDECAR_ADDRESS``).
    """

    def __init__(
        self,
        sinks: Sequence[ActivationSink],
        *,
        address: str = "127.0.0.1:0",
        queue_size: int = 1024,
        max_queue_bytes: int | None = 512 << 20,
        max_batch_bytes: int = 16 << 20,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.metrics = SidecarMetrics(registry if registry is not None else CollectorRegistry())
        self.queue = ActivationQueue(
            sinks, self.metrics, queue_size=queue_size, max_queue_bytes=max_queue_bytes
        )
        self.receiver = Receiver(address, self.queue, self.metrics, max_batch_bytes=max_batch_bytes)

    @property
    def target(self) -> str:
        return self.receiver.target

    def start(self) -> None:
        self.queue.start()
        try:
            self.receiver.start()
        except BaseException:
            self.queue.close(0.0)
            raise

    def stop(self, grace: float = 1.0, drain_timeout_s: float = 10.0) -> None:
        """Stop receiving, then deliver what is queued."""
        self.receiver.stop(grace)
        self.queue.close(drain_timeout_s)

    def __enter__(self) -> ActivationReceiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
