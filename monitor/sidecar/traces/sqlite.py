"""The trace store's SQLite backend (WAL mode): flagged requests, their tokens and alerts.

``SqliteTraceRepository`` stores and reads; ``SqliteTraceStore`` puts the store's writer
thread in front of it (:class:`~monitor.sidecar.traces.store.TraceStore`). Each batch of
updates is one transaction committed with ``synchronous=FULL``, so a commit that returned
survives a crash of the process or the machine. Reads open their own connection per call,
so queries never wait for the writer.

Traces are ordered newest first by the time of their first alert; page cursors are the
(first alert time, row id) of the last trace returned (:mod:`monitor.sidecar.traces.cursor`),
so pages stay stable while new traces arrive. Traces whose last token is older than the
retention are pruned.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from monitor.sidecar.protos import alert_message, concept_activations
from monitor.sidecar.records import Firing
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.severity import SEVERITIES, severity_rank
from monitor.sidecar.traces.cursor import decode_cursor, encode_cursor, page_limit
from monitor.sidecar.traces.reader import TraceFilter
from monitor.sidecar.traces.sqlite_schema import StoreError as StoreError
from monitor.sidecar.traces.sqlite_schema import connect, create_database, filter_sql
from monitor.sidecar.traces.store import ErrorCallback, TraceStore
from monitor.sidecar.traces.writer import TokenDecoder, TraceUpdate
from monitor.v1 import query_pb2

log = logging.getLogger(__name__)

PRUNE_CHUNK = 1000  # traces deleted per pruning transaction


def _alert_time(alert: query_pb2.Alert) -> float:
    return alert.fired_at.ToNanoseconds() / 1e9


def _merge_layers(into: query_pb2.TraceToken, other: query_pb2.TraceToken) -> None:
    """Fold another layer's row of the same token into ``into``."""
    into.scores.update(other.scores)
    if not into.concepts:
        into.concepts.extend(other.concepts)
    if not into.text:
        into.text = other.text


