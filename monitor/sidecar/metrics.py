"""Prometheus metrics of the sidecar, created once against an injected registry.

Every series carries ``model_name``; a request id is never a label. Hot code asks
``SidecarMetrics.model(name)`` for a ``ModelMetrics`` whose label children are cached,
and only calls ``.inc()`` / ``.set()`` / ``.observe()`` on them.
"""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from monitor.sidecar.bulk_histogram import BulkHistogram, BulkHistogramChild

SCORE_BUCKETS: tuple[float, ...] = (
    0.01,
    0.05,
    0.1,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.7,
    0.8,
    0.9,
    0.95,
    0.99,
    1.0,
)


class SidecarMetrics:
    """All metric families of the sidecar."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        model = ("model_name",)
        self.tokens_scored = Counter(
            "llm_monitor_tokens_scored",
            "Captured tokens processed by the scoring pipeline.",
            model,
            registry=registry,
        )
        self.batches_received = Counter(
            "llm_monitor_batches_received",
            "Activation batches accepted by the ingest.",
            model,
            registry=registry,
        )
        self.activations_dropped = Counter(
            "llm_monitor_activations_dropped",
            "Activation rows lost before scoring, by reason (producer or sidecar side).",
            (*model, "reason"),
            registry=registry,
        )
        self.ingest_rejected = Counter(
            "llm_monitor_ingest_rejected",
            "Ingest messages rejected as malformed, by reason.",
            (*model, "reason"),
            registry=registry,
        )
        self.tokens_uncaptured = Counter(
            "llm_monitor_tokens_uncaptured",
            "Tokens of requests with no captured activations, by reason.",
            (*model, "reason"),
            registry=registry,
        )
        self.pipeline_errors = Counter(
            "llm_monitor_pipeline_errors",
            "Unexpected errors in the scoring pipeline.",
            model,
            registry=registry,
        )
        self.alerts = Counter(
            "llm_monitor_alerts",
            "Alerts raised by the rule engine.",
            (*model, "concept", "severity"),
            registry=registry,
        )
        self.probe_score = BulkHistogram(
            "llm_monitor_probe_score",
            "Per-token probe scores.",
            (*model, "concept"),
            buckets=SCORE_BUCKETS,
            registry=registry,
        )
        self.request_score = Histogram(
            "llm_monitor_request_score",
            "Aggregated per-request probe scores, observed when the request finishes.",
            (*model, "concept"),
            buckets=SCORE_BUCKETS,
            registry=registry,
        )
        self.queue_depth = Gauge(
            "llm_monitor_ingest_queue_depth",
            "Batches waiting in the ingest queue.",
            model,
            registry=registry,
        )
        self.capture_up = Gauge(
            "llm_monitor_capture_up",
            "1 when a connected producer reports working capture for the layer.",
            (*model, "layer"),
            registry=registry,
        )
        self.alerts_dropped = Counter(
            "llm_monitor_alerts_dropped",
            "Alerts a WatchAlerts subscriber lost because it fell behind.",
            model,
            registry=registry,
        )
        self.auth_failures = Counter(
            "llm_monitor_auth_failures",
            "gRPC calls refused for a missing or wrong bearer token, by service.",
            (*model, "service"),
            registry=registry,
        )
        self.query_errors = Counter(
            "llm_monitor_query_errors",
            "Query API calls that failed inside the sidecar (trace store or rule reload errors).",
            (*model, "method"),
            registry=registry,
        )
        self.trace_writes_dropped = Counter(
            "llm_monitor_trace_writes_dropped",
            "Flagged-trace writes lost because the trace store's queue was full.",
            model,
            registry=registry,
        )
        self.trace_errors = Counter(
            "llm_monitor_trace_errors",
            "Errors of the rule engine and trace store, by stage (sink, write, decode, prune).",
            (*model, "stage"),
            registry=registry,
        )
        self.config_reload_errors = Counter(
            "llm_monitor_config_reload_errors",
            "Rule reloads refused because the new monitor.yaml was invalid.",
            model,
            registry=registry,
        )
        self._models: dict[str, ModelMetrics] = {}
        self._lock = threading.Lock()

    def model(self, model_name: str) -> ModelMetrics:
        """The cached label children for one model."""
        found = self._models.get(model_name)
        if found is None:
            with self._lock:
                found = self._models.get(model_name)
                if found is None:
                    found = ModelMetrics(self, model_name)
                    self._models[model_name] = found
        return found


class ModelMetrics:
    """Label children of one model; children with more labels are cached on first use."""

    def __init__(self, families: SidecarMetrics, model_name: str) -> None:
        self._f = families
        self.model_name = model_name
        self.tokens_scored = families.tokens_scored.labels(model_name)
        self.batches_received = families.batches_received.labels(model_name)
        self.pipeline_errors = families.pipeline_errors.labels(model_name)
        self.queue_depth = families.queue_depth.labels(model_name)
        self.alerts_dropped = families.alerts_dropped.labels(model_name)
        self._dropped: dict[str, Counter] = {}
        self._rejected: dict[str, Counter] = {}
        self._uncaptured: dict[str, Counter] = {}
        self._probe_score: dict[str, BulkHistogramChild] = {}
        self._request_score: dict[str, Histogram] = {}
        self._capture_up: dict[int, Gauge] = {}
        self._alerts: dict[tuple[str, str], Counter] = {}
        self._auth_failures: dict[str, Counter] = {}
        self._query_errors: dict[str, Counter] = {}
        self.trace_writes_dropped = families.trace_writes_dropped.labels(model_name)
        self.config_reload_errors = families.config_reload_errors.labels(model_name)
        self._trace_errors: dict[str, Counter] = {}

    def dropped(self, reason: str) -> Counter:
        child = self._dropped.get(reason)
        if child is None:
            child = self._dropped[reason] = self._f.activations_dropped.labels(
                self.model_name, reason
            )
        return child

    def rejected(self, reason: str) -> Counter:
        child = self._rejected.get(reason)
        if child is None:
            child = self._rejected[reason] = self._f.ingest_rejected.labels(self.model_name, reason)
        return child

    def uncaptured(self, reason: str) -> Counter:
        child = self._uncaptured.get(reason)
        if child is None:
            child = self._uncaptured[reason] = self._f.tokens_uncaptured.labels(
                self.model_name, reason
            )
        return child

    def probe_score(self, concept: str) -> BulkHistogramChild:
        child = self._probe_score.get(concept)
        if child is None:
            child = self._probe_score[concept] = self._f.probe_score.labels(
                self.model_name, concept
            )
        return child

    def request_score(self, concept: str) -> Histogram:
        child = self._request_score.get(concept)
        if child is None:
            child = self._request_score[concept] = self._f.request_score.labels(
                self.model_name, concept
            )
        return child

    def capture_up(self, layer: int) -> Gauge:
        child = self._capture_up.get(layer)
        if child is None:
            child = self._capture_up[layer] = self._f.capture_up.labels(self.model_name, str(layer))
        return child

    def auth_failures(self, service: str) -> Counter:
        child = self._auth_failures.get(service)
        if child is None:
            child = self._auth_failures[service] = self._f.auth_failures.labels(
                self.model_name, service
            )
        return child

    def query_errors(self, method: str) -> Counter:
        child = self._query_errors.get(method)
        if child is None:
            child = self._query_errors[method] = self._f.query_errors.labels(
                self.model_name, method
            )
        return child

    def trace_errors(self, stage: str) -> Counter:
        child = self._trace_errors.get(stage)
        if child is None:
            child = self._trace_errors[stage] = self._f.trace_errors.labels(self.model_name, stage)
        return child

    def alerts(self, concept: str, severity: str) -> Counter:
        key = (concept, severity)
        child = self._alerts.get(key)
        if child is None:
            child = self._alerts[key] = self._f.alerts.labels(self.model_name, concept, severity)
        return child
