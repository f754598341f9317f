"""``Sidecar``: probes, pipeline, gRPC ingest and the metrics endpoint wired together."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, GCCollector, ProcessCollector

from monitor.artifacts.probe_format import Probe, load_probe_dir
from monitor.sidecar.alerts.compile import RuleError, compile_rules
from monitor.sidecar.alerts.flagging import TraceSink
from monitor.sidecar.alerts.hub import AlertHub, AlertPublisher, WatchLimits
from monitor.sidecar.alerts.rules import RuleEngine
from monitor.sidecar.config import (
    ConfigError,
    RuleConfig,
    SidecarConfig,
    check_layers,
    load_config,
    parse_host_port,
)
from monitor.sidecar.health import Watchdog
from monitor.sidecar.http_server import HealthHttpServer
from monitor.sidecar.info_metrics import InfoMetrics
from monitor.sidecar.ingest.limits import IngestLimits
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.query import BlockingCalls, query_services
from monitor.sidecar.receiver import Receiver
from monitor.sidecar.scoring.encoder import EncoderError, load_concept_encoders
from monitor.sidecar.scoring.probe_set import ProbeSet, build_probe_sets
from monitor.sidecar.scoring.scorer import Pipeline
from monitor.sidecar.scoring.sinks import ActivationSink, MetricsSink, ScoreSink
from monitor.sidecar.security import server_security
from monitor.sidecar.segmenter_setup import build_segmenter
from monitor.sidecar.server import exposure_warnings
from monitor.sidecar.service_metrics import ServiceMetrics
from monitor.sidecar.thread_names import name_threads
from monitor.sidecar.traces.factory import (
    build_trace_store,
    concept_labeller,
    concept_table,
    trace_reader_of,
    unavailable_reason,
)
from monitor.sidecar.traces.reader import TraceReader
from monitor.v1 import query_pb2

if TYPE_CHECKING:
    from monitor.sidecar.alerts.otlp import OtlpExport

log = logging.getLogger(__name__)


def default_registry() -> CollectorRegistry:
    """A fresh registry with process and GC collectors (never the global one)."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def build_otlp_export(
    config: SidecarConfig,
    registry: CollectorRegistry,
    probes: Sequence[Probe],
    hub: AlertPublisher,
) -> tuple[OtlpExport | None, AlertPublisher]:
    """The OTLP export of ``config.otlp`` (None without it) and where alerts go: ``hub``,
    and the export when it exports alerts. ``ConfigError`` without the OpenTelemetry SDK."""
    if config.otlp is None:
        return None, hub
    try:
        from monitor.sidecar.alerts.otlp import AlertFanOut, OtlpExport
    except ImportError as exc:
        raise ConfigError(
            f"otlp: needs the OpenTelemetry SDK: pip install 'llm-monitor[otlp]' ({exc})"
        ) from None
    export = OtlpExport(
        config.otlp,
        registry,
        config.model_name or "",
        thresholds={probe.concept: probe.threshold for probe in probes},
    )
    return export, AlertFanOut(hub, export) if config.otlp.alerts else hub


