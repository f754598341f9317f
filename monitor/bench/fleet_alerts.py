"""Alert latency at the hub: from an alert's ``fired_at`` to its arrival on ``WatchAlerts``.

``HubWatch`` subscribes to the hub's ``WatchAlerts`` and records, per alert id, the wall
time it arrived; the latency is that minus the alert's ``fired_at`` (the sidecar's or
pusher's clock: the same machine's). ``push_alerts`` is the direct way, without a
sidecar: one pusher sends one flagging update at a time, each alert fired just before.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import grpc

from monitor.bench.fleet_settings import FleetBenchSettings
from monitor.v1 import query_pb2, query_pb2_grpc

SUBSCRIBE_WAIT_S = 1.0  # the stream is open on the hub before alerts are sent


class HubWatch:
    """A ``WatchAlerts`` subscriber recording ``alert_id -> (fired_at, received)``."""

    def __init__(self, address: str) -> None:
        self.seen: dict[str, tuple[float, float]] = {}
        self.error: str | None = None
        self._lock = threading.Lock()
        self._channel = grpc.insecure_channel(address)
        self._call = query_pb2_grpc.TraceQueryStub(self._channel).WatchAlerts(
            query_pb2.WatchAlertsRequest()
        )
        self._thread = threading.Thread(target=self._run, name="fleet-watch", daemon=True)
        self._thread.start()
        time.sleep(SUBSCRIBE_WAIT_S)

    def _run(self) -> None:
        try:
            for alert in self._call:
                received = time.time()
                fired = alert.fired_at.seconds + alert.fired_at.nanos / 1e9
                with self._lock:
                    self.seen.setdefault(alert.alert_id, (fired, received))
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.CANCELLED:
                self.error = f"{exc.code().name}: {exc.details()}"

    def count(self) -> int:
        with self._lock:
            return len(self.seen)

    def wait_for(self, count: int, timeout_s: float) -> bool:
        """Wait until ``count`` alerts arrived; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self.count() < count:
            if time.monotonic() > deadline or self.error is not None:
                return False
            time.sleep(0.05)
        return True

    def latencies_s(self, ids: set[str] | None = None) -> list[float]:
        """Arrival minus firing of the alerts seen (those in ``ids`` when given)."""
        with self._lock:
            items = list(self.seen.items())
        return [got - fired for key, (fired, got) in items if ids is None or key in ids]

    def close(self) -> None:
        self._call.cancel()
        self._channel.close()
        self._thread.join(5)


def push_alerts(
    settings: FleetBenchSettings, address: str, interval_s: float = 0.2
) -> dict[str, Any]:
    """``alert_samples`` flagging updates pushed one per push, ``interval_s`` apart, by a
    direct pusher; the latencies seen on the hub's WatchAlerts."""
    from monitor.bench.fleet_ingest import GRACE_S, Pusher

    alone = FleetBenchSettings(
        trace_tokens=settings.chunk_tokens,
        chunk_tokens=settings.chunk_tokens,
        alerts_per_trace=1,
        k=settings.k,
        concepts=settings.concepts,
        push_rows=1,
        seed=settings.seed + 1000,
    )
    pusher = Pusher(alone, 99, address)
    watch = HubWatch(address)
    try:
        for _ in range(settings.alert_samples):
            pusher.push_next(time.monotonic() + GRACE_S)
            time.sleep(interval_s)
        expected = pusher.stats.alerts_acked
        arrived = watch.wait_for(expected, 30.0)
        latencies = watch.latencies_s()
    finally:
        watch.close()
        pusher.close()
    return {
        "alerts_pushed": settings.alert_samples,
        "alerts_acknowledged": expected,
        "alerts_seen": len(latencies),
        "all_seen": arrived,
        "watch_error": watch.error,
        "latencies_s": latencies,
    }
