"""The TraceQuery / Admin API: request validation, and real gRPC calls on loopback."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone

import grpc
import pytest
from prometheus_client import CollectorRegistry

from monitor.sidecar.config import ConfigError
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.query import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    NO_STORE,
    BlockingCalls,
    InvalidRequest,
    parse_query,
    parse_watch,
)
from monitor.v1 import query_pb2, query_pb2_grpc

from .query_rig import MODEL, ApiServer, MemoryTraceReader, api_server, make_trace, stamp

T0 = 1_800_000_000.0


def _traces() -> list[query_pb2.Trace]:
    return [
        make_trace("r1", T0, concept="deception", score=0.9, severity="critical"),
        make_trace("r2", T0 + 10, concept="misuse", score=0.6, severity="info"),
        make_trace("r3", T0 + 20, concept="deception", score=0.7, severity="warning"),
        make_trace("r4", T0 + 30, concept="deception", score=0.95, model_name="other"),
    ]


# ---- validation (no gRPC) -----------------------------------------------------------


def test_parse_query_defaults() -> None:
    query = parse_query(query_pb2.QueryTracesRequest())
    assert query.page_size == DEFAULT_PAGE_SIZE
    assert query.cursor == ""
    assert query.filter.start is None and query.filter.end is None
    assert query.filter.min_score is None
    assert query.filter.min_severity is None


def test_parse_query_converts_every_field() -> None:
    request = query_pb2.QueryTracesRequest(
        start_time=stamp(T0),
        end_time=stamp(T0 + 60),
        concept="misuse",
        min_score=0.25,
        model_name=MODEL,
        min_severity="warning",
        page_size=5000,
        page_token="50",
        tenant="team-a",
        request_id="order-42",
    )
    query = parse_query(request)
    assert (query.filter.tenant, query.filter.request_id) == ("team-a", "order-42")
    assert query.filter.start == datetime.fromtimestamp(T0, tz=timezone.utc)
    assert query.filter.end == datetime.fromtimestamp(T0 + 60, tz=timezone.utc)
    assert (query.filter.concept, query.filter.model_name) == ("misuse", MODEL)
    assert query.filter.min_score == 0.25
    assert query.filter.min_severity == "warning"
    assert query.page_size == MAX_PAGE_SIZE
    assert query.cursor == "50"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            query_pb2.QueryTracesRequest(start_time=stamp(T0 + 1), end_time=stamp(T0)),
            "is after end_time",
        ),
        (query_pb2.QueryTracesRequest(min_score=1.5), "min_score must be in [0, 1]"),
        (query_pb2.QueryTracesRequest(min_score=-0.1), "min_score must be in [0, 1]"),
        (query_pb2.QueryTracesRequest(min_score=math.nan), "min_score must be in [0, 1]"),
        (query_pb2.QueryTracesRequest(min_severity="fatal"), "unknown severity 'fatal'"),
        (query_pb2.QueryTracesRequest(page_token="x" * 5000), "page_token is malformed"),
        (query_pb2.QueryTracesRequest(page_token="a\nb"), "page_token is malformed"),
        (query_pb2.QueryTracesRequest(tenant="t" * 1025), "tenant is longer than 1024"),
        (query_pb2.QueryTracesRequest(request_id="r" * 1025), "request_id is longer than 1024"),
    ],
)
def test_parse_query_rejects(request_: query_pb2.QueryTracesRequest, message: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_query(request_)
    assert message in str(info.value)


def test_parse_watch() -> None:
    wanted = parse_watch(query_pb2.WatchAlertsRequest(concept="misuse", min_severity="critical"))
    assert (wanted.concept, wanted.model_name, wanted.min_severity) == ("misuse", "", "critical")
    with pytest.raises(InvalidRequest, match="min_severity"):
        parse_watch(query_pb2.WatchAlertsRequest(min_severity="loud"))


# ---- real gRPC ----------------------------------------------------------------------


@pytest.fixture
def reader() -> MemoryTraceReader:
    return MemoryTraceReader(_traces())


@pytest.fixture
def api(reader: MemoryTraceReader) -> Iterator[ApiServer]:
    with api_server(reader) as server:
        yield server


@pytest.fixture
def stub(api: ApiServer) -> Iterator[query_pb2_grpc.TraceQueryStub]:
    with grpc.insecure_channel(api.target) as channel:
        yield query_pb2_grpc.TraceQueryStub(channel)


def _ids(response: query_pb2.QueryTracesResponse) -> list[str]:
    return [t.request_id for t in response.traces]


def test_query_filters_and_orders_newest_first(stub: query_pb2_grpc.TraceQueryStub) -> None:
    everything = stub.QueryTraces(query_pb2.QueryTracesRequest(), timeout=5)
    assert _ids(everything) == ["r4", "r3", "r2", "r1"]
    assert everything.next_page_token == ""
    deception = stub.QueryTraces(
        query_pb2.QueryTracesRequest(concept="deception", model_name=MODEL), timeout=5
    )
    assert _ids(deception) == ["r3", "r1"]
    severe = stub.QueryTraces(query_pb2.QueryTracesRequest(min_severity="warning"), timeout=5)
    assert _ids(severe) == ["r4", "r3", "r1"]
    scored = stub.QueryTraces(query_pb2.QueryTracesRequest(min_score=0.8), timeout=5)
    assert _ids(scored) == ["r4", "r1"]
    window = query_pb2.QueryTracesRequest(start_time=stamp(T0 + 5), end_time=stamp(T0 + 25))
    assert _ids(stub.QueryTraces(window, timeout=5)) == ["r3", "r2"]


def test_query_paginates(stub: query_pb2_grpc.TraceQueryStub, reader: MemoryTraceReader) -> None:
    first = stub.QueryTraces(query_pb2.QueryTracesRequest(page_size=3), timeout=5)
    assert _ids(first) == ["r4", "r3", "r2"]
    assert first.next_page_token
    second = stub.QueryTraces(
        query_pb2.QueryTracesRequest(page_size=3, page_token=first.next_page_token), timeout=5
    )
    assert _ids(second) == ["r1"]
    assert second.next_page_token == ""
    assert [q[1] for q in reader.queries] == [3, 3]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (query_pb2.QueryTracesRequest(min_score=2.0), "min_score must be in [0, 1], got 2.0"),
        (query_pb2.QueryTracesRequest(min_severity="fatal"), "unknown severity 'fatal'"),
        (
            query_pb2.QueryTracesRequest(start_time=stamp(T0 + 1), end_time=stamp(T0)),
            "is after end_time",
        ),
        (query_pb2.QueryTracesRequest(page_token="not-a-cursor"), "page_token: not a cursor"),
    ],
)
def test_query_invalid_argument(
    stub: query_pb2_grpc.TraceQueryStub, request_: query_pb2.QueryTracesRequest, message: str
) -> None:
    with pytest.raises(grpc.RpcError) as info:
        stub.QueryTraces(request_, timeout=5)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in info.value.details()


def test_get_trace(stub: query_pb2_grpc.TraceQueryStub) -> None:
    trace = stub.GetTrace(query_pb2.GetTraceRequest(request_id="r3"), timeout=5)
    assert trace.summary.request_id == "r3"
    assert [t.position for t in trace.tokens] == [0, 1, 2]
    assert trace.tokens[2].scores["deception"] == pytest.approx(0.7)
    with pytest.raises(grpc.RpcError) as info:
        stub.GetTrace(query_pb2.GetTraceRequest(request_id="nope"), timeout=5)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert "'nope'" in info.value.details()
    with pytest.raises(grpc.RpcError) as info:
        stub.GetTrace(query_pb2.GetTraceRequest(request_id="r3", model_name="other"), timeout=5)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as info:
        stub.GetTrace(query_pb2.GetTraceRequest(), timeout=5)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "request_id is empty" in info.value.details()


def test_get_trace_by_the_api_id_or_the_header(
    stub: query_pb2_grpc.TraceQueryStub, reader: MemoryTraceReader
) -> None:
    reader.traces.append(make_trace("chatcmpl-hdr-1-0a0b0c0d", T0 + 5, tenant="team-a"))
    for given in ("chatcmpl-hdr-1-0a0b0c0d", "chatcmpl-hdr-1", "hdr-1"):
        trace = stub.GetTrace(query_pb2.GetTraceRequest(request_id=given), timeout=5)
        assert trace.summary.request_id == "chatcmpl-hdr-1-0a0b0c0d"
        assert (trace.summary.external_request_id, trace.summary.tenant) == (
            "chatcmpl-hdr-1",
            "team-a",
        )
        assert [(a.external_request_id, a.tenant) for a in trace.summary.alerts] == [
            ("chatcmpl-hdr-1", "team-a")
        ]
    with pytest.raises(grpc.RpcError) as info:
        stub.GetTrace(query_pb2.GetTraceRequest(request_id="x" * 1025), timeout=5)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_get_trace_passes_the_token_page_through(
    stub: query_pb2_grpc.TraceQueryStub, reader: MemoryTraceReader
) -> None:
    reader.traces.append(make_trace("long", T0 + 5, tokens=2500))
    request = query_pb2.GetTraceRequest(request_id="long")
    first = stub.GetTrace(request, timeout=5)
    assert (len(first.tokens), first.total_tokens, first.next_token_offset) == (1000, 2500, 1000)
    request.token_offset, request.max_tokens = 2000, 300
    page = stub.GetTrace(request, timeout=5)
    assert [t.position for t in page.tokens] == list(range(2000, 2300))
    assert page.next_token_offset == 2300


def test_reader_errors_are_internal_counted_and_the_server_keeps_serving(
    api: ApiServer, stub: query_pb2_grpc.TraceQueryStub, reader: MemoryTraceReader
) -> None:
    reader.fail = RuntimeError("disk I/O error")
    for _ in range(2):
        with pytest.raises(grpc.RpcError) as info:
            stub.QueryTraces(query_pb2.QueryTracesRequest(), timeout=5)
        assert info.value.code() == grpc.StatusCode.INTERNAL
        assert info.value.details() == "QueryTraces failed: RuntimeError"
    with pytest.raises(grpc.RpcError) as info:
        stub.GetTrace(query_pb2.GetTraceRequest(request_id="r1"), timeout=5)
    assert info.value.code() == grpc.StatusCode.INTERNAL
    assert api.metric("llm_monitor_query_errors_total", method="QueryTraces") == 2
    assert api.metric("llm_monitor_query_errors_total", method="GetTrace") == 1
    reader.fail = None
    assert _ids(stub.QueryTraces(query_pb2.QueryTracesRequest(page_size=1), timeout=5)) == ["r4"]


def test_reader_runs_on_one_worker_thread(
    stub: query_pb2_grpc.TraceQueryStub, reader: MemoryTraceReader
) -> None:
    stub.QueryTraces(query_pb2.QueryTracesRequest(), timeout=5)
    stub.GetTrace(query_pb2.GetTraceRequest(request_id="r1"), timeout=5)
    assert len(reader.threads) == 1
    (name,) = reader.threads
    assert name.startswith("test-query")


def test_deadline_exceeded_while_the_reader_is_slow(
    stub: query_pb2_grpc.TraceQueryStub, reader: MemoryTraceReader
) -> None:
    reader.delay.clear()
    reader.delay_s = 2.0
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as info:
        stub.QueryTraces(query_pb2.QueryTracesRequest(), timeout=0.3)
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 1.5
    reader.delay.set()
    assert len(stub.QueryTraces(query_pb2.QueryTracesRequest(), timeout=5).traces) == 4


def test_no_trace_store_is_unavailable() -> None:
    with api_server(None) as api, grpc.insecure_channel(api.target) as channel:
        stub = query_pb2_grpc.TraceQueryStub(channel)
        for call in (
            lambda: stub.QueryTraces(query_pb2.QueryTracesRequest(), timeout=5),
            lambda: stub.GetTrace(query_pb2.GetTraceRequest(request_id="r1"), timeout=5),
        ):
            with pytest.raises(grpc.RpcError) as info:
                call()
            assert info.value.code() == grpc.StatusCode.UNAVAILABLE
            assert info.value.details() == NO_STORE


# ---- Admin.ReloadRules --------------------------------------------------------------


def _reload_stub(api: ApiServer) -> tuple[grpc.Channel, query_pb2_grpc.AdminStub]:
    channel = grpc.insecure_channel(api.target)
    return channel, query_pb2_grpc.AdminStub(channel)


def test_reload_rules_answers_count_and_source() -> None:
    calls: list[str] = []

    def reload() -> tuple[int, str]:
        calls.append(threading.current_thread().name)
        return 3, "/etc/monitor.yaml"

    with api_server(None, reload=reload) as api:
        channel, admin = _reload_stub(api)
        with channel:
            response = admin.ReloadRules(query_pb2.ReloadRulesRequest(), timeout=5)
    assert (response.rules, response.source) == (3, "/etc/monitor.yaml")
    assert len(calls) == 1


@pytest.mark.parametrize(
    "error",
    [
        ConfigError("monitor.yaml: rules.0.threshold: must be in [0, 1]"),
        ValueError("rule 'x' names unknown probe concept 'nope'"),
    ],
)
def test_reload_rules_invalid_configuration(error: Exception) -> None:
    def reload() -> tuple[int, str]:
        raise error

    with api_server(None, reload=reload) as api:
        channel, admin = _reload_stub(api)
        with channel, pytest.raises(grpc.RpcError) as info:
            admin.ReloadRules(query_pb2.ReloadRulesRequest(), timeout=5)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details() == str(error)


def test_reload_rules_crash_is_internal_and_counted() -> None:
    def reload() -> tuple[int, str]:
        raise KeyError("boom")

    with api_server(None, reload=reload) as api:
        channel, admin = _reload_stub(api)
        with channel, pytest.raises(grpc.RpcError) as info:
            admin.ReloadRules(query_pb2.ReloadRulesRequest(), timeout=5)
        assert api.metric("llm_monitor_query_errors_total", method="ReloadRules") == 1
    assert info.value.code() == grpc.StatusCode.INTERNAL


def test_reload_rules_unavailable_without_rules() -> None:
    with api_server(None) as api:
        channel, admin = _reload_stub(api)
        with channel, pytest.raises(grpc.RpcError) as info:
            admin.ReloadRules(query_pb2.ReloadRulesRequest(), timeout=5)
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


class _ExpiredContext:
    """The two ServicerContext methods BlockingCalls uses, with a deadline in the past."""

    def __init__(self) -> None:
        self.aborted: tuple[grpc.StatusCode, str] | None = None

    def time_remaining(self) -> float:
        return -0.1

    async def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.aborted = (code, details)
        raise asyncio.CancelledError


def test_no_work_starts_after_the_deadline() -> None:
    calls = BlockingCalls(SidecarMetrics(CollectorRegistry()), MODEL, "test-deadline")
    started: list[bool] = []
    context = _ExpiredContext()

    async def scenario() -> None:
        with pytest.raises(asyncio.CancelledError):
            await calls.call(context, "QueryTraces", lambda: started.append(True))  # type: ignore[arg-type]

    try:
        asyncio.run(scenario())
    finally:
        calls.shutdown()
    assert started == []
    assert context.aborted == (grpc.StatusCode.DEADLINE_EXCEEDED, "deadline already passed")


# ---- bounded workers --------------------------------------------------------------


class _Context:
    """The ServicerContext methods BlockingCalls uses, with a deadline ``remaining`` away."""

    def __init__(self, remaining: float | None = 5.0) -> None:
        self.remaining = remaining
        self.aborted: tuple[grpc.StatusCode, str] | None = None

    def time_remaining(self) -> float | None:
        return self.remaining

    async def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.aborted = (code, details)
        raise asyncio.CancelledError


def test_a_full_worker_refuses_at_once_and_reloads_run_apart() -> None:
    registry = CollectorRegistry()
    calls = BlockingCalls(SidecarMetrics(registry), MODEL, "test-bounded", max_pending=2)
    release = threading.Event()
    ran: list[str] = []

    def slow() -> str:
        release.wait(5)
        ran.append("query")
        return "query"

    async def scenario() -> tuple[_Context, str]:
        waiting = [
            asyncio.ensure_future(calls.call(_Context(), "QueryTraces", slow)) for _ in range(2)
        ]
        await asyncio.sleep(0.05)
        refused = _Context()
        with pytest.raises(asyncio.CancelledError):
            await calls.call(refused, "GetTrace", slow)  # type: ignore[arg-type]
        # the reload worker is free although the query worker is busy
        reloaded = await asyncio.wait_for(
            calls.call(_Context(), "ReloadRules", lambda: "reload"),  # type: ignore[arg-type]
            2,
        )
        release.set()
        assert await asyncio.gather(*waiting) == ["query", "query"]
        return refused, reloaded

    try:
        refused, reloaded = asyncio.run(scenario())
    finally:
        calls.shutdown()
    assert reloaded == "reload" and ran == ["query", "query"]
    assert refused.aborted is not None
    assert refused.aborted[0] == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "2 calls already waiting" in refused.aborted[1]
    labels = {"model_name": MODEL, "method": "GetTrace", "reason": "queue_full"}
    assert registry.get_sample_value("llm_monitor_query_refused_total", labels) == 1


def test_a_call_whose_deadline_passed_while_queued_never_runs() -> None:
    registry = CollectorRegistry()
    calls = BlockingCalls(SidecarMetrics(registry), MODEL, "test-expired")
    release = threading.Event()
    ran: list[str] = []

    async def scenario() -> _Context:
        blocker = asyncio.ensure_future(
            calls.call(_Context(), "QueryTraces", lambda: release.wait(5))  # type: ignore[arg-type]
        )
        await asyncio.sleep(0.05)
        late = _Context(remaining=0.1)
        with pytest.raises(asyncio.CancelledError):
            await calls.call(late, "QueryTraces", lambda: ran.append("late"))  # type: ignore[arg-type]
        release.set()
        await blocker
        await asyncio.sleep(0.1)  # the worker reaches the expired call and skips it
        return late

    try:
        late = asyncio.run(scenario())
    finally:
        calls.shutdown()
    assert late.aborted == (grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
    assert ran == []
    labels = {"model_name": MODEL, "method": "QueryTraces", "reason": "deadline"}
    assert registry.get_sample_value("llm_monitor_query_refused_total", labels) == 1
