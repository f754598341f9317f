"""Prometheus metrics of the hub's ingest side (``llm_monitor_hub_*``), on an injected registry.

Labels come from fixed sets (``PUSH_OUTCOMES``, ``TABLES``), never from a request: a
source (sidecar) is not a label, since a fleet has hundreds of them and they come and go.
The query side reuses the sidecar's families (``llm_monitor_query_*``, ``llm_monitor_watch_*``,
``llm_monitor_auth_failures_total``) on the same registry.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from monitor.sidecar.metric_buckets import WRITE_BUCKETS

#: what became of a push: stored; refused as malformed (INVALID_ARGUMENT); refused while
#: ``limits.max_inflight_pushes`` were busy (RESOURCE_EXHAUSTED); the database failed
#: (UNAVAILABLE); the hub was stopping (UNAVAILABLE); an unexpected error (INTERNAL)
PUSH_OUTCOMES = ("ok", "invalid", "busy", "unavailable", "stopping", "error")
#: the fleet store's tables, counted in rows written (replays count again)
TABLES = ("traces", "trace_tokens", "alerts", "concept_labels")


class HubMetrics:
    """The families of the ingest side, children created up front."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        pushes = Counter(
            "llm_monitor_hub_pushes",
            "TraceIngest.Push calls by outcome: ok, invalid (INVALID_ARGUMENT), busy "
            "(RESOURCE_EXHAUSTED), unavailable (database failed), stopping, error (INTERNAL).",
            ("outcome",),
            registry=registry,
        )
        self.pushes = {outcome: pushes.labels(outcome) for outcome in PUSH_OUTCOMES}
        rows = Counter(
            "llm_monitor_hub_rows_stored",
            "Rows written to the fleet store by table (traces: one per update; trace_tokens: "
            "one per token and layer). A replayed push counts again; readers see it once.",
            ("table",),
            registry=registry,
        )
        self.rows = {table: rows.labels(table) for table in TABLES}
        self.push_duration = Histogram(
            "llm_monitor_hub_push_duration_seconds",
            "Seconds from a push's arrival to its answer (decoding and the database write).",
            buckets=WRITE_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "llm_monitor_hub_pushes_in_flight",
            "Pushes being decoded or written now (at most limits.max_inflight_pushes).",
            registry=registry,
        )
        self.bytes_received = Counter(
            "llm_monitor_hub_received_bytes",
            "Bytes of PushRequest messages received (serialized size).",
            registry=registry,
        )
        self.store_up = Gauge(
            "llm_monitor_hub_store_up",
            "1 when the last check of the store (every few seconds) answered, else 0; /readyz "
            "fails while it is 0.",
            registry=registry,
        )
        self.store_up.set(1)
        self.alerts_published = Counter(
            "llm_monitor_hub_alerts_published",
            "Alerts handed to the hub's WatchAlerts streams (after their push committed; "
            "suppressed and replayed alerts are not).",
            registry=registry,
        )
