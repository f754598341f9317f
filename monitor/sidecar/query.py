"""The ``TraceQuery`` and ``Admin`` gRPC services: thin servicers over pure functions.

Request validation (``parse_query``, ``parse_watch``) knows nothing about gRPC. The
trace reader and the rule reload are synchronous; they run on bounded worker threads
(:class:`~monitor.sidecar.blocking.BlockingCalls`) so that a slow store never stalls
the server's event loop (and the ingest streams on it). ``WatchAlerts`` streams come
from the :class:`~monitor.sidecar.alerts.hub.AlertHub`, which bounds subscribers and
ends the streams of clients that do not read.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import NoReturn

import grpc

from monitor.sidecar.alerts.hub import ENDED_SLOW, AlertFilter, AlertHub, SubscriberLimit
from monitor.sidecar.blocking import BlockingCalls as BlockingCalls  # re-exported
from monitor.sidecar.config import ConfigError
from monitor.sidecar.server import Service
from monitor.sidecar.severity import SEVERITIES, Severity
from monitor.sidecar.traces.reader import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    TraceFilter,
    TraceReader,
)
from monitor.v1 import query_pb2, query_pb2_grpc

log = logging.getLogger(__name__)

MAX_PAGE_TOKEN_CHARS = 1024
MAX_ID_CHARS = 1024  # a request id or tenant filter longer than this matches nothing stored
TRACE_QUERY_SERVICE = query_pb2.DESCRIPTOR.services_by_name["TraceQuery"].full_name
ADMIN_SERVICE = query_pb2.DESCRIPTOR.services_by_name["Admin"].full_name
NO_STORE = "no trace store configured"
NO_RELOAD = "rule reload is not available on this sidecar"

Reload = Callable[[], tuple[int, str]]


class InvalidRequest(ValueError):
    """A request the API refuses; the message says which field and why."""


@dataclass(frozen=True)
class TraceQuery:
    """A validated ``QueryTracesRequest``."""

    filter: TraceFilter
    page_size: int
    cursor: str


def _severity(field: str, value: str) -> Severity | None:
    if not value:
        return None
    for known in SEVERITIES:
        if value == known:
            return known
    raise InvalidRequest(
        f"{field}: unknown severity {value!r}; expected one of {', '.join(SEVERITIES)} or empty"
    )


def _timestamp(field: str, request: query_pb2.QueryTracesRequest) -> datetime | None:
    if not request.HasField(field):
        return None
    stamp = getattr(request, field)
    if not 0 <= stamp.nanos < 1_000_000_000:
        raise InvalidRequest(f"{field}: nanos must be in 0..999999999, got {stamp.nanos}")
    try:
        return datetime.fromtimestamp(stamp.seconds + stamp.nanos / 1e9, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise InvalidRequest(f"{field}: timestamp out of range ({stamp.seconds} s)") from None


def parse_query(request: query_pb2.QueryTracesRequest) -> TraceQuery:
    """Validate a trace query; raises ``InvalidRequest`` naming the offending field."""
    start = _timestamp("start_time", request)
    end = _timestamp("end_time", request)
    if start is not None and end is not None and start > end:
        raise InvalidRequest(
            f"start_time ({start.isoformat()}) is after end_time ({end.isoformat()})"
        )
    score = request.min_score
    if not math.isfinite(score) or not 0.0 <= score <= 1.0:
        raise InvalidRequest(f"min_score must be in [0, 1], got {score}")
    token = request.page_token
    if len(token) > MAX_PAGE_TOKEN_CHARS or not token.isprintable():
        raise InvalidRequest("page_token is malformed (not from a previous response)")
    for field in ("tenant", "request_id", "source"):
        if len(getattr(request, field)) > MAX_ID_CHARS:
            raise InvalidRequest(f"{field} is longer than {MAX_ID_CHARS} characters")
    page_size = request.page_size or DEFAULT_PAGE_SIZE
    return TraceQuery(
        filter=TraceFilter(
            start=start,
            end=end,
            concept=request.concept,
            min_score=score if score > 0.0 else None,
            model_name=request.model_name,
            min_severity=_severity("min_severity", request.min_severity),
            tenant=request.tenant,
            request_id=request.request_id,
            source=request.source,
        ),
        page_size=min(page_size, MAX_PAGE_SIZE),
        cursor=token,
    )


def parse_watch(request: query_pb2.WatchAlertsRequest) -> AlertFilter:
    """Validate a ``WatchAlertsRequest``; raises ``InvalidRequest``."""
    return AlertFilter(
        concept=request.concept,
        model_name=request.model_name,
        min_severity=_severity("min_severity", request.min_severity),
        source=request.source,
    )


async def _abort(
    context: grpc.aio.ServicerContext, code: grpc.StatusCode, details: str
) -> NoReturn:
    await context.abort(code, details)
    raise AssertionError("unreachable: context.abort raises")  # pragma: no cover


class TraceQueryServicer(query_pb2_grpc.TraceQueryServicer):
    """``QueryTraces`` / ``GetTrace`` over a ``TraceReader``; ``WatchAlerts`` over a hub."""

    def __init__(
        self,
        reader: TraceReader | None,
        hub: AlertHub,
        calls: BlockingCalls,
        unavailable: str | None = None,
    ) -> None:
        self._reader = reader
        self._hub = hub
        self._calls = calls
        self._unavailable = unavailable or NO_STORE  # why there is no reader

    async def QueryTraces(
        self, request: query_pb2.QueryTracesRequest, context: grpc.aio.ServicerContext
    ) -> query_pb2.QueryTracesResponse:
        reader = self._reader
        if reader is None:
            await _abort(context, grpc.StatusCode.UNAVAILABLE, self._unavailable)
        try:
            query = parse_query(request)
        except InvalidRequest as exc:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        try:
            traces, cursor = await self._calls.call(
                context,
                "QueryTraces",
                lambda: reader.query_traces(query.filter, query.page_size, query.cursor),
            )
        except ValueError as exc:  # the store's verdict on the cursor
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, f"page_token: {exc}")
        return query_pb2.QueryTracesResponse(traces=traces, next_page_token=cursor)

    async def GetTrace(
        self, request: query_pb2.GetTraceRequest, context: grpc.aio.ServicerContext
    ) -> query_pb2.Trace:
        reader = self._reader
        if reader is None:
            await _abort(context, grpc.StatusCode.UNAVAILABLE, self._unavailable)
        if not request.request_id:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, "request_id is empty")
        if len(request.request_id) > MAX_ID_CHARS:
            await _abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                f"request_id is longer than {MAX_ID_CHARS} characters",
            )
        try:
            trace = await self._calls.call(
                context,
                "GetTrace",
                lambda: reader.get_trace(
                    request.request_id,
                    request.model_name,
                    request.token_offset,
                    request.max_tokens,
                    request.source,
                ),
            )
        except ValueError as exc:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        if trace is None:
            where = f" for model {request.model_name!r}" if request.model_name else ""
            await _abort(
                context,
                grpc.StatusCode.NOT_FOUND,
                f"no stored trace for request {request.request_id!r}{where}",
            )
        return trace

    async def WatchAlerts(
        self, request: query_pb2.WatchAlertsRequest, context: grpc.aio.ServicerContext
    ) -> None:
        try:
            wanted = parse_watch(request)
        except InvalidRequest as exc:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        try:
            sub = self._hub.subscribe(wanted, context.peer())
        except SubscriberLimit as exc:
            await _abort(context, grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
        try:
            # A client that stops reading leaves a write pending once its flow-control
            # window is full; the hub then ends the subscription as slow (it costs nothing
            # more), and the stream ends with RESOURCE_EXHAUSTED if the client reads again.
            while (alert := await sub.next_alert()) is not None:
                try:
                    await context.write(alert)
                except Exception as exc:  # the client went away while we wrote
                    log.debug("WatchAlerts subscriber gone: %r", exc)
                    # ends the call as cancelled, without a status to send on a dead stream
                    raise asyncio.CancelledError from None
            if sub.ended_reason == ENDED_SLOW:
                await _abort(
                    context,
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    "WatchAlerts stream ended: this client read too slowly and lost "
                    "too many alerts in a row",
                )
        finally:
            sub.close()


class AdminServicer(query_pb2_grpc.AdminServicer):
    """``ReloadRules`` over an injected ``reload() -> (rules, source)``."""

    def __init__(self, reload: Reload | None, calls: BlockingCalls) -> None:
        self._reload = reload
        self._calls = calls

    async def ReloadRules(
        self, request: query_pb2.ReloadRulesRequest, context: grpc.aio.ServicerContext
    ) -> query_pb2.ReloadRulesResponse:
        reload = self._reload
        if reload is None:
            await _abort(context, grpc.StatusCode.UNIMPLEMENTED, NO_RELOAD)
        try:
            rules, source = await self._calls.call(context, "ReloadRules", reload)
        except (ConfigError, ValueError) as exc:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return query_pb2.ReloadRulesResponse(rules=rules, source=source)


def query_services(
    reader: TraceReader | None,
    hub: AlertHub,
    reload: Reload | None,
    calls: BlockingCalls,
    unavailable: str | None = None,
) -> list[Service]:
    """The ``TraceQuery`` and ``Admin`` services, ready for ``GrpcServerThread``;
    without a reader, QueryTraces / GetTrace answer UNAVAILABLE with ``unavailable``."""
    trace_query = TraceQueryServicer(reader, hub, calls, unavailable)
    admin = AdminServicer(reload, calls)
    return [
        Service(
            TRACE_QUERY_SERVICE,
            lambda server: query_pb2_grpc.add_TraceQueryServicer_to_server(trace_query, server),
        ),
        Service(
            ADMIN_SERVICE,
            lambda server: query_pb2_grpc.add_AdminServicer_to_server(admin, server),
        ),
    ]