class SourceStamp:
    """An ``AlertPublisher`` that stamps this replica's ``source`` on each alert."""

    def __init__(self, publisher: AlertPublisher, source: str) -> None:
        self._publisher = publisher
        self._source = source

    def publish(self, alert: query_pb2.Alert) -> None:
        if not alert.source:
            alert.source = self._source
        self._publisher.publish(alert)


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
        trace_reader: TraceReader | None = None,
        config_path: Path | None = None,
        default_rules: bool = False,
    ) -> None:
        self.config = config
        self.config_path = config_path  # where reload_rules reads monitor.yaml
        self._default_rules = default_rules  # `up`: watch every probe when no rules are set
        if probes is None:
            probes = (
                load_probe_dir(config.probe_dir, config.model_name)
                if config.probe_dir is not None
                else []
            )
        self.probes: tuple[Probe, ...] = tuple(probes)
        self.probe_sets: dict[int, ProbeSet] = build_probe_sets(self.probes)
        # raises EncoderError; concepts travel with the scores of the probes' layers
        self.concept_encoders = load_concept_encoders(
            config.encoder_dir, config.model_name, config.encoder_threads, config.encoder_precision
        )
        for layer in set(self.concept_encoders) - set(self.probe_sets):
            log.warning("the concept encoder reads layer %d, where no probe scores", layer)
        for layer, encoder in self.concept_encoders.items():
            probe_set = self.probe_sets.get(layer)
            if probe_set is not None and probe_set.d_model != encoder.d_model:
                raise EncoderError(
                    f"the concept encoder of layer {layer} reads d_model {encoder.d_model}, "
                    f"the probes of that layer read {probe_set.d_model}"
                )
        self.registry = registry if registry is not None else default_registry()
        self.metrics = SidecarMetrics(self.registry)
        self.info_metrics = InfoMetrics(self.registry, config.model_name or "", self.probes)
        watch = config.watch
        self.alert_hub = AlertHub(  # the rule engine publishes alerts here
            self.metrics,
            limits=WatchLimits(
                queue_size=watch.queue_size,
                max_subscribers=watch.max_subscribers,
                max_per_peer=watch.max_subscribers_per_peer,
                max_consecutive_drops=watch.max_consecutive_drops,
            ),
            model_name=config.model_name or "",
        )
        source = str(config_path) if config_path is not None else "config"
        check_layers(config.layers, self.probe_sets, source)
        label = concept_labeller(self.concept_encoders)
        self.rule_engine = RuleEngine(
            compile_rules(self._rules_or_default(config.rules), self.probes, source)
        )
        self.trace_store = build_trace_store(
            config.storage,
            self.metrics,
            config.model_name or "",
            concept_label=label,
            source=config.instance_id,
            labels=concept_table(self.concept_encoders),
        )
        # OpenTelemetry: alerts next to WatchAlerts, finished requests as a sink
        self.otlp, publisher = build_otlp_export(config, self.registry, self.probes, self.alert_hub)
        publisher = SourceStamp(publisher, config.instance_id)
        self.trace_sink = TraceSink(
            self.rule_engine,
            self.metrics,
            store=self.trace_store,
            publisher=publisher,
            max_buffered_tokens=config.storage.max_buffered_tokens_per_request,
            max_buffered_bytes=config.storage.max_buffered_bytes,
            max_tokens_per_trace=config.storage.max_tokens_per_trace,
            concept_label=label,
            encoders=self.concept_encoders if config.encoder_scope == "flagged" else None,
        )
        # None: QueryTraces / GetTrace answer UNAVAILABLE (hub mode: traces are at the hub)
        self.trace_reader = (
            trace_reader if trace_reader is not None else trace_reader_of(self.trace_store)
        )
        self.pipeline = Pipeline(
            self.metrics,
            self.probe_sets,
            # the OTLP export shuts down after the trace sink (its last alerts go out)
            [
                MetricsSink(self.metrics),
                self.trace_sink,
                *sinks,
                *([self.otlp] if self.otlp is not None else []),
            ],
            queue_size=config.ingest.queue_size,
            request_ttl_s=config.request_ttl_s,
            max_queue_bytes=config.ingest.max_queue_bytes,
            encoder_shed_above=config.ingest.encoder_shed_above,
            defer_encoder=config.encoder_scope == "flagged",
            activation_sinks=activation_sinks,
            concept_encoders=self.concept_encoders,
            segmenter=build_segmenter(config.tokenizer_path, self.probes),
        )
        self._blocking = BlockingCalls(
            self.metrics,
            config.model_name or "",
            "llm-monitor-query",
            max_pending=config.server.query_queue_size,
        )
        interceptors, credentials = server_security(
            config.auth, config.tls, self.metrics, config.model_name or ""
        )
        self.receiver = Receiver(
            config.grpc_address,
            self.pipeline,
            self.metrics,
            max_batch_bytes=config.ingest.max_batch_bytes,
            expected_model=config.model_name,
            d_models={layer: ps.d_model for layer, ps in self.probe_sets.items()},
            layers=config.layers,
            limits=IngestLimits.of(config.ingest),
            services=query_services(
                self.trace_reader,
                self.alert_hub,
                self._reload_for_admin,
                self._blocking,
                unavailable=unavailable_reason(config.storage),
            ),
            interceptors=interceptors,
            credentials=credentials,
            options=config.server.grpc_options(),
            maximum_concurrent_rpcs=config.server.max_concurrent_rpcs,
            reflection=config.reflection,
        )
        self.ingest = self.receiver.handler
        self.watchdog = Watchdog(
            config.health,
            self.pipeline,
            self.receiver.server,
            trace_writer=self.trace_store,
            metrics=ServiceMetrics.of(self.registry),
            model_name=config.model_name or "",
            on_change=self.receiver.server.set_serving,
        )
        self._metrics_server: HealthHttpServer | None = None
        self._started = False

    @property
    def grpc_port(self) -> int:
        """The bound gRPC port (after ``start``; meaningless for unix sockets)."""
        return self.receiver.port

    @property
    def grpc_target(self) -> str:
        """What a local client dials, e.g. ``127.0.0.1:50051`` or ``unix:/run/x.sock``."""
        return self.receiver.target

    @property
    def metrics_port(self) -> int:
        """The bound port of the /metrics HTTP server (after ``start``)."""
        return self._metrics_server.port if self._metrics_server is not None else 0

    def start(self) -> None:
        """Start the pipeline worker, the gRPC server and the metrics server."""
        if self._started:
            raise RuntimeError("sidecar already started")
        self._started = True
        if self.trace_store is not None:
            self.trace_store.start()
        self.pipeline.start()
        config = self.config
        for warning in exposure_warnings(config.grpc_address, config.auth, config.tls):
            log.warning("%s", warning)
        try:
            self.receiver.start()
            self._metrics_server = self._start_http()
            self.watchdog.start()
        except BaseException:
            self.stop(grace=0)
            raise
        name_threads()  # top -H and the benches tell the threads apart
        log.info(
            "sidecar started: gRPC %s, metrics port %d, %d probe(s) on layer(s) %s",
            self.grpc_target,
            self.metrics_port,
            len(self.probes),
            sorted(self.probe_sets),
        )

    def stop(self, grace: float = 5.0) -> None:
        """Stop gRPC (``grace`` seconds for open streams), drain the queue, stop threads."""
        self.watchdog.stop()
        self.alert_hub.close()  # WatchAlerts streams end with OK before the server stops
        self.receiver.stop(grace)
        self._blocking.shutdown()
        # scores what is queued, ends open requests, then shuts every sink down (the trace
        # sink closes the trace store)
        self.pipeline.stop(self.config.ingest.drain_timeout_s)
        if self._metrics_server is not None:
            self._metrics_server.close()
            self._metrics_server = None

    def _start_http(self) -> HealthHttpServer:
        """/metrics, /healthz and /readyz on ``metrics_address``; raises ``OSError`` naming
        the address when it cannot be bound."""
        address = self.config.metrics_address
        host, port = parse_host_port(address)
        try:
            server = HealthHttpServer(
                (host.strip("[]"), port),
                self.registry,
                live=lambda: (self.watchdog.report().live, self.watchdog.report().describe()),
                ready=lambda: (self.watchdog.report().ready, self.watchdog.report().describe()),
                timeout_s=self.config.server.http_timeout_s,
                max_connections=self.config.server.http_max_connections,
            )
        except OSError as exc:
            raise OSError(f"cannot bind metrics_address {address}: {exc.strerror or exc}") from None
        server.serve_in_thread()
        return server

    def reload_rules(self, path: Path | None = None) -> int:
        """Re-read the rules of monitor.yaml (``path``, default the start-up file), check
        them against the loaded probes and swap them in; returns how many are active.

        An invalid file keeps the current rules, counts
        ``llm_monitor_config_reload_errors_total`` and raises ``ConfigError``/``RuleError``
        (both ValueErrors naming the problem). Only ``rules`` is reloaded.
        """
        source = path if path is not None else self.config_path
        try:
            if source is None:
                raise ConfigError("no monitor.yaml to reload: the sidecar started without one")
            rules = compile_rules(
                self._rules_or_default(load_config(source).rules), self.probes, str(source)
            )
        except (ConfigError, RuleError) as exc:
            self.metrics.model(self.config.model_name or "").config_reload_errors.inc()
            self.info_metrics.reloaded(False)
            log.error(
                "rule reload refused, keeping %d rule(s): %s", len(self.rule_engine.rules), exc
            )
            raise
        self.rule_engine.replace(rules)
        self.info_metrics.reloaded(True)
        log.info("rules reloaded from %s: %d rule(s)", source, len(rules))
        return len(rules)

    def _rules_or_default(self, rules: list[RuleConfig]) -> list[RuleConfig]:
        """``rules``, or with ``default_rules`` and none configured, one rule per loaded
        probe at its calibrated threshold and with its own aggregation."""
        if rules or not self._default_rules:
            return rules
        return [RuleConfig(name=f"{p.concept}-calibrated", concept=p.concept) for p in self.probes]

    def _reload_for_admin(self) -> tuple[int, str]:
        """``Admin.ReloadRules``: (rules now active, the file read)."""
        return self.reload_rules(), str(self.config_path)

    def __enter__(self) -> Sidecar:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
