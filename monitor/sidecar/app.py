"""``Sidecar``: probes, pipeline, gRPC ingest and the metrics endpoint wired together."""

from __future__ import annotations

import logging
import signal
import threading
import types
from collections.abc import Sequence
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, GCCollector, ProcessCollector, start_http_server

from monitor.sidecar.config import SidecarConfig, parse_host_port
from monitor.sidecar.ingest import IngestHandler, IngestServicer
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.pipeline import Pipeline
from monitor.sidecar.probes import Probe, ProbeError, load_probe_dir
from monitor.sidecar.scoring import ProbeSet, build_probe_sets
from monitor.sidecar.server import GrpcServerThread
from monitor.sidecar.sinks import ActivationSink, MetricsSink, ScoreSink

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_START_FAILED = 1
EXIT_BAD_PROBES = 2


def default_registry() -> CollectorRegistry:
    """A fresh registry with process and GC collectors (never the global one)."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


class Sidecar:
    """The sidecar service. ``start()`` returns at once; ``stop()`` shuts down cleanly.

    Probes are loaded in the constructor (raises ``ProbeError``), so a bad probe
    directory fails before anything listens.
    """

    def __init__(
        self,
        config: SidecarConfig,
        registry: CollectorRegistry | None = None,
        sinks: Sequence[ScoreSink] = (),
        probes: Sequence[Probe] | None = None,
        activation_sinks: Sequence[ActivationSink] = (),
    ) -> None:
        self.config = config
        if probes is None:
            probes = (
                load_probe_dir(config.probe_dir, config.model_name)
                if config.probe_dir is not None
                else []
            )
        self.probes: tuple[Probe, ...] = tuple(probes)
        self.probe_sets: dict[int, ProbeSet] = build_probe_sets(self.probes)
        self.registry = registry if registry is not None else default_registry()
        self.metrics = SidecarMetrics(self.registry)
        self.pipeline = Pipeline(
            self.metrics,
            self.probe_sets,
            [MetricsSink(self.metrics), *sinks],
            queue_size=config.ingest.queue_size,
            request_ttl_s=config.request_ttl_s,
            max_queue_bytes=config.ingest.max_queue_bytes,
            activation_sinks=activation_sinks,
        )
        self.ingest = IngestHandler(
            self.metrics,
            self.pipeline,
            max_batch_bytes=config.ingest.max_batch_bytes,
            expected_model=config.model_name,
            d_models={layer: ps.d_model for layer, ps in self.probe_sets.items()},
        )
        self._grpc = GrpcServerThread(
            config.grpc_address,
            IngestServicer(self.ingest),
            max_receive_bytes=2 * config.ingest.max_batch_bytes,
        )
        self._metrics_server: WSGIServer | None = None
        self._metrics_thread: threading.Thread | None = None
        self._started = False

    @property
    def grpc_port(self) -> int:
        """The bound gRPC port (after ``start``; meaningless for unix sockets)."""
        return self._grpc.port

    @property
    def grpc_target(self) -> str:
        """What a local client dials, e.g. ``127.0.0.1:50051`` or ``unix:/run/x.sock``."""
        return self._grpc.target

    @property
    def metrics_port(self) -> int:
        """The bound port of the /metrics HTTP server (after ``start``)."""
        return self._metrics_server.server_port if self._metrics_server is not None else 0

    def start(self) -> None:
        """Start the pipeline worker, the gRPC server and the metrics server."""
        if self._started:
            raise RuntimeError("sidecar already started")
        self._started = True
        self.pipeline.start()
        try:
            self._grpc.start()
            host, port = parse_host_port(self.config.metrics_address)
            self._metrics_server, self._metrics_thread = start_http_server(
                port, addr=host, registry=self.registry
            )
        except BaseException:
            self.stop(grace=0)
            raise
        log.info(
            "sidecar started: gRPC %s, metrics port %d, %d probe(s) on layer(s) %s",
            self.grpc_target,
            self.metrics_port,
            len(self.probes),
            sorted(self.probe_sets),
        )

    def stop(self, grace: float = 5.0) -> None:
        """Stop gRPC (``grace`` seconds for open streams), drain the queue, stop threads."""
        self._grpc.stop(grace)
        self.pipeline.stop(self.config.ingest.drain_timeout_s)
        if self._metrics_server is not None:
            self._metrics_server.shutdown()
            self._metrics_server.server_close()
            self._metrics_server = None
        if self._metrics_thread is not None:
            self._metrics_thread.join(5.0)
            self._metrics_thread = None

    def __enter__(self) -> Sidecar:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run(config: SidecarConfig, grace: float = 5.0) -> int:
    """Run the sidecar until SIGINT or SIGTERM; returns a process exit code."""
    try:
        sidecar = Sidecar(config)
    except ProbeError as exc:
        log.error("cannot load probes: %s", exc)
        return EXIT_BAD_PROBES
    stop = threading.Event()

    def _on_signal(signum: int, frame: types.FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            sidecar.start()
        except (OSError, RuntimeError) as exc:
            log.error("cannot start the sidecar: %s", exc)
            return EXIT_START_FAILED
        try:
            while not stop.wait(0.5):
                pass
        finally:
            sidecar.stop(grace)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("sidecar stopped")
    return EXIT_OK
