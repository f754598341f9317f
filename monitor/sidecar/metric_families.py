"""The sidecar's Prometheus metric families: names, help texts, labels and buckets.

The catalogue of what the sidecar exports, registered once against an injected registry,
kept apart from how it is labelled: the per-model label children and the series caps
that keep label values bounded are :class:`monitor.sidecar.metrics.SidecarMetrics`,
which builds on this class.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from monitor.sidecar.bulk_histogram import BulkHistogram
from monitor.sidecar.metric_buckets import LAG_BUCKETS, SCORING_BUCKETS, WRITE_BUCKETS

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


class MetricFamilies:
    """Every metric family of the sidecar, registered against ``registry``."""

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
            "Rule firings, every one, also those within the rule's cooldown; counted when "
            "the firing's trace update is committed or lost (at once without a trace store).",
            (*model, "concept", "severity"),
            registry=registry,
        )
        self.alert_notifications = Counter(
            "llm_monitor_alert_notifications",
            "Rule firings outside the rule's cooldown, handed to WatchAlerts at the same "
            "moment as they are counted in llm_monitor_alerts_total.",
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
        self.queue_bytes = Gauge(
            "llm_monitor_ingest_queue_bytes",
            "Bytes of decoded activation batches waiting in the ingest queue to be scored.",
            model,
            registry=registry,
        )
        self.scoring_duration = Histogram(
            "llm_monitor_scoring_duration_seconds",
            "Wall time to score one batch: probes, concept encoder, rules and sinks.",
            model,
            buckets=SCORING_BUCKETS,
            registry=registry,
        )
        self.ingest_to_score = Histogram(
            "llm_monitor_ingest_to_score_seconds",
            "From the ingest receiving a batch to the end of its scoring (queueing included).",
            model,
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.capture_to_score = Histogram(
            "llm_monitor_capture_to_score_seconds",
            "From the end of the engine step that computed a batch (the producer's clock) to "
            "the end of its scoring: shipping, queueing and scoring.",
            model,
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.trace_write_duration = Histogram(
            "llm_monitor_trace_write_duration_seconds",
            "Wall time of one trace-store write transaction (a batch of trace updates, "
            "committed or failed).",
            model,
            buckets=WRITE_BUCKETS,
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
            "Flagged-trace writes (updates) refused, by reason: queue_full (the trace "
            "store's queue), shutdown (after close), spool_full (the hub outbox at "
            "storage.hub.spool_max_mb).",
            (*model, "reason"),
            registry=registry,
        )
        self.trace_spool_bytes = Gauge(
            "llm_monitor_trace_spool_bytes",
            "Hub mode: bytes of trace updates in the outbox, not yet acknowledged by the hub.",
            model,
            registry=registry,
        )
        self.trace_spool_rows = Gauge(
            "llm_monitor_trace_spool_rows",
            "Hub mode: outbox rows (batches of trace updates) not yet acknowledged by the hub.",
            model,
            registry=registry,
        )
        self.trace_spool_oldest_age = Gauge(
            "llm_monitor_trace_spool_oldest_age_seconds",
            "Hub mode: age of the oldest outbox row (0 when the outbox is empty).",
            model,
            registry=registry,
        )
        self.trace_updates_spooled = Counter(
            "llm_monitor_trace_updates_spooled",
            "Hub mode: trace updates committed to the outbox (the durable acknowledgement).",
            model,
            registry=registry,
        )
        self.trace_updates_shipped = Counter(
            "llm_monitor_trace_updates_shipped",
            "Hub mode: trace updates the hub acknowledged (then deleted from the outbox).",
            model,
            registry=registry,
        )
        self.trace_updates_rejected = Counter(
            "llm_monitor_trace_updates_rejected",
            "Hub mode: trace updates deleted from the outbox because the hub refused their "
            "push as malformed (INVALID_ARGUMENT; never retried).",
            model,
            registry=registry,
        )
        self.trace_pushes = Counter(
            "llm_monitor_trace_pushes",
            "Hub mode: pushes the hub acknowledged.",
            model,
            registry=registry,
        )
        self.trace_ship_retries = Counter(
            "llm_monitor_trace_ship_retries",
            "Hub mode: failed pushes that will be retried after a backoff, by gRPC status "
            "code (unavailable, resource_exhausted, deadline_exceeded, unauthenticated, ...).",
            (*model, "code"),
            registry=registry,
        )
        self.trace_errors = Counter(
            "llm_monitor_trace_errors",
            "Errors of the rule engine and trace store, by stage (sink, write, decode, prune).",
            (*model, "stage"),
            registry=registry,
        )
        self.trace_buffer_evictions = Counter(
            "llm_monitor_trace_buffer_evictions",
            "In-flight requests whose buffered tokens were dropped to keep all buffers "
            "within storage.max_buffered_bytes (oldest request first).",
            model,
            registry=registry,
        )
        self.traces_lost = Counter(
            "llm_monitor_traces_lost",
            "Flagged traces (or parts of them) not stored, counted once per trace, by reason "
            "(queue_full, disk_full, write_error, shutdown, spool_full).",
            (*model, "reason"),
            registry=registry,
        )
        self.traces_truncated = Counter(
            "llm_monitor_traces_truncated",
            "Flagged traces that reached storage.max_tokens_per_trace; later tokens are not "
            "stored.",
            model,
            registry=registry,
        )
        self.config_reload_errors = Counter(
            "llm_monitor_config_reload_errors",
            "Rule reloads refused because the new monitor.yaml was invalid.",
            model,
            registry=registry,
        )
        self.ingest_ignored = Counter(
            "llm_monitor_ingest_ignored",
            "Parts of accepted ingest messages that were not used, by reason (hello_layer: "
            "a layer neither configured nor probed; drop_claim: an implausible drop counter).",
            (*model, "reason"),
            registry=registry,
        )
        self.encoder_rows_shed = Counter(
            "llm_monitor_encoder_rows_shed",
            "Rows scored by probes without the concept encoder because the ingest queue was "
            "fuller than ingest.encoder_shed_above (their traces carry no concepts).",
            model,
            registry=registry,
        )
        self.non_finite_scores = Counter(
            "llm_monitor_non_finite_scores",
            "Token scores that came out NaN or infinite; rules read them as 1.0.",
            (*model, "concept"),
            registry=registry,
        )
        self.series_capped = Counter(
            "llm_monitor_metric_series_capped",
            "Label sets refused because their family reached its series cap (or the model "
            "cap, family model_name); their updates are dropped.",
            ("family",),
            registry=registry,
        )
