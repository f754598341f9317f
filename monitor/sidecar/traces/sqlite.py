"""The trace store's SQLite backend (WAL mode): flagged requests, their tokens and alerts.

``SqliteTraceRepository`` stores and reads; ``SqliteTraceStore`` puts the store's writer
thread in front of it (:class:`~monitor.sidecar.traces.store.TraceStore`). Each batch of
updates is one transaction committed with ``synchronous=FULL``, so a commit that returned
survives a crash of the process or the machine. Reads open their own connection per call,
so queries never wait for the writer.

Traces are ordered newest first by the time of their first alert; page cursors are the
(first alert time, row id) of the last trace returned (:mod:`monitor.sidecar.traces.cursor`),
so pages stay stable while new traces arrive. Traces whose last token is older than the
retention are pruned, and with ``max_bytes`` the oldest ones beyond that size
(:mod:`monitor.sidecar.traces.sqlite_space`). A write that fails for lack of space raises
``DiskFullError``; the transaction is rolled back when SQLite has not already done so.
Reads are paged by token: ``get_trace`` returns at most ``MAX_TRACE_TOKENS`` tokens.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from monitor.request_ids import external_request_id
from monitor.sidecar.protos import alert_message
from monitor.sidecar.records import Firing
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.severity import severity_rank
from monitor.sidecar.traces.cursor import decode_cursor, encode_cursor, page_limit
from monitor.sidecar.traces.reader import TraceFilter, trace_token_limit
from monitor.sidecar.traces.repository import DiskFullError
from monitor.sidecar.traces.sqlite_rows import (
    SUMMARY_COLUMNS,
    alert_time,
    merge_layers,
    summaries,
    token_rows,
)
from monitor.sidecar.traces.sqlite_schema import StoreError as StoreError
from monitor.sidecar.traces.sqlite_schema import (
    connect,
    create_database,
    filter_sql,
    id_condition,
)
from monitor.sidecar.traces.sqlite_space import is_disk_full, prune_to_size
from monitor.sidecar.traces.store import ErrorCallback, LostCallback, TraceStore
from monitor.sidecar.traces.writer import TokenDecoder, TraceUpdate
from monitor.v1 import query_pb2

log = logging.getLogger(__name__)

PRUNE_CHUNK = 1000  # traces deleted per pruning transaction


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
        max_bytes: int | None = None,
        decode: TokenDecoder | None = None,
        concept_label: Callable[[int], str] | None = None,
        on_error: Callable[[str, BaseException], None] | None = None,
    ) -> None:
        self.path = path
        self._retention_s = retention_s
        self._max_bytes = max_bytes
        self._decode = decode
        self._label = concept_label
        self._on_error = on_error
        self._write_lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None  # the write side's, opened on first use
        create_database(path)  # raises StoreError naming the path

    # -- write side --------------------------------------------------------------------

    def apply(self, updates: Sequence[TraceUpdate]) -> None:
        """Write a batch of updates in one transaction (``synchronous=FULL``: once this
        returns, the batch survives a crash); raises, with nothing written, on failure
        (``DiskFullError`` when out of space). Then keeps the ``max_bytes`` cap."""
        with self._write_lock:
            try:
                conn = self._writer()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for update in updates:
                        self._apply(conn, update)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:  # SQLITE_FULL has rolled back already
                        conn.execute("ROLLBACK")
                    raise
            except (sqlite3.Error, OSError) as exc:
                if is_disk_full(exc):
                    raise DiskFullError(f"{self.path}: {exc}") from exc
                raise
            if self._max_bytes is not None:
                try:
                    prune_to_size(conn, self._max_bytes)
                except Exception as exc:  # the batch is committed: report, do not raise
                    self._error("prune", exc)

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
                    if conn.in_transaction:
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
            first_alert = min(alert_time(alert) for alert in alerts)
            cursor = conn.execute(
                "INSERT INTO traces (model_name, request_id, external_request_id, tenant,"
                " first_seen, last_seen, first_alert, severity, max_score)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0.0)",
                (
                    update.model_name,
                    update.request_id,
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
                "INSERT OR IGNORE INTO alerts (alert_id, trace_id, concept, fired_at, data)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    alert.alert_id,
                    trace_id,
                    alert.concept,
                    alert_time(alert),
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
        return token_rows(chunks, self._texts, self._label)

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
            f"SELECT {SUMMARY_COLUMNS} FROM traces t"
            + (" WHERE " + where if where else "")
            + " ORDER BY t.first_alert DESC, t.id DESC LIMIT ?"
        )
        conn = self._reader()
        try:
            rows = conn.execute(sql, [*args, limit + 1]).fetchall()
            page = rows[:limit]
            found = summaries(conn, page)
        finally:
            conn.close()
        next_cursor = encode_cursor(page[-1][5], page[-1][0]) if len(rows) > limit else ""
        return found, next_cursor

    def get_trace(
        self, request_id: str, model_name: str = "", token_offset: int = 0, max_tokens: int = 0
    ) -> query_pb2.Trace | None:
        """The trace and its tokens from index ``token_offset`` (by position), at most
        ``trace_token_limit(max_tokens)``; rows of several layers merge into one token."""
        if token_offset < 0:
            raise ValueError(f"token_offset must be >= 0, got {token_offset}")
        limit = trace_token_limit(max_tokens)
        condition, args = id_condition(request_id)
        sql = f"SELECT {SUMMARY_COLUMNS} FROM traces t WHERE {condition}"
        if model_name:
            sql += " AND t.model_name = ?"
            args.append(model_name)
        sql += " ORDER BY t.first_alert DESC, t.id DESC LIMIT 1"
        conn = self._reader()
        try:
            row = conn.execute(sql, args).fetchone()
            if row is None:
                return None
            summary = summaries(conn, [row])[0]
            total = summary.token_count
            trace = query_pb2.Trace(summary=summary, total_tokens=total)
            bounds = conn.execute(
                "SELECT min(position), max(position) FROM (SELECT DISTINCT position FROM tokens"
                " WHERE trace_id = ? ORDER BY position LIMIT ? OFFSET ?)",
                (row[0], limit, token_offset),
            ).fetchone()
            if bounds is None or bounds[0] is None:
                return trace  # past the end: no tokens
            if token_offset + limit < total:
                trace.next_token_offset = token_offset + limit
            previous: query_pb2.TraceToken | None = None
            for (data,) in conn.execute(
                "SELECT data FROM tokens WHERE trace_id = ? AND position BETWEEN ? AND ?"
                " ORDER BY position, layer",
                (row[0], bounds[0], bounds[1]),
            ):
                token = query_pb2.TraceToken()
                token.ParseFromString(data)
                if previous is not None and previous.position == token.position:
                    merge_layers(previous, token)  # probes on several layers
                    continue
                previous = trace.tokens.add()
                previous.CopyFrom(token)
            return trace
        finally:
            conn.close()


class SqliteTraceStore(TraceStore):
    """The trace store over SQLite: a ``TraceStore`` in front of a ``SqliteTraceRepository``
    at ``path`` (created if missing; ``StoreError`` naming it when it cannot be opened)."""

    def __init__(
        self,
        path: Path,
        *,
        retention_s: float,
        max_bytes: int | None = None,
        prune_interval_s: float = 300.0,
        queue_size: int = 10000,
        max_batch: int = 512,
        write_attempts: int = 5,
        retry_backoff_s: float = 0.2,
        decode: TokenDecoder | None = None,
        concept_label: Callable[[int], str] | None = None,
        clock: Callable[[], float] = time.time,
        on_error: ErrorCallback | None = None,
        on_drop: Callable[[TraceUpdate], None] | None = None,
        on_lost: LostCallback | None = None,
    ) -> None:
        self.path = path
        repository = SqliteTraceRepository(
            path,
            retention_s=retention_s,
            max_bytes=max_bytes,
            decode=decode,
            concept_label=concept_label,
            on_error=on_error,
        )
        super().__init__(
            repository,
            prune_interval_s=prune_interval_s,
            queue_size=queue_size,
            max_batch=max_batch,
            write_attempts=write_attempts,
            retry_backoff_s=retry_backoff_s,
            clock=clock,
            on_error=on_error,
            on_drop=on_drop,
            on_lost=on_lost,
        )
