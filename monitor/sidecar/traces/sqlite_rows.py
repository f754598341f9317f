"""Rows of the SQLite trace store: each token row is a serialized ``TraceToken`` (one per
position and layer), merged across layers when read; trace rows become ``TraceSummary``
messages with their scores, token counts and alerts."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from monitor.sidecar.protos import concept_activations
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.severity import SEVERITIES
from monitor.v1 import query_pb2


def alert_time(alert: query_pb2.Alert) -> float:
    """When the alert fired, in seconds since the epoch."""
    return alert.fired_at.ToNanoseconds() / 1e9


def merge_layers(into: query_pb2.TraceToken, other: query_pb2.TraceToken) -> None:
    """Fold another layer's row of the same token into ``into``."""
    into.scores.update(other.scores)
    if not into.concepts:
        into.concepts.extend(other.concepts)
    if not into.text:
        into.text = other.text


def token_rows(
    chunks: Sequence[RequestTokens],
    texts_of: Callable[[list[int]], list[str] | None],
    label: Callable[[int], str] | None,
) -> Iterator[tuple[int, int, bytes]]:
    """(position, layer, serialized ``TraceToken``) of every row of ``chunks``; ``texts_of``
    gives the tokens' text (None: none), ``label`` the concepts' labels."""
    for chunk in chunks:
        positions = chunk.positions.tolist()
        token_ids = chunk.token_ids.tolist()
        scores = {concept: values.tolist() for concept, values in chunk.scores.items()}
        texts = texts_of(token_ids)
        ids = chunk.concept_ids.tolist() if chunk.concept_ids is not None else None
        values = chunk.concept_values.tolist() if chunk.concept_values is not None else None
        segments = chunk.segments.tolist() if chunk.segments is not None else None
        for i, position in enumerate(positions):
            token = query_pb2.TraceToken(
                position=position,
                token_id=token_ids[i],
                text=texts[i] if texts is not None else "",
                scores={concept: s[i] for concept, s in scores.items()},
                segment=segments[i] if segments is not None else 0,  # type: ignore[arg-type]
            )
            if ids is not None and values is not None:
                token.concepts.extend(concept_activations(ids[i], values[i], label))
            yield position, chunk.layer, token.SerializeToString()


#: The columns of ``traces t`` that ``summaries`` reads, in the order it unpacks them.
SUMMARY_COLUMNS = (
    "t.id, t.model_name, t.request_id, t.first_seen, t.last_seen, t.first_alert, t.severity,"
    " t.external_request_id, t.tenant"
)


def summaries(
    conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]
) -> list[query_pb2.TraceSummary]:
    """The ``TraceSummary`` of each trace row (``SUMMARY_COLUMNS``), in the same order."""
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
    alerts: dict[int, list[query_pb2.Alert]] = {}
    for trace_id, data in conn.execute(
        f"SELECT trace_id, data FROM alerts WHERE trace_id IN ({marks})"
        " ORDER BY fired_at, alert_id",
        ids,
    ):
        alert = query_pb2.Alert()
        alert.ParseFromString(data)
        alerts.setdefault(trace_id, []).append(alert)
    out = []
    for row in rows:
        trace_id, model, request_id, first_seen, last_seen, _, severity, external, tenant = row
        trace_alerts = alerts.get(trace_id, [])
        for alert in trace_alerts:  # stored by a schema-0 llm-monitor: without these
            alert.external_request_id = alert.external_request_id or str(external)
            alert.tenant = alert.tenant or str(tenant)
        summary = query_pb2.TraceSummary(
            request_id=str(request_id),
            model_name=str(model),
            max_scores=scores.get(trace_id, {}),
            severity=SEVERITIES[int(severity)],
            token_count=counts.get(trace_id, 0),
            alerts=trace_alerts,
            external_request_id=str(external),
            tenant=str(tenant),
        )
        summary.first_seen.FromNanoseconds(round(float(first_seen) * 1e9))
        summary.last_seen.FromNanoseconds(round(float(last_seen) * 1e9))
        out.append(summary)
    return out
