"""How the client commands print traces and alerts: aligned tables and one-line alerts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import timezone
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from monitor.artifacts.segment_names import segment_name
from monitor.v1 import query_pb2


def _when(stamp: Timestamp) -> str:
    if stamp.seconds == 0 and stamp.nanos == 0:
        return "-"
    return stamp.ToDatetime(tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_dict(message: Message) -> dict[str, Any]:
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


def _api_id(external: str, internal: str) -> str:
    """The id the API client saw (stores from before it was kept: vLLM's id)."""
    return external or internal


def format_summaries(traces: Sequence[query_pb2.TraceSummary]) -> str:
    """The ``query`` table (REQUEST is the id the API client saw)."""
    rows = []
    for t in traces:
        scores = " ".join(f"{c}={s:.3f}" for c, s in sorted(t.max_scores.items()))
        rules = ",".join(sorted({a.rule for a in t.alerts})) or "-"
        rows.append(
            [
                _when(t.first_seen),
                _api_id(t.external_request_id, t.request_id),
                t.tenant or "-",
                t.model_name,
                t.severity or "-",
                str(t.token_count),
                scores or "-",
                rules,
            ]
        )
    headers = [
        "FIRST SEEN",
        "REQUEST",
        "TENANT",
        "MODEL",
        "SEVERITY",
        "TOKENS",
        "MAX SCORES",
        "RULES",
    ]
    return table(headers, rows)


def _token_text(token: query_pb2.TraceToken) -> str:
    if token.text:
        return json.dumps(token.text, ensure_ascii=False)
    return f"#{token.token_id}"


def format_trace(trace: query_pb2.Trace) -> str:
    """The ``trace`` header and per-token table."""
    s = trace.summary
    lines = [
        f"request {_api_id(s.external_request_id, s.request_id)}  vllm id {s.request_id}  "
        f"tenant {s.tenant or '-'}",
        f"model {s.model_name}  severity {s.severity or '-'}  tokens {s.token_count}  "
        f"first seen {_when(s.first_seen)}  last seen {_when(s.last_seen)}",
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
        f"request={_api_id(alert.external_request_id, alert.request_id)} "
        f"tenant={alert.tenant or '-'} pos={alert.position} "
        f"concepts={_concepts(alert.top_concepts)}"
    )