class SqliteTraceRepository:
    """The SQLite backend of the trace store: ``TraceRepository`` (and so ``TraceReader``).

    Writes (``apply``, ``prune``) share one connection, serialised by a lock; reads open
    their own connection per call. ``decode`` (token ids -> text) and ``concept_label``
    fill in the text of tokens and the labels of concepts; a decoder failure keeps the
    trace without text and goes to ``on_error("decode", exc)``.
    """

    def __init__(
        self,
        path: Path,
        *,
        retention_s: float,
        decode: TokenDecoder | None = None,
        concept_label: Callable[[int], str] | None = None,
        on_error: Callable[[str, BaseException], None] | None = None,
    ) -> None:
        self.path = path
        self._retention_s = retention_s
        self._decode = decode
        self._label = concept_label
        self._on_error = on_error
        self._write_lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None  # the write side's, opened on first use
        create_database(path)  # raises StoreError naming the path

    # -- write side --------------------------------------------------------------------

    def apply(self, updates: Sequence[TraceUpdate]) -> None:
        """Write a batch of updates in one transaction (``synchronous=FULL``: once this
        returns, the batch survives a crash); raises, with nothing written, on failure."""
        with self._write_lock:
            conn = self._writer()
            conn.execute("BEGIN IMMEDIATE")
            try:
                for update in updates:
                    self._apply(conn, update)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def prune(self, now: float) -> int:
        """Delete traces whose last token is older than the retention at ``now``, in
        chunks of ``PRUNE_CHUNK`` (one transaction each); how many."""
        cutoff = now - self._retention_s
        removed = 0
        with self._write_lock:
            conn = self._writer()
            while True:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    cursor = conn.execute(
                        "DELETE FROM traces WHERE id IN"
                        " (SELECT id FROM traces WHERE last_seen < ? LIMIT ?)",
                        (cutoff, PRUNE_CHUNK),
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                removed += cursor.rowcount
                if cursor.rowcount < PRUNE_CHUNK:
                    return removed

    def close(self) -> None:
        """Close the write connection (a later write opens a new one); reads keep working."""
        with self._write_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _writer(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = connect(self.path)
        return self._conn

    def _error(self, stage: str, exc: BaseException) -> None:
        if self._on_error is not None:
            self._on_error(stage, exc)
        else:
            log.error("trace store: %s error: %r", stage, exc)

    def _apply(self, conn: sqlite3.Connection, update: TraceUpdate) -> None:
        alerts = [self._alert(firing) for firing in update.alerts]
        row = conn.execute(
            "SELECT id FROM traces WHERE model_name = ? AND request_id = ?",
            (update.model_name, update.request_id),
        ).fetchone()
        if row is None:
            if not alerts:
                return  # the request's first (flagging) write was lost: nothing to attach to
            first_alert = min(_alert_time(alert) for alert in alerts)
            cursor = conn.execute(
                "INSERT INTO traces (model_name, request_id, first_seen, last_seen, first_alert,"
                " severity, max_score) VALUES (?, ?, ?, ?, ?, 0, 0.0)",
                (
                    update.model_name,
                    update.request_id,
                    update.first_seen,
                    update.last_seen,
                    first_alert,
                ),
            )
            trace_id = cursor.lastrowid
        else:
            trace_id = row[0]
            conn.execute(
                "UPDATE traces SET last_seen = max(last_seen, ?) WHERE id = ?",
                (update.last_seen, trace_id),
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
                "INSERT OR IGNORE INTO alerts (alert_id, trace_id, concept, fired_at, data)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    alert.alert_id,
                    trace_id,
                    alert.concept,
                    _alert_time(alert),
                    alert.SerializeToString(),
                ),
            )
            conn.execute(
                "UPDATE traces SET severity = max(severity, ?) WHERE id = ?",
                (severity_rank(alert.severity), trace_id),
            )
        if update.tokens:
            conn.executemany(
                "INSERT OR REPLACE INTO tokens (trace_id, position, layer, data)"
                " VALUES (?, ?, ?, ?)",
                ((trace_id, *row) for row in self._token_rows(update.tokens)),
            )

    def _alert(self, firing: Firing) -> query_pb2.Alert:
        """The stored (and returned) ``Alert`` of a firing, its top concepts labelled."""
        return alert_message(firing, self._label)

    def _token_rows(self, chunks: Sequence[RequestTokens]) -> Iterable[tuple[int, int, bytes]]:
        for chunk in chunks:
            positions = chunk.positions.tolist()
            token_ids = chunk.token_ids.tolist()
            scores = {concept: values.tolist() for concept, values in chunk.scores.items()}
            texts = self._texts(token_ids)
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
                    token.concepts.extend(concept_activations(ids[i], values[i], self._label))
                yield position, chunk.layer, token.SerializeToString()

    def _texts(self, token_ids: list[int]) -> list[str] | None:
        if self._decode is None:
            return None
        try:
            texts = self._decode(token_ids)
            if len(texts) != len(token_ids):
                raise ValueError(f"decoder returned {len(texts)} texts for {len(token_ids)} ids")
            return texts
        except Exception as exc:
            self._error("decode", exc)
            return None

    # -- reader side -------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn = connect(self.path)
        conn.execute("PRAGMA query_only = ON")
        return conn

    def query_traces(
        self, query: TraceFilter, page_size: int, cursor: str
    ) -> tuple[list[query_pb2.TraceSummary], str]:
        limit = page_limit(page_size)
        after = decode_cursor(cursor) if cursor else None
        where, args = filter_sql(query, after)
        sql = (
            "SELECT t.id, t.model_name, t.request_id, t.first_seen, t.last_seen,"
            " t.first_alert, t.severity FROM traces t"
            + (" WHERE " + where if where else "")
            + " ORDER BY t.first_alert DESC, t.id DESC LIMIT ?"
        )
        conn = self._reader()
        try:
            rows = conn.execute(sql, [*args, limit + 1]).fetchall()
            page = rows[:limit]
            summaries = self._summaries(conn, page)
        finally:
            conn.close()
        next_cursor = encode_cursor(page[-1][5], page[-1][0]) if len(rows) > limit else ""
        return summaries, next_cursor

    def get_trace(self, request_id: str, model_name: str = "") -> query_pb2.Trace | None:
        sql = (
            "SELECT t.id, t.model_name, t.request_id, t.first_seen, t.last_seen,"
            " t.first_alert, t.severity FROM traces t WHERE t.request_id = ?"
        )
        args: list[object] = [request_id]
        if model_name:
            sql += " AND t.model_name = ?"
            args.append(model_name)
        sql += " ORDER BY t.first_alert DESC, t.id DESC LIMIT 1"
        conn = self._reader()
        try:
            row = conn.execute(sql, args).fetchone()
            if row is None:
                return None
            summary = self._summaries(conn, [row])[0]
            trace = query_pb2.Trace(summary=summary)
            previous: query_pb2.TraceToken | None = None
            for (data,) in conn.execute(
                "SELECT data FROM tokens WHERE trace_id = ? ORDER BY position, layer", (row[0],)
            ):
                token = query_pb2.TraceToken()
                token.ParseFromString(data)
                if previous is not None and previous.position == token.position:
                    _merge_layers(previous, token)  # probes on several layers
                    continue
                previous = trace.tokens.add()
                previous.CopyFrom(token)
            return trace
        finally:
            conn.close()

    def _summaries(
        self, conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]
    ) -> list[query_pb2.TraceSummary]:
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
        for trace_id, model, request_id, first_seen, last_seen, _, severity in rows:
            summary = query_pb2.TraceSummary(
                request_id=str(request_id),
                model_name=str(model),
                max_scores=scores.get(trace_id, {}),
                severity=SEVERITIES[int(severity)],
                token_count=counts.get(trace_id, 0),
                alerts=alerts.get(trace_id, []),
            )
            summary.first_seen.FromNanoseconds(round(float(first_seen) * 1e9))
            summary.last_seen.FromNanoseconds(round(float(last_seen) * 1e9))
            out.append(summary)
        return out


class SqliteTraceStore(TraceStore):
    """The trace store over SQLite: a ``TraceStore`` in front of a ``SqliteTraceRepository``
    at ``path`` (created if missing; ``StoreError`` naming it when it cannot be opened)."""

    def __init__(
        self,
        path: Path,
        *,
        retention_s: float,
        prune_interval_s: float = 300.0,
        queue_size: int = 10000,
        max_batch: int = 512,
        decode: TokenDecoder | None = None,
        concept_label: Callable[[int], str] | None = None,
        clock: Callable[[], float] = time.time,
        on_error: ErrorCallback | None = None,
        on_drop: Callable[[TraceUpdate], None] | None = None,
    ) -> None:
        self.path = path
        repository = SqliteTraceRepository(
            path,
            retention_s=retention_s,
            decode=decode,
            concept_label=concept_label,
            on_error=on_error,
        )
        super().__init__(
            repository,
            prune_interval_s=prune_interval_s,
            queue_size=queue_size,
            max_batch=max_batch,
            clock=clock,
            on_error=on_error,
            on_drop=on_drop,
        )
