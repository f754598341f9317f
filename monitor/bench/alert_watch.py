"""Alerts as a client of WatchAlerts sees them: when each request's first alert arrived."""

from __future__ import annotations

import threading
import time

import grpc

from monitor.v1 import query_pb2, query_pb2_grpc


class AlertWatch:
    """Receive times (``time.monotonic()``) and token positions of the alerts streamed by
    WatchAlerts, by request id (the first alert of each request), and how long after the
    sidecar's rule fired (``fired_at``, same host's clock) each arrived."""

    def __init__(self, address: str) -> None:
        self.received: dict[str, float] = {}
        self.positions: dict[str, int] = {}
        self.after_firing: dict[str, float] = {}  # seconds
        self._channel = grpc.insecure_channel(address)
        self._call = query_pb2_grpc.TraceQueryStub(self._channel).WatchAlerts(
            query_pb2.WatchAlertsRequest()
        )
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for alert in self._call:
                if alert.request_id not in self.received:
                    self.received[alert.request_id] = time.monotonic()
                    fired = alert.fired_at.seconds + alert.fired_at.nanos / 1e9
                    self.after_firing[alert.request_id] = time.time() - fired
                    self.positions[alert.request_id] = int(alert.position)
        except grpc.RpcError:
            return

    def close(self) -> None:
        self._call.cancel()
        self._channel.close()
        self._thread.join(5)
