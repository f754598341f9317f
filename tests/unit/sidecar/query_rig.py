"""An in-memory trace reader and a real gRPC server with the query API, for unit tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import CollectorRegistry

from monitor.request_ids import external_request_id, lookup_ids
from monitor.sidecar.alerts.hub import AlertHub
from monitor.sidecar.ingest.batches import DecodedBatch
from monitor.sidecar.ingest.handler import IngestHandler, IngestServicer
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.query import BlockingCalls, Reload, query_services
from monitor.sidecar.server import GrpcServerThread
from monitor.sidecar.severity import severity_rank
from monitor.sidecar.traces.reader import TraceFilter, TraceReader, trace_token_limit
from monitor.v1 import query_pb2

MODEL = "tiny-llama"


def stamp(seconds: float) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(datetime.fromtimestamp(seconds, tz=timezone.utc))
    return out


def make_trace(
    request_id: str,
    first_seen: float,
    *,
    concept: str = "deception",
    score: float = 0.9,
    severity: str = "warning",
    model_name: str = MODEL,
    tokens: int = 3,
    tenant: str = "",
    source: str = "",
) -> query_pb2.Trace:
    """A stored trace with one alert and ``tokens`` scored tokens."""
    external = external_request_id(request_id)
    alert = query_pb2.Alert(
        alert_id=f"{request_id}-1",
        request_id=request_id,
        model_name=model_name,
        concept=concept,
        rule=f"{concept}-high",
        severity=severity,
        score=score,
        threshold=0.5,
        position=tokens - 1,
        fired_at=stamp(first_seen),
        external_request_id=external,
        tenant=tenant,
        source=source,
    )
    summary = query_pb2.TraceSummary(
        request_id=request_id,
        model_name=model_name,
        first_seen=stamp(first_seen),
        last_seen=stamp(first_seen + 1),
        max_scores={concept: score},
        severity=severity,
        token_count=tokens,
        alerts=[alert],
        external_request_id=external,
        tenant=tenant,
        source=source,
    )
    return query_pb2.Trace(
        summary=summary,
        tokens=[
            query_pb2.TraceToken(
                position=p,
                token_id=100 + p,
                text=f"tok{p}",
                scores={concept: score * (p + 1) / tokens, "misuse": 0.1},
                concepts=[query_pb2.ConceptActivation(id=7, value=1.5, label="secrecy")],
                segment=query_pb2.SEGMENT_USER if p < 2 else query_pb2.SEGMENT_REPLY,
            )
            for p in range(tokens)
        ],
    )


class MemoryTraceReader:
    """A ``TraceReader`` over a list of traces; cursors are decimal offsets."""

    def __init__(self, traces: Sequence[query_pb2.Trace] = ()) -> None:
        self.traces = list(traces)
        self.queries: list[tuple[TraceFilter, int, str]] = []
        self.threads: set[str] = set()
        self.fail: Exception | None = None
        self.delay = threading.Event()  # set = answer at once
        self.delay.set()
        self.delay_s = 0.0

    def _enter(self) -> None:
        self.threads.add(threading.current_thread().name)
        if self.fail is not None:
            raise self.fail
        if not self.delay.is_set():
            self.delay.wait(self.delay_s)

    def _matches(self, trace: query_pb2.Trace, query: TraceFilter) -> bool:
        s = trace.summary
        first = s.first_seen.ToDatetime(tzinfo=timezone.utc)
        if query.start is not None and first < query.start:
            return False
        if query.end is not None and first > query.end:
            return False
        if query.concept and all(a.concept != query.concept for a in s.alerts):
            return False
        if query.model_name and s.model_name != query.model_name:
            return False
        if query.tenant and s.tenant != query.tenant:
            return False
        if query.source and s.source != query.source:
            return False
        if query.request_id and not _same_request(s, query.request_id):
            return False
        if query.min_severity is not None and severity_rank(s.severity) < severity_rank(
            query.min_severity
        ):
            return False
        if query.min_score is not None:
            scores = [s.max_scores[query.concept]] if query.concept else list(s.max_scores.values())
            if max(scores, default=0.0) < query.min_score:
                return False
        return True

    def query_traces(
        self, query: TraceFilter, page_size: int, cursor: str
    ) -> tuple[list[query_pb2.TraceSummary], str]:
        self._enter()
        self.queries.append((query, page_size, cursor))
        try:
            offset = int(cursor) if cursor else 0
        except ValueError:
            raise ValueError(f"not a cursor: {cursor!r}") from None
        found = sorted(
            (t.summary for t in self.traces if self._matches(t, query)),
            key=lambda s: s.first_seen.ToNanoseconds(),
            reverse=True,
        )
        page = found[offset : offset + page_size]
        more = offset + page_size < len(found)
        return page, str(offset + page_size) if more else ""

    def get_trace(
        self,
        request_id: str,
        model_name: str = "",
        token_offset: int = 0,
        max_tokens: int = 0,
        source: str = "",
    ) -> query_pb2.Trace | None:
        self._enter()
        for trace in self.traces:
            s = trace.summary
            if (
                _same_request(s, request_id)
                and (not model_name or s.model_name == model_name)
                and (not source or s.source == source)
            ):
                limit = trace_token_limit(max_tokens)
                page = query_pb2.Trace(summary=s, total_tokens=len(trace.tokens))
                page.tokens.extend(trace.tokens[token_offset : token_offset + limit])
                if token_offset + limit < len(trace.tokens):
                    page.next_token_offset = token_offset + limit
                return page
        return None


def _same_request(summary: query_pb2.TraceSummary, given: str) -> bool:
    return summary.request_id == given or summary.external_request_id in lookup_ids(given)


_: type[TraceReader] = MemoryTraceReader  # structural check


class CountingQueue:
    """A ``BatchQueue`` that keeps only a count of what it was offered."""

    def __init__(self) -> None:
        self.batches = 0

    def offer(self, batch: DecodedBatch, received_at: float | None = None) -> bool:
        self.batches += 1
        return True


@dataclass
class ApiServer:
    """A started gRPC server with Ingest, TraceQuery and Admin."""

    server: GrpcServerThread
    hub: AlertHub
    registry: CollectorRegistry
    calls: BlockingCalls

    @property
    def target(self) -> str:
        return self.server.target

    def metric(self, name: str, **labels: str) -> float:
        value = self.registry.get_sample_value(name, {"model_name": MODEL, **labels})
        return 0.0 if value is None else value


@contextmanager
def api_server(
    reader: TraceReader | None,
    *,
    reload: Reload | None = None,
    interceptors: Callable[[SidecarMetrics], Sequence[grpc.aio.ServerInterceptor]] | None = None,
    credentials: grpc.ServerCredentials | None = None,
    queue_size: int = 256,
    address: str = "127.0.0.1:0",
) -> Iterator[ApiServer]:
    """Serve the query API on ``address`` (loopback, port 0 by default) until the block ends."""
    registry = CollectorRegistry()
    metrics = SidecarMetrics(registry)
    hub = AlertHub(metrics, queue_size=queue_size)
    calls = BlockingCalls(metrics, MODEL, "test-query")

    ingest = IngestHandler(metrics, CountingQueue(), max_batch_bytes=1 << 20)
    server = GrpcServerThread(
        address,
        IngestServicer(ingest),
        max_receive_bytes=1 << 21,
        services=query_services(reader, hub, reload, calls),
        interceptors=interceptors(metrics) if interceptors else (),
        credentials=credentials,
    )
    server.start()
    try:
        yield ApiServer(server, hub, registry, calls)
    finally:
        hub.close()
        server.stop(0.5)
        calls.shutdown()
