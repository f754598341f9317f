"""An in-process ``TraceIngest`` servicer for the hub-mode tests: records what it stores,
fails on demand, checks the bearer token, and can stop and restart on the same port."""

from __future__ import annotations

import threading
from collections import deque
from concurrent import futures
from dataclasses import dataclass, field

import grpc
import numpy as np

from monitor.sidecar.records import Firing
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.traces.writer import TraceUpdate
from monitor.v1 import fleet_pb2, fleet_pb2_grpc

MODEL = "test-model"


@dataclass
class Received:
    """What the fake hub acknowledged."""

    pushes: list[fleet_pb2.PushRequest] = field(default_factory=list)
    # (source, model, request id, version) of every acknowledged update, in order
    updates: list[tuple[str, str, str, int]] = field(default_factory=list)
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)


class FakeHub(fleet_pb2_grpc.TraceIngestServicer):
    """A hub that stores pushes in memory. ``fail`` queues status codes for the next
    pushes; ``reject`` request ids make a push INVALID_ARGUMENT; ``token`` is required
    when set; ``want_labels`` answers need_labels until it has the push's encoder."""

    def __init__(self, token: str | None = None, want_labels: bool = True) -> None:
        self.received = Received()
        self.fail: deque[grpc.StatusCode] = deque()
        self.reject: set[str] = set()
        self.token = token
        self.want_labels = want_labels
        self.ack_lag = 0  # answer acked_seq = seq - ack_lag
        self.calls = 0
        self.metadata: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.port = 0
        self._server: grpc.Server | None = None
        self.credentials: grpc.ServerCredentials | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> FakeHub:
        server = grpc.server(futures.ThreadPoolExecutor(4))
        fleet_pb2_grpc.add_TraceIngestServicer_to_server(self, server)
        where = f"127.0.0.1:{self.port}"
        if self.credentials is not None:
            self.port = server.add_secure_port(where, self.credentials)
        else:
            self.port = server.add_insecure_port(where)
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(0).wait(5)
            self._server = None

    def Push(
        self, request: fleet_pb2.PushRequest, context: grpc.ServicerContext
    ) -> fleet_pb2.PushResponse:
        with self.lock:
            self.calls += 1
            metadata = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
            self.metadata.append(metadata)
            if self.token is not None and metadata.get("authorization") != f"Bearer {self.token}":
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "wrong token")
            if self.fail:
                context.abort(self.fail.popleft(), "told to fail")
            if any(u.request_id in self.reject for u in request.updates):
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "updates[0].request_id: bad")
            received = self.received
            received.pushes.append(request)
            if request.labels.encoder:
                received.labels[request.labels.encoder] = tuple(request.labels.labels)
            for u in request.updates:
                received.updates.append((request.source, u.model_name, u.request_id, u.version))
            need = bool(
                self.want_labels and request.encoder and request.encoder not in received.labels
            )
            return fleet_pb2.PushResponse(
                acked_seq=max(0, request.seq - self.ack_lag), need_labels=need
            )

    def stored_ids(self) -> list[str]:
        with self.lock:
            return [request_id for _, _, request_id, _ in self.received.updates]


def tokens(request_id: str, start: int, n: int, layer: int = 3, k: int = 4) -> RequestTokens:
    rng = np.random.default_rng(start)
    return RequestTokens(
        model_name=MODEL,
        request_id=request_id,
        layer=layer,
        positions=np.arange(start, start + n, dtype=np.int64),
        token_ids=np.arange(100 + start, 100 + start + n, dtype=np.int64),
        scores={"deception": rng.random(n, dtype=np.float32)},
        aggregates={},
        thresholds={},
        concept_ids=rng.integers(0, 16, (n, k)).astype(np.int32),
        concept_values=rng.random((n, k), dtype=np.float32),
    )


def firing(request_id: str, fired_at: float = 1000.0, alert_id: str = "") -> Firing:
    return Firing(
        alert_id=alert_id or f"alert-{request_id}-{fired_at}",
        request_id=request_id,
        model_name=MODEL,
        concept="deception",
        rule="any",
        severity="warning",
        score=0.9,
        threshold=0.5,
        position=0,
        fired_at=fired_at,
    )


def flagged(request_id: str, n: int = 8, start: int = 0) -> TraceUpdate:
    """A flagging update: ``n`` tokens and one alert."""
    return TraceUpdate(
        model_name=MODEL,
        request_id=request_id,
        first_seen=1000.0,
        last_seen=1001.0,
        tokens=[tokens(request_id, start, n)],
        alerts=[firing(request_id)],
        max_scores={"deception": 0.9},
    )


def later(request_id: str, start: int, n: int = 8) -> TraceUpdate:
    """A later update of a flagged request: tokens only."""
    return TraceUpdate(
        model_name=MODEL,
        request_id=request_id,
        first_seen=1000.0,
        last_seen=1002.0,
        tokens=[tokens(request_id, start, n)],
        max_scores={"deception": 0.95},
    )


class Listener:
    """Records what the writer reports per update."""

    def __init__(self) -> None:
        self.committed: list[str] = []
        self.lost: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def trace_committed(self, update: TraceUpdate) -> None:
        with self.lock:
            self.committed.append(update.request_id)

    def trace_lost(self, update: TraceUpdate, reason: str) -> None:
        with self.lock:
            self.lost.append((update.request_id, reason))
