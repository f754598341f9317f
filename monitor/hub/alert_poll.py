"""WatchAlerts across hub replicas: each replica polls the alerts the others stored.

A hub streams the alerts of the pushes it committed at once. With several hub replicas
behind one Service (the ``clickhouse`` backend), a sidecar's push lands on one of them, so
each replica also reads the alerts table every ``interval_s`` for alerts stored since its
last poll and streams those it has not streamed yet (``RecentIds``, shared with the push
path, so an alert is streamed once per replica). Polls overlap by ``overlap_s``: an insert
that started before the previous poll but committed after it still carries the earlier
insert time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from monitor.hub.labels import RecentIds
from monitor.logutil import RateLimitedLog
from monitor.sidecar.alerts.hub import AlertPublisher
from monitor.v1 import query_pb2

log = logging.getLogger(__name__)

AlertsSince = Callable[[int], tuple[list[query_pb2.Alert], int]]
"""(alerts stored after this many ms since the epoch, the newest insert time seen)."""

DEFAULT_OVERLAP_S = 5.0


class AlertPoller:
    """Streams alerts stored by other replicas (a thread; ``poll_once`` for tests)."""

    def __init__(
        self,
        alerts_since: AlertsSince,
        publisher: AlertPublisher,
        recent: RecentIds,
        *,
        interval_s: float,
        overlap_s: float = DEFAULT_OVERLAP_S,
        clock: Callable[[], float] = time.time,
        on_published: Callable[[], None] | None = None,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, got {interval_s}")
        self._since = alerts_since
        self._publisher = publisher
        self._recent = recent
        self._interval = interval_s
        self._overlap_ms = int(overlap_s * 1000)
        self._start_ms = self._cursor_ms = int(clock() * 1000)
        self._on_published = on_published
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._errors = RateLimitedLog(log)

    def poll_once(self) -> int:
        """Read and stream what is new; how many alerts were streamed."""
        # overlapping reads, but never before the start: what was stored then is history
        alerts, newest = self._since(max(self._start_ms, self._cursor_ms - self._overlap_ms))
        self._cursor_ms = max(self._cursor_ms, newest)
        streamed = 0
        for alert in alerts:
            if alert.suppressed or not self._recent.first_time(alert.alert_id):
                continue
            self._publisher.publish(alert)
            streamed += 1
            if self._on_published is not None:
                self._on_published()
        return streamed

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="llm-monitor-alert-poll", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self._interval + 5.0)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.poll_once()
            except Exception as exc:  # the store is down: the next poll tries again
                self._errors.error("polling stored alerts failed: %r", exc)
