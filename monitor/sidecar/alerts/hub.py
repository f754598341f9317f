"""Fan-out of fired alerts to ``WatchAlerts`` subscribers, with admission and eviction.

``AlertHub.publish`` runs on the pipeline thread and never blocks: each subscriber has
its own bounded queue, and a subscriber whose queue is full loses the alert (counted in
``llm_monitor_alerts_dropped_total``) without slowing anyone else. A subscriber that
loses ``max_consecutive_drops`` alerts in a row is ended (``reason="slow"`` in
``llm_monitor_watch_streams_ended_total``): a client that never reads costs the server
a bounded amount of work, then nothing.

Admission: at most ``max_subscribers`` streams in all and ``max_per_peer`` per client
host; beyond either, ``subscribe`` raises ``SubscriberLimit`` (the servicer answers
RESOURCE_EXHAUSTED and counts ``llm_monitor_watch_refused_total``). Without limits, idle
subscribers absorb writes on the event loop until their flow-control windows fill, and
every alert wakes all of them; the limits bound that work.

Subscribers consume on an asyncio event loop (the gRPC server's). ``publish`` wakes the
subscribers whose queue turned non-empty with one ``call_soon_threadsafe`` per loop and
alert, not one per subscriber, so the pipeline thread's cost per alert stays small.
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
from monitor.sidecar.service_metrics import ServiceMetrics
from monitor.sidecar.severity import Severity, severity_rank
from monitor.v1 import query_pb2

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 256
DEFAULT_MAX_SUBSCRIBERS = 64
DEFAULT_MAX_PER_PEER = 8
DEFAULT_MAX_CONSECUTIVE_DROPS = 256

ENDED_SLOW = "slow"


class AlertPublisher(Protocol):
    """Where fired alerts go (the WatchAlerts fan-out); ``publish`` never blocks."""

    def publish(self, alert: query_pb2.Alert) -> None:
        """Hand one alert to every current subscriber."""
        ...


class SubscriberLimit(Exception):
    """A subscription refused by a limit; ``reason`` is ``max_subscribers`` or ``per_peer``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class WatchLimits:
    """The hub's bounds (``watch:`` in monitor.yaml)."""

    queue_size: int = DEFAULT_QUEUE_SIZE
    max_subscribers: int = DEFAULT_MAX_SUBSCRIBERS
    max_per_peer: int = DEFAULT_MAX_PER_PEER
    max_consecutive_drops: int = DEFAULT_MAX_CONSECUTIVE_DROPS


@dataclass(frozen=True)
class AlertFilter:
    """What one subscriber wants; '' / None means any."""

    concept: str = ""
    model_name: str = ""
    min_severity: Severity | None = None
    source: str = ""

    def matches(self, alert: query_pb2.Alert) -> bool:
        """True when the alert passes every filter (an unknown severity passes only 'any')."""
        if self.concept and alert.concept != self.concept:
            return False
        if self.source and alert.source != self.source:
            return False
        if self.model_name and alert.model_name != self.model_name:
            return False
        if self.min_severity is not None:
            try:
                return severity_rank(alert.severity) >= severity_rank(self.min_severity)
            except ValueError:
                return False
        return True


def peer_host(peer: str) -> str:
    """The client host of a gRPC peer string (``ipv4:1.2.3.4:5678`` -> ``ipv4:1.2.3.4``);
    unix sockets are one peer."""
    if peer.startswith("unix"):
        return "unix"
    if peer.startswith(("ipv4:", "ipv6:")):
        return peer.rpartition(":")[0]
    return peer


class Subscription:
    """One subscriber's bounded queue; consumed with ``await next_alert()``."""

    def __init__(
        self,
        hub: AlertHub,
        wanted: AlertFilter,
        maxsize: int,
        loop: asyncio.AbstractEventLoop,
        peer: str = "",
    ) -> None:
        self.filter = wanted
        self.peer = peer
        self._hub = hub
        self._maxsize = maxsize
        self._loop = loop
        self._queue: deque[query_pb2.Alert] = deque()
        self._ready = asyncio.Event()  # touched only on the loop
        self._closed = False
        self.dropped = 0
        self.consecutive_drops = 0
        self.ended_reason = ""  # "slow" when the hub ended it for losing too many alerts

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def offer(self, alert: query_pb2.Alert) -> bool | None:
        """Queue an alert (called with the hub's lock held): True when queued and the
        consumer must be woken, None when queued (already awake), False when dropped."""
        if self._closed:
            return None
        if len(self._queue) >= self._maxsize:
            self.dropped += 1
            self.consecutive_drops += 1
            return False
        self.consecutive_drops = 0
        was_empty = not self._queue
        self._queue.append(alert)
        return True if was_empty else None

    def end(self, reason: str = "") -> None:
        """Mark the subscription finished; the consumer sees None after what is queued
        (at once when ended as slow)."""
        if self._closed:
            return
        self._closed = True
        if reason:
            self.ended_reason = reason
            self._queue.clear()
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

    def wake_now(self) -> None:
        """Wake the consumer; on the loop only."""
        self._ready.set()

    def _wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop has nobody waiting
            self._loop.call_soon_threadsafe(self._ready.set)


