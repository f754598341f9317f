"""``llm-monitor query | trace | watch | reload``: gRPC clients of a running sidecar."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from monitor.artifacts.segment_names import segment_name
from monitor.v1 import query_pb2, query_pb2_grpc

DEFAULT_ADDRESS = "127.0.0.1:50051"
DEFAULT_TIMEOUT_S = 10.0
SEVERITIES = ("info", "warning", "critical")

EXIT_OK = 0
EXIT_ERROR = 1  # any other failure of the call
EXIT_USAGE = 2  # bad flags (argparse uses 2 as well)
EXIT_UNAVAILABLE = 3  # sidecar unreachable, or the feature is not configured there
EXIT_UNAUTHENTICATED = 4  # token missing or not accepted
EXIT_NOT_FOUND = 5  # `trace`: no such request stored

_EXIT_CODES = {
    grpc.StatusCode.UNAVAILABLE: EXIT_UNAVAILABLE,
    grpc.StatusCode.UNAUTHENTICATED: EXIT_UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED: EXIT_UNAUTHENTICATED,
    grpc.StatusCode.NOT_FOUND: EXIT_NOT_FOUND,
    grpc.StatusCode.INVALID_ARGUMENT: EXIT_USAGE,
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

EPILOG = (
    "exit status: 0 ok, 1 error, 2 bad arguments, 3 sidecar unavailable, "
    "4 not authenticated, 5 not found"
)


class UsageError(Exception):
    """A flag value the command cannot use; the message names the flag."""


# ---- connection ---------------------------------------------------------------------


@dataclass(frozen=True)
class ClientSettings:
    """How to reach the sidecar."""

    address: str = DEFAULT_ADDRESS
    token: str | None = None
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_server_name: str | None = None
    timeout: float = DEFAULT_TIMEOUT_S

    @property
    def tls(self) -> bool:
        return self.tls_ca is not None or self.tls_cert is not None

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()


def _read(flag: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{flag}: cannot read {path}: {exc.strerror or exc}") from None


def open_channel(settings: ClientSettings) -> grpc.Channel:
    """An insecure channel, or a TLS one when a CA or a client certificate is given."""
    if not settings.tls:
        return grpc.insecure_channel(settings.address)
    if (settings.tls_cert is None) != (settings.tls_key is None):
        raise UsageError("--tls-cert and --tls-key go together")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read("--tls-ca", settings.tls_ca) if settings.tls_ca else None,
        private_key=_read("--tls-key", settings.tls_key) if settings.tls_key else None,
        certificate_chain=_read("--tls-cert", settings.tls_cert) if settings.tls_cert else None,
    )
    options = []
    if settings.tls_server_name:
        options.append(("grpc.ssl_target_name_override", settings.tls_server_name))
    return grpc.secure_channel(settings.address, credentials, options=options)


def describe_error(err: grpc.RpcError, address: str) -> tuple[str, int]:
    """A one-line message and an exit code for a failed call."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    details = (err.details() if hasattr(err, "details") else "") or ""
    if code == grpc.StatusCode.UNAVAILABLE:
        text = f"sidecar at {address} is unavailable: {details}"
    elif code == grpc.StatusCode.UNAUTHENTICATED:
        text = f"not authenticated by the sidecar at {address}: {details} (use --token)"
    elif code == grpc.StatusCode.DEADLINE_EXCEEDED:
        text = f"no answer from the sidecar at {address} in time (--timeout): {details}"
    else:
        text = f"{code.name}: {details}"
    return text, _EXIT_CODES.get(code, EXIT_ERROR)


# ---- formatting ---------------------------------------------------------------------


