"""A hub on loopback over SQLite for the tests, with a repository that can be held or fail."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from monitor.hub.app import Hub
from monitor.hub.config import HubConfig
from monitor.sidecar.traces.labels import ConceptLabels
from monitor.sidecar.traces.reader import TraceFilter
from monitor.sidecar.traces.sqlite import SqliteTraceRepository
from monitor.sidecar.traces.writer import TraceUpdate
from monitor.v1 import fleet_pb2_grpc, query_pb2, query_pb2_grpc


def sqlite_config(path: Path, **sections: Any) -> HubConfig:
    """A loopback hub (ports picked by the OS) on a SQLite file."""
    data: dict[str, Any] = {
        "server": {"address": "127.0.0.1:0", "metrics_address": "127.0.0.1:0"},
        "storage": {"backend": "sqlite", "path": str(path)},
    }
    for name, value in sections.items():
        data[name] = {**data.get(name, {}), **value}
    return HubConfig(**data)


@dataclass
class RunningHub:
    hub: Hub
    store: Wrapped
    channel: grpc.Channel

    @property
    def ingest(self) -> fleet_pb2_grpc.TraceIngestStub:
        return fleet_pb2_grpc.TraceIngestStub(self.channel)

    @property
    def query(self) -> query_pb2_grpc.TraceQueryStub:
        return query_pb2_grpc.TraceQueryStub(self.channel)

    def sample(self, name: str, **labels: str) -> float:
        value = self.hub.registry.get_sample_value(name, labels)
        return 0.0 if value is None else value


HubFactory = Callable[..., RunningHub]


class Wrapped:
    """A repository whose writes can be held (``gate``) or made to fail (``fail``)."""

    def __init__(self, inner: SqliteTraceRepository) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()  # an apply has started (and may wait at the gate)
        self.fail: Exception | None = None
        self.applied = 0

    def apply(self, updates: Sequence[TraceUpdate]) -> None:
        self.entered.set()
        assert self.gate.wait(30), "the test never opened the gate"
        if self.fail is not None:
            raise self.fail
        self.inner.apply(updates)
        self.applied += 1

    def put_labels(self, labels: ConceptLabels) -> None:
        if self.fail is not None:
            raise self.fail
        self.inner.put_labels(labels)

    def has_labels(self, encoder: str) -> bool:
        return self.inner.has_labels(encoder)

    def prune(self, now: float) -> int:
        return self.inner.prune(now)

    def close(self) -> None:
        self.inner.close()

    def query_traces(
        self, query: TraceFilter, page_size: int, cursor: str
    ) -> tuple[list[query_pb2.TraceSummary], str]:
        return self.inner.query_traces(query, page_size, cursor)

    def get_trace(
        self,
        request_id: str,
        model_name: str = "",
        token_offset: int = 0,
        max_tokens: int = 0,
        source: str = "",
    ) -> query_pb2.Trace | None:
        return self.inner.get_trace(request_id, model_name, token_offset, max_tokens, source)
