"""``llm-monitor query | trace | watch | reload``: gRPC clients of a running sidecar."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime, timedelta, timezone
from typing import TextIO

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from monitor.cli.commands.client import (
    EPILOG,
    ClientSettings,
    client_command,
    client_flags,
    usage_error,
)
from monitor.cli.commands.query_format import format_alert, format_summaries, format_trace, to_dict
from monitor.cli.exit_codes import ExitCode
from monitor.v1 import query_pb2, query_pb2_grpc

SEVERITIES = ("info", "warning", "critical")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``1h``, ``2d``, ``1w``."""
    match = _DURATION.match(text)
    if match is None:
        raise usage_error(f"--since: expected a duration like 30m, 1h or 2d, got {text!r}")
    return timedelta(seconds=float(match.group(1)) * _UNIT_S[match.group(2)])


def parse_time(flag: str, text: str) -> datetime:
    """An ISO 8601 time; without a UTC offset it is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise usage_error(
            f"{flag}: expected an ISO 8601 time like 2026-01-31T12:00:00Z, got {text!r}"
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _stamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def build_query(
    args: argparse.Namespace, now: datetime | None = None
) -> query_pb2.QueryTracesRequest:
    """The ``QueryTracesRequest`` for the ``query`` flags."""
    if args.limit < 1:
        raise usage_error(f"--limit must be at least 1, got {args.limit}")
    request = query_pb2.QueryTracesRequest(
        concept=args.concept or "",
        model_name=args.model or "",
        min_severity=args.severity or "",
        page_size=args.limit,
        page_token=args.page_token or "",
        tenant=args.tenant or "",
        request_id=args.request_id or "",
        source=args.source or "",
    )
    if args.min_score is not None:
        if not 0.0 <= args.min_score <= 1.0:
            raise usage_error(f"--min-score must be in [0, 1], got {args.min_score}")
        request.min_score = args.min_score
    if args.since is not None and args.start is not None:
        raise usage_error("--since and --start exclude each other")
    start = None
    if args.since is not None:
        start = (now or datetime.now(timezone.utc)) - parse_duration(args.since)
    elif args.start is not None:
        start = parse_time("--start", args.start)
    end = parse_time("--end", args.end) if args.end is not None else None
    if start is not None and end is not None and start > end:
        raise usage_error("the start of the time range is after its end")
    if start is not None:
        request.start_time.CopyFrom(_stamp(start))
    if end is not None:
        request.end_time.CopyFrom(_stamp(end))
    return request


def _query(args: argparse.Namespace, channel: grpc.Channel, s: ClientSettings, out: TextIO) -> int:
    stub = query_pb2_grpc.TraceQueryStub(channel)
    response = stub.QueryTraces(build_query(args), timeout=s.timeout, metadata=s.metadata())
    if args.json:
        json.dump([to_dict(t) for t in response.traces], out, indent=2)
        out.write("\n")
        if response.next_page_token:
            print(f"next page: --page-token {response.next_page_token}", file=sys.stderr)
        return ExitCode.OK
    if not response.traces:
        print("no matching traces", file=out)
    else:
        print(format_summaries(response.traces), file=out)
    if response.next_page_token:
        print(f"\nmore: --page-token {response.next_page_token}", file=out)
    return ExitCode.OK


SOURCE_HELP = "only this replica (a sidecar's instance_id; useful against a hub)"
MAX_TRACE_PAGES = 100_000  # a guard against a server that never ends the paging


def fetch_trace(
    stub: query_pb2_grpc.TraceQueryStub,
    request_id: str,
    model_name: str,
    settings: ClientSettings,
    source: str = "",
) -> query_pb2.Trace:
    """The whole trace: every page of ``GetTrace`` (the server pages tokens), joined.
    Each page gets the full ``--timeout``."""
    request = query_pb2.GetTraceRequest(request_id=request_id, model_name=model_name, source=source)
    trace = stub.GetTrace(request, timeout=settings.timeout, metadata=settings.metadata())
    offset = trace.next_token_offset
    for _ in range(MAX_TRACE_PAGES):
        if not offset:
            break
        request.token_offset = offset
        page = stub.GetTrace(request, timeout=settings.timeout, metadata=settings.metadata())
        trace.tokens.extend(page.tokens)
        if page.next_token_offset <= offset:  # no progress: stop rather than loop
            break
        offset = page.next_token_offset
    trace.next_token_offset = 0
    return trace


def _trace(args: argparse.Namespace, channel: grpc.Channel, s: ClientSettings, out: TextIO) -> int:
    stub = query_pb2_grpc.TraceQueryStub(channel)
    trace = fetch_trace(stub, args.request_id, args.model or "", s, args.source or "")
    if args.json:
        json.dump(to_dict(trace), out, indent=2)
        out.write("\n")
    else:
        print(format_trace(trace), file=out)
    return ExitCode.OK


def _watch(args: argparse.Namespace, channel: grpc.Channel, s: ClientSettings, out: TextIO) -> int:
    stub = query_pb2_grpc.TraceQueryStub(channel)
    grpc.channel_ready_future(channel).result(timeout=s.timeout)
    request = query_pb2.WatchAlertsRequest(
        concept=args.concept or "",
        model_name=args.model or "",
        min_severity=args.severity or "",
        source=args.source or "",
    )
    stream = stub.WatchAlerts(request, metadata=s.metadata())
    try:
        for alert in stream:
            if args.json:
                out.write(json.dumps(to_dict(alert)) + "\n")
            else:
                out.write(format_alert(alert) + "\n")
            out.flush()
    except KeyboardInterrupt:
        stream.cancel()
        return ExitCode.OK
    print("the server ended the alert stream", file=sys.stderr)
    return ExitCode.OK


def _reload(args: argparse.Namespace, channel: grpc.Channel, s: ClientSettings, out: TextIO) -> int:
    stub = query_pb2_grpc.AdminStub(channel)
    response = stub.ReloadRules(
        query_pb2.ReloadRulesRequest(), timeout=s.timeout, metadata=s.metadata()
    )
    print(f"reloaded {response.rules} rule(s) from {response.source}", file=out)
    return ExitCode.OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``query``, ``trace``, ``watch`` and ``reload``."""
    common = [client_flags()]

    query = sub.add_parser(
        "query",
        parents=common,
        help="list flagged requests (newest first)",
        description="List stored (flagged) requests matching the filters, newest first.",
        epilog=EPILOG,
    )
    when = query.add_argument_group("time range (of the first alert)")
    when.add_argument("--since", help="only the last DURATION, e.g. 30m, 1h, 2d")
    when.add_argument("--start", help="from this ISO 8601 time (UTC unless an offset is given)")
    when.add_argument("--end", help="until this ISO 8601 time")
    query.add_argument("--concept", help="only requests with an alert for this probe concept")
    query.add_argument("--min-score", type=float, help="minimum aggregated score, in [0, 1]")
    query.add_argument("--model", help="only this served model")
    query.add_argument("--severity", choices=SEVERITIES, help="minimum severity")
    query.add_argument("--tenant", help="only this tenant (vllm_xargs llm_monitor_tenant)")
    query.add_argument("--source", help=SOURCE_HELP)
    query.add_argument(
        "--request-id",
        help="only this request: the id from the API response, its X-Request-Id header, "
        "or vLLM's internal id",
    )
    query.add_argument("--limit", type=int, default=50, help="traces per page (default 50)")
    query.add_argument("--page-token", help="continue from a previous page")
    query.add_argument("--json", action="store_true", help="print a JSON list of traces")
    query.set_defaults(func=client_command(_query))

    trace = sub.add_parser(
        "trace",
        parents=common,
        help="show one request's concept trace, token by token",
        description="Show a stored request: its alerts and, per token, every probe's score "
        "and the top concepts of the concept encoder.",
        epilog=EPILOG,
    )
    trace.add_argument(
        "request_id",
        metavar="REQUEST_ID",
        help="the id from the API response (chatcmpl-...), the X-Request-Id header the client "
        "sent, or vLLM's internal id; when several traces match, the newest is shown",
    )
    trace.add_argument("--model", help="served model (when the id was stored for several)")
    trace.add_argument(
        "--source", help="replica that stored it (when several stored the id; default: newest)"
    )
    trace.add_argument("--json", action="store_true", help="print the trace as JSON")
    trace.set_defaults(func=client_command(_trace))

    watch = sub.add_parser(
        "watch",
        parents=common,
        help="print alerts as they fire (Ctrl-C stops)",
        description="Subscribe to alerts and print one line per alert until Ctrl-C.",
        epilog=EPILOG,
    )
    watch.add_argument("--concept", help="only this probe concept")
    watch.add_argument("--model", help="only this served model")
    watch.add_argument("--severity", choices=SEVERITIES, help="minimum severity")
    watch.add_argument("--source", help=SOURCE_HELP)
    watch.add_argument("--json", action="store_true", help="one JSON object per line")
    watch.set_defaults(func=client_command(_watch))

    reload = sub.add_parser(
        "reload",
        parents=common,
        help="re-read the rules of a running sidecar",
        description="Ask the sidecar to re-read monitor.yaml and replace its alert rules; an "
        "invalid file keeps the old rules and the error is printed.",
        epilog=EPILOG,
    )
    reload.set_defaults(func=client_command(_reload))
