"""One trace update into the SQLite trace store (inside the caller's transaction).

The trace is found by (model, request id, source), or created by an update that carries
an alert; an update of an unknown trace without alerts is dropped (its flagging write was
lost). Scores keep their maximum, alerts are added once per trace and alert id, token rows
are written compact (a row already stored for a position and layer is replaced), and the
alerts and token rows carry the identity of their encoder, not labels.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from monitor.request_ids import external_request_id
from monitor.sidecar.protos import alert_message
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.severity import severity_rank
from monitor.sidecar.traces.sqlite_rows import alert_time
from monitor.sidecar.traces.sqlite_tokens import (
    TOKEN_COLUMNS,
    TokenFormat,
    chunk_format,
    chunk_rows,
)
from monitor.sidecar.traces.writer import TraceUpdate

TextsOf = Callable[[TraceUpdate, int, RequestTokens], "list[str] | None"]
"""(update, chunk index, chunk) -> the text of the chunk's tokens, or None."""


def write_update(
    conn: sqlite3.Connection,
    update: TraceUpdate,
    *,
    source: str,
    encoder: str,
    format_of: Callable[[TokenFormat], int],
    texts_of: TextsOf,
) -> None:
    """Write ``update`` as replica ``source`` with concept ids of ``encoder``;
    ``format_of`` gives a token format's id."""
    alerts = [alert_message(firing) for firing in update.alerts]  # labels: at read time
    row = conn.execute(
        "SELECT id FROM traces WHERE model_name = ? AND request_id = ? AND source = ?",
        (update.model_name, update.request_id, source),
    ).fetchone()
    if row is None:
        if not alerts:
            return  # the request's first (flagging) write was lost: nothing to attach to
        first_alert = min(alert_time(alert) for alert in alerts)
        cursor = conn.execute(
            "INSERT INTO traces (model_name, request_id, source, external_request_id,"
            " tenant, first_seen, last_seen, first_alert, severity, max_score)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0.0)",
            (
                update.model_name,
                update.request_id,
                source,
                external_request_id(update.request_id),
                update.tenant,
                update.first_seen,
                update.last_seen,
                first_alert,
            ),
        )
        trace_id = cursor.lastrowid
    else:
        trace_id = row[0]
        conn.execute(
            "UPDATE traces SET last_seen = max(last_seen, ?),"
            " tenant = CASE WHEN tenant = '' THEN ? ELSE tenant END WHERE id = ?",
            (update.last_seen, update.tenant, trace_id),
        )
    for concept, score in update.max_scores.items():
        conn.execute(
            "INSERT INTO trace_scores (trace_id, concept, max_score) VALUES (?, ?, ?)"
            " ON CONFLICT (trace_id, concept)"
            " DO UPDATE SET max_score = max(max_score, excluded.max_score)",
            (trace_id, concept, float(score)),
        )
    if update.max_scores:
        conn.execute(
            "UPDATE traces SET max_score = max(max_score, ?) WHERE id = ?",
            (max(float(v) for v in update.max_scores.values()), trace_id),
        )
    for alert in alerts:
        conn.execute(
            "INSERT OR IGNORE INTO alerts (trace_id, alert_id, concept, fired_at, encoder,"
            " data) VALUES (?, ?, ?, ?, ?, ?)",
            (
                trace_id,
                alert.alert_id,
                alert.concept,
                alert_time(alert),
                encoder if alert.top_concepts else "",
                alert.SerializeToString(),
            ),
        )
        conn.execute(
            "UPDATE traces SET severity = max(severity, ?) WHERE id = ?",
            (severity_rank(alert.severity), trace_id),
        )
    rows: list[tuple[object, ...]] = []
    for i, chunk in enumerate(update.tokens):
        fmt = chunk_format(chunk, encoder)
        texts = texts_of(update, i, chunk)
        rows.extend((trace_id, *r) for r in chunk_rows(chunk, format_of(fmt), fmt.probes, texts))
    if rows:
        conn.executemany(
            f"INSERT OR REPLACE INTO tokens (trace_id, {TOKEN_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
