"""Trace rows of the SQLite trace store: they become ``TraceSummary`` messages with their
scores, token counts and alerts. An alert is stored as a serialized ``Alert`` without
concept labels, next to the identity of its encoder; the labels, the trace's source, API
id and tenant are filled in when it is read. (Token rows: :mod:`.sqlite_tokens`.)"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from monitor.sidecar.severity import SEVERITIES
from monitor.sidecar.traces.sqlite_tokens import Resolve
from monitor.v1 import query_pb2


def alert_time(alert: query_pb2.Alert) -> float:
    """When the alert fired, in seconds since the epoch."""
    return alert.fired_at.ToNanoseconds() / 1e9


#: The columns of ``traces t`` that ``summaries`` reads, in the order it unpacks them.
SUMMARY_COLUMNS = (
    "t.id, t.model_name, t.request_id, t.first_seen, t.last_seen, t.first_alert, t.severity,"
    " t.external_request_id, t.tenant, t.source"
)


def summaries(
    conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]], resolve: Resolve
) -> list[query_pb2.TraceSummary]:
    """The ``TraceSummary`` of each trace row (``SUMMARY_COLUMNS``), in the same order;
    ``resolve`` labels the alerts' top concepts."""
    if not rows:
        return []
    ids = [row[0] for row in rows]
    marks = ",".join("?" * len(ids))
    scores: dict[int, dict[str, float]] = {}
    for trace_id, concept, score in conn.execute(
        f"SELECT trace_id, concept, max_score FROM trace_scores WHERE trace_id IN ({marks})",
        ids,
    ):
        scores.setdefault(trace_id, {})[concept] = score
    counts: dict[int, int] = dict(
        conn.execute(
            "SELECT trace_id, count(DISTINCT position) FROM tokens"
            f" WHERE trace_id IN ({marks}) GROUP BY trace_id",
            ids,
        ).fetchall()
    )
    alerts: dict[int, list[tuple[str, query_pb2.Alert]]] = {}
    wanted: dict[str, set[int]] = {}
    for trace_id, encoder, data in conn.execute(
        f"SELECT trace_id, encoder, data FROM alerts WHERE trace_id IN ({marks})"
        " ORDER BY fired_at, alert_id",
        ids,
    ):
        alert = query_pb2.Alert()
        alert.ParseFromString(data)
        alerts.setdefault(trace_id, []).append((str(encoder), alert))
        if alert.top_concepts:
            wanted.setdefault(str(encoder), set()).update(c.id for c in alert.top_concepts)
    labels = resolve(wanted) if wanted else {}
    out = []
    for row in rows:
        trace_id, model, request_id, first_seen, last_seen, _, severity, external, tenant, src = row
        source = str(src)
        trace_alerts = []
        for encoder, alert in alerts.get(trace_id, []):
            names = labels.get(encoder, {})
            for concept in alert.top_concepts:
                concept.label = names.get(concept.id, "")
            # stored by a schema-0 llm-monitor: without these
            alert.external_request_id = alert.external_request_id or str(external)
            alert.tenant = alert.tenant or str(tenant)
            alert.source = source
            trace_alerts.append(alert)
        summary = query_pb2.TraceSummary(
            request_id=str(request_id),
            model_name=str(model),
            max_scores=scores.get(trace_id, {}),
            severity=SEVERITIES[int(severity)],
            token_count=counts.get(trace_id, 0),
            alerts=trace_alerts,
            external_request_id=str(external),
            tenant=str(tenant),
            source=source,
        )
        summary.first_seen.FromNanoseconds(round(float(first_seen) * 1e9))
        summary.last_seen.FromNanoseconds(round(float(last_seen) * 1e9))
        out.append(summary)
    return out
