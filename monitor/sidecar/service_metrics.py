"""Metrics of the serving side: WatchAlerts admission, the query worker and health checks.

One ``ServiceMetrics`` per registry (``ServiceMetrics.of(registry)`` creates it on first
use and returns the same object later), so the hub, the query services and the watchdog
share the families without passing them around. Label values come from fixed enums
(the ``*_REASONS`` tuples and ``HEALTH_CHECKS``) and the configured model name, never
from a request.
"""

from __future__ import annotations

import threading
import weakref
from typing import ClassVar

from prometheus_client import CollectorRegistry, Counter, Gauge

#: why a WatchAlerts subscription was refused
WATCH_REFUSED_REASONS = ("max_subscribers", "per_peer")
#: why the sidecar ended a WatchAlerts stream
WATCH_ENDED_REASONS = ("slow", "shutdown")
#: why a query or reload was refused before running
QUERY_REFUSED_REASONS = ("queue_full", "deadline")
#: the watchdog's checks (``llm_monitor_health_check``)
HEALTH_CHECKS = ("pipeline", "queue_age", "trace_writer", "trace_writes", "server")


class ServiceMetrics:
    """The families; children are looked up by the configured model name."""

    _by_registry: ClassVar[weakref.WeakKeyDictionary[CollectorRegistry, ServiceMetrics]] = (
        weakref.WeakKeyDictionary()
    )
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def of(cls, registry: CollectorRegistry) -> ServiceMetrics:
        """The registry's ``ServiceMetrics``, created (families registered) on first use."""
        with cls._lock:
            found = cls._by_registry.get(registry)
            if found is None:
                found = cls._by_registry[registry] = cls(registry)
            return found

    def __init__(self, registry: CollectorRegistry) -> None:
        model = ("model_name",)
        self.watch_subscribers = Gauge(
            "llm_monitor_watch_subscribers",
            "WatchAlerts streams open now.",
            model,
            registry=registry,
        )
        self.watch_refused = Counter(
            "llm_monitor_watch_refused",
            "WatchAlerts subscriptions refused with RESOURCE_EXHAUSTED, by limit.",
            (*model, "reason"),
            registry=registry,
        )
        self.watch_streams_ended = Counter(
            "llm_monitor_watch_streams_ended",
            "WatchAlerts streams the sidecar ended: slow (too many alerts dropped in a row) "
            "or shutdown.",
            (*model, "reason"),
            registry=registry,
        )
        self.query_refused = Counter(
            "llm_monitor_query_refused",
            "TraceQuery/Admin calls refused before running: queue_full (RESOURCE_EXHAUSTED) "
            "or deadline (DEADLINE_EXCEEDED while waiting).",
            (*model, "method", "reason"),
            registry=registry,
        )
        self.health_check = Gauge(
            "llm_monitor_health_check",
            "1 while a watchdog check passes, 0 while it fails (any 0 = NOT_SERVING).",
            (*model, "check"),
            registry=registry,
        )
        self.serving = Gauge(
            "llm_monitor_serving",
            "1 while gRPC health reports SERVING and /readyz answers 200.",
            model,
            registry=registry,
        )
