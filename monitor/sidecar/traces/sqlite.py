"""The trace store in SQLite (WAL mode): flagged requests, their tokens and alerts.

Writes go through a bounded queue to one writer thread that commits them in batches
(``synchronous=FULL``, so a commit that returned survives a crash of the process or
the machine); ``submit`` never blocks and drops (and reports) when the queue is full.
Reads open their own connection per call, so queries never wait for the writer.

Traces are ordered newest first by the time of their first alert; page cursors are the
(first alert time, row id) of the last trace returned, so pages stay stable while new
traces arrive. Traces whose last token is older than the retention are pruned.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from monitor.sidecar.protos import concept_activations
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.severity import SEVERITIES, severity_rank
from monitor.sidecar.traces.reader import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, TraceFilter
from monitor.sidecar.traces.writer import TokenDecoder, TraceUpdate
from monitor.v1 import query_pb2

log = logging.getLogger(__name__)

PRUNE_CHUNK = 1000

SCHEMA = """
CREATE TABLE IF NOT EXISTS traces (
    id INTEGER PRIMARY KEY,
    model_name TEXT NOT NULL,
    request_id TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    first_alert REAL NOT NULL,
    severity INTEGER NOT NULL,
    max_score REAL NOT NULL,
    UNIQUE (model_name, request_id)
);
CREATE INDEX IF NOT EXISTS traces_newest ON traces (first_alert DESC, id DESC);
CREATE INDEX IF NOT EXISTS traces_last_seen ON traces (last_seen);
CREATE TABLE IF NOT EXISTS trace_scores (
    trace_id INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,
    concept TEXT NOT NULL,
    max_score REAL NOT NULL,
    PRIMARY KEY (trace_id, concept)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    trace_id INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,
    concept TEXT NOT NULL,
    fired_at REAL NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_trace ON alerts (trace_id, concept);
CREATE TABLE IF NOT EXISTS tokens (
    trace_id INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    layer INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (trace_id, position, layer)
) WITHOUT ROWID;
"""


class StoreError(Exception):
    """The store file cannot be opened or initialised; the message names the path."""


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30.0, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def _alert_time(alert: query_pb2.Alert) -> float:
    return alert.fired_at.ToNanoseconds() / 1e9


def encode_cursor(first_alert: float, row_id: int) -> str:
    """Opaque page token for the position after (first_alert, row_id)."""
    raw = json.dumps([first_alert, row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, int]:
    """The (first_alert, row_id) of a page token; ValueError when malformed."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        first_alert, row_id = json.loads(raw)
        if isinstance(row_id, bool) or not isinstance(row_id, int) or not 0 <= row_id < 2**63:
            raise TypeError("row id")
        value = float(first_alert)
        if not math.isfinite(value):
            raise ValueError("time")
        return value, row_id
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise ValueError(f"malformed page token {cursor[:40]!r}") from None


def _merge_layers(into: query_pb2.TraceToken, other: query_pb2.TraceToken) -> None:
    """Fold another layer's row of the same token into ``into``."""
    into.scores.update(other.scores)
    if not into.concepts:
        into.concepts.extend(other.concepts)
    if not into.text:
        into.text = other.text


class SqliteTraceStore:
    """Trace store: ``TraceWriter`` (queue + writer thread) and ``TraceReader``."""

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
        on_error: Callable[[str, BaseException], None] | None = None,
        on_drop: Callable[[TraceUpdate], None] | None = None,
    ) -> None:
        self.path = path
        self._retention_s = retention_s
        self._prune_interval_s = prune_interval_s
        self._max_batch = max_batch
        self._decode = decode
        self._label = concept_label
        self._clock = clock
        self._on_error = on_error
        self._on_drop = on_drop
        self._queue: queue.Queue[tuple[int, TraceUpdate | None]] = queue.Queue(queue_size)
        self._submitted = 0
        self._done = 0
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = _connect(path)
            try:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"{path}: cannot switch to WAL mode (got {mode})")
                conn.executescript(SCHEMA)
            finally:
                conn.close()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{path}: cannot open the trace store: {exc}") from None

    # -- writer side -------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread."""
        if self._thread is not None:
            raise RuntimeError("trace store already started")
        self._thread = threading.Thread(
            target=self._run, name="llm-monitor-trace-writer", daemon=True
        )
        self._thread.start()

    def submit(self, update: TraceUpdate) -> bool:
        with self._cond:
            if self._closed:
                accepted = False
            else:
                try:
                    self._queue.put_nowait((self._submitted + 1, update))
                    self._submitted += 1
                    accepted = True
                except queue.Full:
                    accepted = False
        if not accepted and self._on_drop is not None:
            self._on_drop(update)
        return accepted

    def flush(self, timeout: float) -> bool:
        with self._cond:
            target = self._submitted
            return self._cond.wait_for(lambda: self._done >= target, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued (within ``timeout``) and stop the writer thread."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
        thread = self._thread
        if thread is None:
            return
        try:
            self._queue.put((0, None), timeout=timeout)
        except queue.Full:
            log.error("trace store queue still full at shutdown; unwritten traces are lost")
            return
        thread.join(timeout)
        if thread.is_alive():
            log.error("trace writer did not stop within %.1f s", timeout)

    def _run(self) -> None:
        conn = _connect(self.path)
        next_prune = self._clock()
        try:
            while True:
                wait = max(0.0, min(1.0, next_prune - self._clock()))
                try:
                    first = self._queue.get(timeout=wait)
                except queue.Empty:
                    first = None
                stop = False
                batch: list[TraceUpdate] = []
                last_seq = 0
                item = first
                while item is not None:
                    seq, update = item
                    if update is None:
                        stop = True
                        break
                    batch.append(update)
                    last_seq = seq
                    if len(batch) >= self._max_batch:
                        break
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        item = None
                if batch:
                    self._write_batch(conn, batch)
                    with self._cond:
                        self._done = max(self._done, last_seq)
                        self._cond.notify_all()
                if self._clock() >= next_prune:
                    next_prune = self._clock() + self._prune_interval_s
                    try:
                        self._prune(conn, self._clock())
                    except Exception as exc:
                        self._error("prune", exc)
                if stop:
                    return
        finally:
            conn.close()

    def _error(self, stage: str, exc: BaseException) -> None:
        """Report an error of one stage: write, decode or prune."""
        if self._on_error is not None:
            self._on_error(stage, exc)
        else:
            log.error("trace store: %s error: %r", stage, exc)

    def _write_batch(self, conn: sqlite3.Connection, batch: Sequence[TraceUpdate]) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for update in batch:
                    self._apply(conn, update)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except Exception as exc:
            self._error("write", exc)

    def write_now(self, updates: Iterable[TraceUpdate]) -> None:
        """Apply updates synchronously on the calling thread (tools and tests)."""
        conn = _connect(self.path)
        try:
            self._write_batch(conn, list(updates))
        finally:
            conn.close()

    def _apply(self, conn: sqlite3.Connection, update: TraceUpdate) -> None:
        row = conn.execute(
            "SELECT id FROM traces WHERE model_name = ? AND request_id = ?",
            (update.model_name, update.request_id),
        ).fetchone()
        if row is None:
            if not update.alerts:
                return  # the request's first (flagging) write was lost: nothing to attach to
            first_alert = min(_alert_time(alert) for alert in update.alerts)
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
        for alert in update.alerts:
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

    def prune(self, now: float | None = None) -> int:
        """Delete traces whose last token is older than the retention; how many."""
        conn = _connect(self.path)
        try:
            return self._prune(conn, self._clock() if now is None else now)
        finally:
            conn.close()

    def _prune(self, conn: sqlite3.Connection, now: float) -> int:
        cutoff = now - self._retention_s
        removed = 0
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

    # -- reader side -------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn = _connect(self.path)
        conn.execute("PRAGMA query_only = ON")
        return conn

    def query_traces(
        self, query: TraceFilter, page_size: int, cursor: str
    ) -> tuple[list[query_pb2.TraceSummary], str]:
        limit = DEFAULT_PAGE_SIZE if page_size <= 0 else min(page_size, MAX_PAGE_SIZE)
        where: list[str] = []
        args: list[object] = []
        if cursor:
            after_time, after_id = decode_cursor(cursor)
            where.append("(t.first_alert < ? OR (t.first_alert = ? AND t.id < ?))")
            args += [after_time, after_time, after_id]
        if query.start is not None:
            where.append("t.first_alert >= ?")
            args.append(query.start.timestamp())
        if query.end is not None:
            where.append("t.first_alert < ?")
            args.append(query.end.timestamp())
        if query.model_name:
            where.append("t.model_name = ?")
            args.append(query.model_name)
        if query.min_severity:
            where.append("t.severity >= ?")
            args.append(severity_rank(query.min_severity))
        if query.concept:
            where.append(
                "EXISTS (SELECT 1 FROM alerts a WHERE a.trace_id = t.id AND a.concept = ?)"
            )
            args.append(query.concept)
        if query.min_score is not None:
            if query.concept:
                where.append(
                    "EXISTS (SELECT 1 FROM trace_scores s WHERE s.trace_id = t.id"
                    " AND s.concept = ? AND s.max_score >= ?)"
                )
                args += [query.concept, query.min_score]
            else:
                where.append("t.max_score >= ?")
                args.append(query.min_score)
        sql = (
            "SELECT t.id, t.model_name, t.request_id, t.first_seen, t.last_seen,"
            " t.first_alert, t.severity FROM traces t"
            + (" WHERE " + " AND ".join(where) if where else "")
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
