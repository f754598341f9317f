"""Prometheus metrics of the sidecar, created once against an injected registry.

Every series carries ``model_name``; a request id is never a label. Hot code asks
``SidecarMetrics.model(name)`` for a ``ModelMetrics`` whose label children are cached,
and only calls ``.inc()`` / ``.set()`` / ``.observe()`` on them.
"""

from __future__ import annotations

import threading
from typing import Any, Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from monitor.sidecar.bulk_histogram import BulkHistogram, BulkHistogramChild

C = TypeVar("C")

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


class _Children(Generic[C]):
    """One family's label children for one model, created on first use and cached.

    ``children(*labels)`` is the child for ``(model_name, *labels)``; label values are
    turned into strings once, when the child is created. Reads skip prometheus_client's
    lock (``labels()`` caches too, but under a lock), which matters on the hot path.
    """

    __slots__ = ("_cache", "_family", "_model_name")

    def __init__(self, family: Any, model_name: str) -> None:
        self._family = family
        self._model_name = model_name
        self._cache: dict[tuple[object, ...], C] = {}

    def __call__(self, *labels: object) -> C:
        child = self._cache.get(labels)
        if child is None:
            child = self._cache[labels] = self._family.labels(
                self._model_name, *(str(label) for label in labels)
            )
        return child


class ModelMetrics:
    """Label children of one model; children with more labels are cached on first use."""

    def __init__(self, families: SidecarMetrics, model_name: str) -> None:
        self.model_name = model_name
        self.tokens_scored = families.tokens_scored.labels(model_name)
        self.batches_received = families.batches_received.labels(model_name)
        self.pipeline_errors = families.pipeline_errors.labels(model_name)
        self.queue_depth = families.queue_depth.labels(model_name)
        self.alerts_dropped = families.alerts_dropped.labels(model_name)
        self.trace_writes_dropped = families.trace_writes_dropped.labels(model_name)
        self.config_reload_errors = families.config_reload_errors.labels(model_name)
        #: by reason
        self.dropped: _Children[Counter] = _Children(families.activations_dropped, model_name)
        #: by reason
        self.rejected: _Children[Counter] = _Children(families.ingest_rejected, model_name)
        #: by reason
        self.uncaptured: _Children[Counter] = _Children(families.tokens_uncaptured, model_name)
        #: by concept
        self.probe_score: _Children[BulkHistogramChild] = _Children(
            families.probe_score, model_name
        )
        #: by concept
        self.request_score: _Children[Histogram] = _Children(families.request_score, model_name)
        #: by layer
        self.capture_up: _Children[Gauge] = _Children(families.capture_up, model_name)
        #: by service
        self.auth_failures: _Children[Counter] = _Children(families.auth_failures, model_name)
        #: by method
        self.query_errors: _Children[Counter] = _Children(families.query_errors, model_name)
        #: by stage
        self.trace_errors: _Children[Counter] = _Children(families.trace_errors, model_name)
        #: by concept and severity
        self.alerts: _Children[Counter] = _Children(families.alerts, model_name)
