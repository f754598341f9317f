"""Query timings of ``bench fleet``: QueryTraces per filter and page, GetTrace of 500 tokens.

The cases run against any ``TraceReader`` (the ClickHouse repository, in the process that
generated the data) and, for a subset, against the hub's gRPC ``TraceQuery``. Each case is
called once untimed, then ``samples`` times. Pages: ``first`` (no cursor), ``next`` (the
first page's cursor) and ``deep`` (a cursor halfway back through the generated traces).
Every timed call is checked: a page must be full and GetTrace must return the tokens asked
for, so a fast wrong answer cannot pass.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from monitor.bench.fleet_generate import MIN_SCORE, GenPlan, request_id, source
from monitor.bench.fleet_summary import latency_case
from monitor.sidecar.traces.reader import TraceFilter, TraceReader
from monitor.v1 import query_pb2, query_pb2_grpc

PAGES = ("first", "next", "deep")


class QueryCheckFailed(AssertionError):
    """A timed call returned the wrong thing (the message says which case and what)."""


@dataclass(frozen=True)
class Case:
    """A named filter."""

    name: str
    query: TraceFilter


def cases(plan: GenPlan) -> list[Case]:
    """The filters the issue names, with values that select known shares of the plan (the
    time range is the 72nd of the span around its middle, where the deep cursor lies)."""
    middle = datetime.fromtimestamp((plan.now_us - plan.span_us / 2) / 1e6, UTC)
    half = timedelta(microseconds=plan.span_us / 144)  # 1 h of 72
    return [
        Case("none", TraceFilter()),
        Case("time_range", TraceFilter(start=middle - half, end=middle + half)),
        Case("concept", TraceFilter(concept="misuse")),
        Case("severity", TraceFilter(min_severity="critical")),
        Case("model", TraceFilter(model_name=plan.model(1))),
        Case("min_score", TraceFilter(min_score=MIN_SCORE)),
        Case("source", TraceFilter(source=source(3))),
        Case(
            "combined",
            TraceFilter(concept="misuse", min_severity="warning", model_name=plan.model(0)),
        ),
    ]


def deep_cursor(plan: GenPlan, encode: Callable[[int, str, str, str], str]) -> str:
    """A cursor at the trace halfway back in time (``encode(first_alert_us, model,
    request_id, source)`` makes the store's cursor)."""
    t = plan.traces // 2
    return encode(plan.first_alert_us(t), plan.model(t), request_id(t), source(t))


def _timed(call: Callable[[], Any], samples: int) -> tuple[list[float], Any]:
    call()
    out: list[float] = []
    result: Any = None
    for _ in range(samples):
        began = time.perf_counter()
        result = call()
        out.append(time.perf_counter() - began)
    return out, result


def reader_cases(
    reader: TraceReader,
    plan: GenPlan,
    deep: str,
    page_size: int,
    samples: int,
    goal_ms: float,
) -> list[dict[str, Any]]:
    """QueryTraces timings per filter and page through ``reader``."""
    out: list[dict[str, Any]] = []
    for case in cases(plan):
        first = reader.query_traces(case.query, page_size, "")
        cursors = {"first": "", "next": first[1], "deep": deep}
        for page in PAGES:
            cursor = cursors[page]
            if page != "first" and not cursor:
                raise QueryCheckFailed(f"{case.name}: the first page has no next page")
            call = functools.partial(reader.query_traces, case.query, page_size, cursor)
            times, (found, _) = _timed(call, samples)
            if len(found) != page_size:
                raise QueryCheckFailed(
                    f"{case.name}/{page}: {len(found)} traces, expected a full page of {page_size}"
                )
            out.append(latency_case(f"{case.name}/{page}", times, goal_ms))
    return out


def trace_ids(plan: GenPlan, samples: int) -> list[int]:
    """Long traces spread over the plan (different ones, so caches help little)."""
    step = max(1, plan.long // max(1, samples + 1))
    return [(i * step) % plan.long for i in range(1, samples + 2)]


def reader_get_trace(
    reader: TraceReader, plan: GenPlan, samples: int, goal_ms: float
) -> list[dict[str, Any]]:
    """GetTrace of whole long traces, by request id alone and with model and source."""
    out = []
    want = plan.trace_tokens
    for name, narrow in (("by_id", False), ("by_id_model_source", True)):
        times: list[float] = []
        for t in trace_ids(plan, samples):
            began = time.perf_counter()
            trace = reader.get_trace(
                request_id(t),
                model_name=plan.model(t) if narrow else "",
                max_tokens=want,
                source=source(t) if narrow else "",
            )
            times.append(time.perf_counter() - began)
            if trace is None or len(trace.tokens) != want:
                got = "none" if trace is None else f"{len(trace.tokens)} tokens"
                raise QueryCheckFailed(f"get_trace {name} {request_id(t)}: {got}, want {want}")
            unlabelled = sum(1 for tok in trace.tokens for c in tok.concepts if not c.label)
            if unlabelled or not trace.tokens[0].concepts:
                raise QueryCheckFailed(
                    f"get_trace {name} {request_id(t)}: {unlabelled} concepts without a label"
                    f" (first token has {len(trace.tokens[0].concepts)} concepts)"
                )
        out.append(latency_case(f"get_trace/{name}", times[1:], goal_ms, tokens=want))
    return out


def _stamp(at: datetime | None) -> Timestamp | None:
    if at is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


def query_request(query: TraceFilter, page_size: int, cursor: str) -> query_pb2.QueryTracesRequest:
    """The gRPC request of a filter."""
    request = query_pb2.QueryTracesRequest(
        concept=query.concept,
        min_score=query.min_score or 0.0,
        model_name=query.model_name,
        min_severity=query.min_severity or "",
        page_size=page_size,
        page_token=cursor,
        source=query.source,
    )
    for field, at in (("start_time", query.start), ("end_time", query.end)):
        stamp = _stamp(at)
        if stamp is not None:
            getattr(request, field).CopyFrom(stamp)
    return request


GRPC_CASES = ("none", "concept", "severity", "time_range")


def grpc_cases(
    address: str, plan: GenPlan, deep: str, page_size: int, samples: int, goals: tuple[float, float]
) -> list[dict[str, Any]]:
    """A subset through the hub's ``TraceQuery``: some filters' first and deep pages, and
    GetTrace by id; ``goals`` = (QueryTraces, GetTrace) p95 in ms."""
    out: list[dict[str, Any]] = []
    with grpc.insecure_channel(address) as channel:
        stub = query_pb2_grpc.TraceQueryStub(channel)
        for case in (c for c in cases(plan) if c.name in GRPC_CASES):
            for page, cursor in (("first", ""), ("deep", deep)):
                request = query_request(case.query, page_size, cursor)
                call = functools.partial(stub.QueryTraces, request, timeout=60)
                times, response = _timed(call, samples)
                if len(response.traces) != page_size:
                    raise QueryCheckFailed(
                        f"grpc {case.name}/{page}: {len(response.traces)} traces, want {page_size}"
                    )
                out.append(latency_case(f"grpc/{case.name}/{page}", times, goals[0]))
        times = []
        for t in trace_ids(plan, samples):
            began = time.perf_counter()
            trace = stub.GetTrace(
                query_pb2.GetTraceRequest(request_id=request_id(t), max_tokens=plan.trace_tokens),
                timeout=60,
            )
            times.append(time.perf_counter() - began)
            if len(trace.tokens) != plan.trace_tokens:
                raise QueryCheckFailed(
                    f"grpc get_trace {request_id(t)}: {len(trace.tokens)} tokens"
                )
        out.append(
            latency_case("grpc/get_trace/by_id", times[1:], goals[1], tokens=plan.trace_tokens)
        )
    return out