def _when(stamp: Timestamp) -> str:
    if stamp.seconds == 0 and stamp.nanos == 0:
        return "-"
    return stamp.ToDatetime(tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _to_dict(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces."""
    rows = [list(r) for r in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [list(headers), *rows]
    ]
    return "\n".join(lines)


def _concepts(items: Iterable[query_pb2.ConceptActivation], limit: int = 3) -> str:
    parts = []
    for item in list(items)[:limit]:
        name = f"{item.label}#{item.id}" if item.label else f"#{item.id}"
        parts.append(f"{name}={item.value:.2f}")
    return " ".join(parts) or "-"


def format_summaries(traces: Sequence[query_pb2.TraceSummary]) -> str:
    """The ``query`` table."""
    rows = []
    for t in traces:
        scores = " ".join(f"{c}={s:.3f}" for c, s in sorted(t.max_scores.items()))
        rules = ",".join(sorted({a.rule for a in t.alerts})) or "-"
        rows.append(
            [
                _when(t.first_seen),
                t.request_id,
                t.model_name,
                t.severity or "-",
                str(t.token_count),
                scores or "-",
                rules,
            ]
        )
    headers = ["FIRST SEEN", "REQUEST", "MODEL", "SEVERITY", "TOKENS", "MAX SCORES", "RULES"]
    return table(headers, rows)


def _token_text(token: query_pb2.TraceToken) -> str:
    if token.text:
        return json.dumps(token.text, ensure_ascii=False)
    return f"#{token.token_id}"


def format_trace(trace: query_pb2.Trace) -> str:
    """The ``trace`` header and per-token table."""
    s = trace.summary
    lines = [
        f"request {s.request_id}  model {s.model_name}  severity {s.severity or '-'}  "
        f"tokens {s.token_count}  first seen {_when(s.first_seen)}  last seen {_when(s.last_seen)}",
    ]
    for a in s.alerts:
        lines.append(
            f"alert {a.rule} ({a.concept}, {a.severity}): score {a.score:.3f} >= "
            f"{a.threshold:.3f} at position {a.position}, {_when(a.fired_at)}"
        )
    concepts = sorted({c for tok in trace.tokens for c in tok.scores})
    rows = [
        [
            str(tok.position),
            segment_name(tok.segment),
            _token_text(tok),
            *(f"{tok.scores[c]:.3f}" if c in tok.scores else "-" for c in concepts),
            _concepts(tok.concepts),
        ]
        for tok in trace.tokens
    ]
    lines.append("")
    lines.append(
        table(["POS", "SEGMENT", "TOKEN", *(c.upper() for c in concepts), "TOP CONCEPTS"], rows)
    )
    return "\n".join(lines)


def format_alert(alert: query_pb2.Alert) -> str:
    """One ``watch`` line."""
    return (
        f"{_when(alert.fired_at)} {alert.severity.upper():8} {alert.model_name} "
        f"{alert.concept} rule={alert.rule} score={alert.score:.3f}/{alert.threshold:.3f} "
        f"request={alert.request_id} pos={alert.position} concepts={_concepts(alert.top_concepts)}"
    )


# ---- argument parsing ---------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``1h``, ``2d``, ``1w``."""
    match = _DURATION.match(text)
    if match is None:
        raise UsageError(f"--since: expected a duration like 30m, 1h or 2d, got {text!r}")
    return timedelta(seconds=float(match.group(1)) * _UNIT_S[match.group(2)])


def parse_time(flag: str, text: str) -> datetime:
    """An ISO 8601 time; without a UTC offset it is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
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
        raise UsageError(f"--limit must be at least 1, got {args.limit}")
    request = query_pb2.QueryTracesRequest(
        concept=args.concept or "",
        model_name=args.model or "",
        min_severity=args.severity or "",
        page_size=args.limit,
        page_token=args.page_token or "",
    )
    if args.min_score is not None:
        if not 0.0 <= args.min_score <= 1.0:
            raise UsageError(f"--min-score must be in [0, 1], got {args.min_score}")
        request.min_score = args.min_score
    if args.since is not None and args.start is not None:
        raise UsageError("--since and --start exclude each other")
    start = None
    if args.since is not None:
        start = (now or datetime.now(timezone.utc)) - parse_duration(args.since)
    elif args.start is not None:
        start = parse_time("--start", args.start)
    end = parse_time("--end", args.end) if args.end is not None else None
    if start is not None and end is not None and start > end:
        raise UsageError("the start of the time range is after its end")
    if start is not None:
        request.start_time.CopyFrom(_stamp(start))
    if end is not None:
        request.end_time.CopyFrom(_stamp(end))
    return request


def settings_from(args: argparse.Namespace) -> ClientSettings:
    return ClientSettings(
        address=args.address,
        token=args.token or None,
        tls_ca=args.tls_ca,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        tls_server_name=args.tls_server_name,
        timeout=args.timeout,
    )


# ---- commands -----------------------------------------------------------------------


Command = Callable[[argparse.Namespace, grpc.Channel, ClientSettings, TextIO], int]


def _query(args: argparse.Namespace, channel: grpc.Channel, s: ClientSettings, out: TextIO) -> int:
    stub = query_pb2_grpc.TraceQueryStub(channel)
    response = stub.QueryTraces(build_query(args), timeout=s.timeout, metadata=s.metadata())
    if args.json:
        json.dump([_to_dict(t) for t in response.traces], out, indent=2)
        out.write("\n")
        if response.next_page_token:
            print(f"next page: --page-token {response.next_page_token}", file=sys.stderr)
        return EXIT_OK
    if not response.traces:
        print("no matching traces", file=out)
    else:
        print(format_summaries(response.traces), file=out)
    if response.next_page_token:
        print(f"\nmore: --page-token {response.next_page_token}", file=out)
    return EXIT_OK


def _trace(args: argparse.Namespace, channel: grpc.Channel, s: ClientSettings, out: TextIO) -> int:
    stub = query_pb2_grpc.TraceQueryStub(channel)
    request = query_pb2.GetTraceRequest(request_id=args.request_id, model_name=args.model or "")
    trace = stub.GetTrace(request, timeout=s.timeout, metadata=s.metadata())
    if args.json:
        json.dump(_to_dict(trace), out, indent=2)
        out.write("\n")
    else:
        print(format_trace(trace), file=out)
    return EXIT_OK


def _watch(args: argparse.Namespace, channel: grpc.Channel, s: ClientSettings, out: TextIO) -> int:
    stub = query_pb2_grpc.TraceQueryStub(channel)
    grpc.channel_ready_future(channel).result(timeout=s.timeout)
    request = query_pb2.WatchAlertsRequest(
        concept=args.concept or "", model_name=args.model or "", min_severity=args.severity or ""
    )
    stream = stub.WatchAlerts(request, metadata=s.metadata())
    try:
        for alert in stream:
            if args.json:
                out.write(json.dumps(_to_dict(alert)) + "\n")
            else:
                out.write(format_alert(alert) + "\n")
            out.flush()
    except KeyboardInterrupt:
        stream.cancel()
        return EXIT_OK
    print("the sidecar ended the alert stream", file=sys.stderr)
    return EXIT_OK


def _reload(args: argparse.Namespace, channel: grpc.Channel, s: ClientSettings, out: TextIO) -> int:
    stub = query_pb2_grpc.AdminStub(channel)
    response = stub.ReloadRules(
        query_pb2.ReloadRulesRequest(), timeout=s.timeout, metadata=s.metadata()
    )
    print(f"reloaded {response.rules} rule(s) from {response.source}", file=out)
    return EXIT_OK


def run_client(args: argparse.Namespace, command: Command, out: TextIO | None = None) -> int:
    """Open the channel, run one command, turn failures into a message and an exit code."""
    out = out if out is not None else sys.stdout
    try:
        settings = settings_from(args)
        with open_channel(settings) as channel:
            return command(args, channel, settings, out)
    except UsageError as exc:
        print(f"llm-monitor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except grpc.FutureTimeoutError:
        print(
            f"llm-monitor: sidecar at {args.address} is unavailable: no connection within "
            f"{args.timeout} s",
            file=sys.stderr,
        )
        return EXIT_UNAVAILABLE
    except grpc.RpcError as err:
        text, code = describe_error(err, args.address)
        print(f"llm-monitor: {text}", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        return EXIT_OK


def _command(fn: Command) -> Callable[[argparse.Namespace], int]:
    return lambda args: run_client(args, fn)


def _client_flags() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection")
    group.add_argument(
        "--address",
        default=os.environ.get("LLM_MONITOR_ADDRESS", DEFAULT_ADDRESS),
        help="sidecar gRPC address, host:port or unix:/path (env LLM_MONITOR_ADDRESS; "
        f"default {DEFAULT_ADDRESS})",
    )
    group.add_argument(
        "--token",
        default=os.environ.get("LLM_MONITOR_TOKEN"),
        help="bearer token (env LLM_MONITOR_TOKEN)",
    )
    group.add_argument("--tls-ca", type=Path, help="CA certificate (PEM) to verify the sidecar")
    group.add_argument("--tls-cert", type=Path, help="client certificate (PEM), for mutual TLS")
    group.add_argument("--tls-key", type=Path, help="client private key (PEM), for mutual TLS")
    group.add_argument("--tls-server-name", help="expected name in the sidecar's certificate")
    group.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds per call (default 10)"
    )
    return common


def add_subcommands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``query``, ``trace``, ``watch`` and ``reload``."""
    common = [_client_flags()]

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
    query.add_argument("--limit", type=int, default=50, help="traces per page (default 50)")
    query.add_argument("--page-token", help="continue from a previous page")
    query.add_argument("--json", action="store_true", help="print a JSON list of traces")
    query.set_defaults(func=_command(_query))

    trace = sub.add_parser(
        "trace",
        parents=common,
        help="show one request's concept trace, token by token",
        description="Show a stored request: its alerts and, per token, every probe's score "
        "and the top concepts of the concept encoder.",
        epilog=EPILOG,
    )
    trace.add_argument("request_id", metavar="REQUEST_ID", help="the request id")
    trace.add_argument("--model", help="served model (when the id was stored for several)")
    trace.add_argument("--json", action="store_true", help="print the trace as JSON")
    trace.set_defaults(func=_command(_trace))

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
    watch.add_argument("--json", action="store_true", help="one JSON object per line")
    watch.set_defaults(func=_command(_watch))

    reload = sub.add_parser(
        "reload",
        parents=common,
        help="re-read the rules of a running sidecar",
        description="Ask the sidecar to re-read monitor.yaml and replace its alert rules; an "
        "invalid file keeps the old rules and the error is printed.",
        epilog=EPILOG,
    )
    reload.set_defaults(func=_command(_reload))
