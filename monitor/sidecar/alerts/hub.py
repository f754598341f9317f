"""Fan-out of fired alerts to ``WatchAlerts`` subscribers.

``AlertHub.publish`` runs on the pipeline thread and never blocks: each subscriber has
its own bounded queue, and a subscriber whose queue is full loses the alert (counted in
``llm_monitor_alerts_dropped_total``) without slowing anyone else. Subscribers consume
on an asyncio event loop (the gRPC server's); they are woken with
``call_soon_threadsafe`` only when their queue turns non-empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from monitor.logutil import RateLimitedLog
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.severity import Severity, severity_rank
from monitor.v1 import query_pb2

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 256


class AlertPublisher(Protocol):
    """Where fired alerts go (the WatchAlerts fan-out); ``publish`` never blocks."""

    def publish(self, alert: query_pb2.Alert) -> None:
        """Hand one alert to every current subscriber."""
        ...


@dataclass(frozen=True)
class AlertFilter:
    """What one subscriber wants; '' / None means any."""

    concept: str = ""
    model_name: str = ""
    min_severity: Severity | None = None

    def matches(self, alert: query_pb2.Alert) -> bool:
        """True when the alert passes every filter (an unknown severity passes only 'any')."""
        if self.concept and alert.concept != self.concept:
            return False
        if self.model_name and alert.model_name != self.model_name:
            return False
        if self.min_severity is not None:
            try:
                return severity_rank(alert.severity) >= severity_rank(self.min_severity)
            except ValueError:
                return False
        return True


class Subscription:
    """One subscriber's bounded queue; consumed with ``await next_alert()``."""

    def __init__(
        self, hub: AlertHub, wanted: AlertFilter, maxsize: int, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.filter = wanted
        self._hub = hub
        self._maxsize = maxsize
        self._loop = loop
        self._queue: deque[query_pb2.Alert] = deque()
        self._ready = asyncio.Event()  # touched only on the loop
        self._closed = False
        self.dropped = 0

    @property
    def closed(self) -> bool:
        return self._closed

    def offer(self, alert: query_pb2.Alert) -> bool:
        """Queue an alert (called with the hub's lock held); False if the queue is full."""
        if self._closed:
            return True
        if len(self._queue) >= self._maxsize:
            self.dropped += 1
            return False
        was_empty = not self._queue
        self._queue.append(alert)
        if was_empty:
            self._wake()
        return True

    def end(self) -> None:
        """Mark the subscription finished; the consumer sees None after what is queued."""
        self._closed = True
        self._wake()

    async def next_alert(self) -> query_pb2.Alert | None:
        """The next alert, waiting for one; None once the subscription has ended."""
        while True:
            if self._queue:
                return self._queue.popleft()
            if self._closed:
                return None
            self._ready.clear()
            if self._queue or self._closed:
                continue
            await self._ready.wait()

    def close(self) -> None:
        """Unsubscribe (the stream ended or was cancelled)."""
        self._hub.unsubscribe(self)

    def _wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop has nobody waiting
            self._loop.call_soon_threadsafe(self._ready.set)


class AlertHub:
    """Implements ``AlertPublisher``: hands each alert to every matching subscriber."""

    def __init__(self, metrics: SidecarMetrics, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        if queue_size <= 0:
            raise ValueError(f"queue_size must be positive, got {queue_size}")
        self._metrics = metrics
        self._queue_size = queue_size
        self._subscribers: list[Subscription] = []
        self._lock = threading.Lock()
        self._closed = False
        self._drop_log = RateLimitedLog(log)
        self.published = 0

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def subscribe(self, wanted: AlertFilter) -> Subscription:
        """A new subscription consumed on the running event loop (ended if the hub is closed)."""
        sub = Subscription(self, wanted, self._queue_size, asyncio.get_running_loop())
        with self._lock:
            if self._closed:
                sub.end()
            else:
                self._subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Forget a subscription; safe to call more than once."""
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)
        sub.end()

    def publish(self, alert: query_pb2.Alert) -> None:
        """Offer the alert to every matching subscriber; never blocks, never raises."""
        dropped = 0
        with self._lock:
            self.published += 1
            for sub in self._subscribers:
                if sub.filter.matches(alert) and not sub.offer(alert):
                    dropped += 1
        if dropped:
            self._metrics.model(alert.model_name).alerts_dropped.inc(dropped)
            self._drop_log.warning(
                "a WatchAlerts subscriber is too slow; dropped alert %s", alert.alert_id
            )

    def close(self) -> None:
        """End every subscription (server shutdown); later subscriptions end at once."""
        with self._lock:
            self._closed = True
            subscribers, self._subscribers = self._subscribers, []
        for sub in subscribers:
            sub.end()