def _wake_all(subs: list[Subscription]) -> None:
    for sub in subs:
        sub.wake_now()


class AlertHub:
    """Implements ``AlertPublisher``: hands each alert to every matching subscriber."""

    def __init__(
        self,
        metrics: SidecarMetrics,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        *,
        limits: WatchLimits | None = None,
        model_name: str = "",
    ) -> None:
        limits = limits if limits is not None else WatchLimits(queue_size=queue_size)
        for name in ("queue_size", "max_subscribers", "max_per_peer", "max_consecutive_drops"):
            if getattr(limits, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(limits, name)}")
        self._metrics = metrics
        service = ServiceMetrics.of(metrics.registry)
        self._gauge = service.watch_subscribers.labels(model_name)
        self._refused = {
            reason: service.watch_refused.labels(model_name, reason)
            for reason in ("max_subscribers", "per_peer")
        }
        self._ended_slow = service.watch_streams_ended.labels(model_name, ENDED_SLOW)
        self._ended_shutdown = service.watch_streams_ended.labels(model_name, "shutdown")
        self.limits = limits
        self._subscribers: list[Subscription] = []
        self._per_peer: dict[str, int] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._drop_log = RateLimitedLog(log)
        self.published = 0

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def subscribe(self, wanted: AlertFilter, peer: str = "") -> Subscription:
        """A new subscription consumed on the running event loop (ended if the hub is
        closed); raises ``SubscriberLimit`` (counted) beyond a limit."""
        host = peer_host(peer)
        sub = Subscription(self, wanted, self.limits.queue_size, asyncio.get_running_loop(), host)
        with self._lock:
            if self._closed:
                sub.end()
                return sub
            if len(self._subscribers) >= self.limits.max_subscribers:
                self._refused["max_subscribers"].inc()
                raise SubscriberLimit(
                    "max_subscribers",
                    f"too many WatchAlerts subscribers ({self.limits.max_subscribers}, "
                    "watch.max_subscribers)",
                )
            if self._per_peer.get(host, 0) >= self.limits.max_per_peer:
                self._refused["per_peer"].inc()
                raise SubscriberLimit(
                    "per_peer",
                    f"too many WatchAlerts subscribers from this client "
                    f"({self.limits.max_per_peer}, watch.max_subscribers_per_peer)",
                )
            self._subscribers.append(sub)
            self._per_peer[host] = self._per_peer.get(host, 0) + 1
            self._gauge.set(len(self._subscribers))
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Forget a subscription; safe to call more than once."""
        with self._lock:
            self._forget(sub)
        sub.end()

    def _forget(self, sub: Subscription) -> bool:
        """Remove ``sub`` (lock held); False if it was not subscribed."""
        if sub not in self._subscribers:
            return False
        self._subscribers.remove(sub)
        left = self._per_peer.get(sub.peer, 1) - 1
        if left > 0:
            self._per_peer[sub.peer] = left
        else:
            self._per_peer.pop(sub.peer, None)
        self._gauge.set(len(self._subscribers))
        return True

    def publish(self, alert: query_pb2.Alert) -> None:
        """Offer the alert to every matching subscriber; never blocks, never raises."""
        dropped = 0
        wake: dict[asyncio.AbstractEventLoop, list[Subscription]] = {}
        slow: list[Subscription] = []
        limit = self.limits.max_consecutive_drops
        with self._lock:
            self.published += 1
            for sub in self._subscribers:
                if not sub.filter.matches(alert):
                    continue
                queued = sub.offer(alert)
                if queued:
                    wake.setdefault(sub.loop, []).append(sub)
                elif queued is False:
                    dropped += 1
                    if sub.consecutive_drops >= limit:
                        slow.append(sub)
            for sub in slow:
                self._forget(sub)
        for loop, subs in wake.items():
            with contextlib.suppress(RuntimeError):  # a closed loop has nobody waiting
                loop.call_soon_threadsafe(_wake_all, subs)
        for sub in slow:
            sub.end(ENDED_SLOW)
            self._ended_slow.inc()
            self._drop_log.warning(
                "ended a WatchAlerts stream from %s: %d alerts in a row did not fit its queue",
                sub.peer or "a client",
                limit,
            )
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
            self._per_peer.clear()
            self._gauge.set(0)
        for sub in subscribers:
            sub.end()
        if subscribers:
            self._ended_shutdown.inc(len(subscribers))
