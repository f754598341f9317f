"""Prometheus metrics of the sidecar, created once against an injected registry.

Every series carries ``model_name`` (except the cap counter); a request id is never a
label. Hot code asks ``SidecarMetrics.model(name)`` for a ``ModelMetrics`` whose label
children are cached, and only calls ``.inc()`` / ``.set()`` / ``.observe()`` on them.
The families themselves (names, help texts, buckets) are
:mod:`monitor.sidecar.metric_families`.

Label values never come from input unchecked, because every new value is a series that
lives for the life of the process. Reasons are mapped to the fixed sets below (anything
else becomes ``other``); model names are capped at ``max_models`` (then ``unknown``); and
every labelled family holds at most ``max_series_per_family`` series: a child asked for
beyond that is a no-op and ``llm_monitor_metric_series_capped_total{family}`` counts it.
"""

from __future__ import annotations

import threading
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from monitor.sidecar.bulk_histogram import BulkHistogramChild
from monitor.sidecar.metric_families import MetricFamilies
from monitor.sidecar.metric_labels import (
    DEFAULT_MAX_MODELS,
    DROP_REASONS,
    IGNORED_REASONS,
    NULL_CHILD,
    REJECT_REASONS,
    UNCAPTURED_REASONS,
    _Children,
)
from monitor.sidecar.metric_labels import (
    DEFAULT_MAX_SERIES_PER_FAMILY as DEFAULT_MAX_SERIES_PER_FAMILY,
)
from monitor.sidecar.metric_labels import UNKNOWN_MODEL as UNKNOWN_MODEL

TRACE_DROP_REASONS = frozenset({"queue_full", "shutdown", "spool_full"})
"""``reason`` of llm_monitor_trace_writes_dropped_total (writer.LOST_* values)."""


class SidecarMetrics(MetricFamilies):
    """All metric families of the sidecar, with cached per-model label children under
    the series caps."""

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        max_series_per_family: int = DEFAULT_MAX_SERIES_PER_FAMILY,
        max_models: int = DEFAULT_MAX_MODELS,
    ) -> None:
        super().__init__(registry)
        self.max_series_per_family = max_series_per_family
        self.max_models = max_models
        self._models: dict[str, ModelMetrics] = {}
        self._series: dict[str, int] = {}  # family name -> children created
        self._lock = threading.Lock()

    def model(self, model_name: str) -> ModelMetrics:
        """The cached label children for one model; beyond ``max_models`` distinct names,
        those of ``unknown`` (the cap is counted as family ``model_name``)."""
        found = self._models.get(model_name)
        if found is None:
            with self._lock:
                found = self._models.get(model_name)
                if found is None:
                    # one slot stays free for ``unknown``
                    if model_name != UNKNOWN_MODEL and len(self._models) >= self.max_models - 1:
                        capped = True
                    else:
                        capped = False
                        found = self._models[model_name] = ModelMetrics(self, model_name)
            if capped:
                self.series_capped.labels("model_name").inc()
                return self.model(UNKNOWN_MODEL)
        assert found is not None
        return found

    def child(self, family: Any, *labels: str) -> Any:
        """``family.labels(*labels)`` while the family is under its series cap, else a
        no-op child (counted). Children are created once per label set by the callers'
        caches, so the count is the family's number of series."""
        name = family._name
        with self._lock:
            count = self._series.get(name, 0)
            if count >= self.max_series_per_family:
                capped = True
            else:
                capped = False
                self._series[name] = count + 1
        if capped:
            self.series_capped.labels(name).inc()
            return NULL_CHILD
        return family.labels(*labels)

    def series(self, family_name: str) -> int:
        """How many labelled children ``child`` created for a family."""
        with self._lock:
            return self._series.get(family_name, 0)


class ModelMetrics:
    """Label children of one model; children with more labels are cached on first use."""

    def __init__(self, families: SidecarMetrics, model_name: str) -> None:
        self.model_name = model_name

        def labelled(family: Any, allowed: frozenset[str] | None = None) -> Any:
            return _Children(families, family, model_name, allowed)

        self.tokens_scored = families.tokens_scored.labels(model_name)
        self.batches_received = families.batches_received.labels(model_name)
        self.pipeline_errors = families.pipeline_errors.labels(model_name)
        self.queue_depth = families.queue_depth.labels(model_name)
        self.queue_bytes = families.queue_bytes.labels(model_name)
        self.scoring_duration = families.scoring_duration.labels(model_name)
        self.ingest_to_score = families.ingest_to_score.labels(model_name)
        self.encoder_rows_shed = families.encoder_rows_shed.labels(model_name)
        self.capture_to_score = families.capture_to_score.labels(model_name)
        self.trace_write_duration = families.trace_write_duration.labels(model_name)
        self.alerts_dropped = families.alerts_dropped.labels(model_name)
        #: by reason (``TRACE_DROP_REASONS`` or ``other``)
        self.trace_writes_dropped: _Children[Counter] = labelled(
            families.trace_writes_dropped, TRACE_DROP_REASONS
        )
        self.config_reload_errors = families.config_reload_errors.labels(model_name)
        self.trace_buffer_evictions = families.trace_buffer_evictions.labels(model_name)
        self.traces_truncated = families.traces_truncated.labels(model_name)
        #: by reason (a fixed set: monitor.sidecar.traces.store.LOST_REASONS)
        self.traces_lost: _Children[Counter] = labelled(families.traces_lost)
        #: by reason (``DROP_REASONS`` or ``other``)
        self.dropped: _Children[Counter] = labelled(families.activations_dropped, DROP_REASONS)
        #: by reason (``REJECT_REASONS`` or ``other``)
        self.rejected: _Children[Counter] = labelled(families.ingest_rejected, REJECT_REASONS)
        #: by reason (``UNCAPTURED_REASONS`` or ``other``)
        self.uncaptured: _Children[Counter] = labelled(
            families.tokens_uncaptured, UNCAPTURED_REASONS
        )
        #: by reason (``IGNORED_REASONS`` or ``other``)
        self.ignored: _Children[Counter] = labelled(families.ingest_ignored, IGNORED_REASONS)
        #: by concept
        self.non_finite_scores: _Children[Counter] = labelled(families.non_finite_scores)
        #: by concept
        self.probe_score: _Children[BulkHistogramChild] = labelled(families.probe_score)
        #: by concept
        self.request_score: _Children[Histogram] = labelled(families.request_score)
        #: by layer (the ingest asks only for configured or probed layers)
        self.capture_up: _Children[Gauge] = labelled(families.capture_up)
        #: by service
        self.auth_failures: _Children[Counter] = labelled(families.auth_failures)
        #: by method
        self.query_errors: _Children[Counter] = labelled(families.query_errors)
        #: by stage
        self.trace_errors: _Children[Counter] = labelled(families.trace_errors)
        #: by concept and severity
        self.alerts: _Children[Counter] = labelled(families.alerts)
        #: by concept and severity
        self.alert_notifications: _Children[Counter] = labelled(families.alert_notifications)
