"""Alerts as a client of WatchAlerts sees them: when each request's first alert arrived,
and how long after the token its step put out."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

import grpc

from monitor.bench.latency_client import RequestTiming, token_index
from monitor.bench.stats import rounded_percentiles
from monitor.request_ids import external_request_id, lookup_ids
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


class AlertTiming(NamedTuple):
    """One request's first alert: milliseconds from the client's receipt of the token its
    step put out to its arrival, the part of that after the sidecar's rule fired, and the
    two instants (``time.monotonic()``)."""

    total_ms: float
    after_firing_ms: float
    token_at: float
    received_at: float


def alert_latencies(timings: Sequence[RequestTiming], watch: AlertWatch) -> list[AlertTiming]:
    """One :class:`AlertTiming` per request that raised an alert. Alerts carry vLLM's
    internal id (``chatcmpl-<X-Request-Id>-<8 hex>``), matched exactly: ``lat-0-1`` is not
    ``lat-0-15``."""
    by_api_id = {external_request_id(request_id): request_id for request_id in list(watch.received)}
    out = []
    for timing in timings:
        ids = [by_api_id[i] for i in lookup_ids(timing.request_id) if i in by_api_id]
        if not ids or timing.prompt_tokens is None:
            continue
        request_id = ids[0]
        index = token_index(watch.positions[request_id], timing.prompt_tokens)
        if index < len(timing.token_times):
            token_at, received_at = timing.token_times[index], watch.received[request_id]
            total = (received_at - token_at) * 1e3
            after = watch.after_firing[request_id] * 1e3
            out.append(AlertTiming(total, after, token_at, received_at))
    return out


def alert_summary(latencies: Sequence[AlertTiming]) -> dict[str, Any]:
    """Percentiles of the alert latencies, and of their part after the rule fired."""
    return {
        "alerts_timed": len(latencies),
        **rounded_percentiles([a.total_ms for a in latencies]),
        "after_firing": rounded_percentiles([a.after_firing_ms for a in latencies]),
    }
