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

A trace is keyed by (model, request id, source): ``source`` is the replica that saw the
request, so one store can hold several replicas' traces. Token rows are compact
(:mod:`monitor.sidecar.traces.sqlite_tokens`); concept labels are stored once per
encoder and resolved when read (:mod:`monitor.sidecar.traces.sqlite_labels`).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from monitor.sidecar.traces.cursor import decode_cursor, encode_cursor, page_limit
from monitor.sidecar.traces.labels import ConceptLabels
from monitor.sidecar.traces.reader import TraceFilter, trace_token_limit
from monitor.sidecar.traces.repository import DiskFullError
from monitor.sidecar.traces.sqlite_labels import Labels, save_labels, stored
from monitor.sidecar.traces.sqlite_rows import SUMMARY_COLUMNS, summaries
from monitor.sidecar.traces.sqlite_schema import StoreError as StoreError
from monitor.sidecar.traces.sqlite_schema import (
    connect,
    create_database,
    filter_sql,
    id_condition,
)
from monitor.sidecar.traces.sqlite_space import is_disk_full, prune_to_size
from monitor.sidecar.traces.sqlite_tokens import (
    TOKEN_COLUMNS,
    Resolve,
    TokenFormat,
    format_id,
    load_formats,
    read_tokens,
)
from monitor.sidecar.traces.sqlite_write import write_update
from monitor.sidecar.traces.store import ErrorCallback, LostCallback, TraceStore
from monitor.sidecar.traces.token_text import chunk_texts
from monitor.sidecar.traces.writer import TokenDecoder, TraceUpdate
from monitor.v1 import query_pb2

log = logging.getLogger(__name__)

PRUNE_CHUNK = 1000  # traces deleted per pruning transaction


class SqliteTraceRepository:
    """The SQLite backend of the trace store: ``TraceRepository`` (and so ``TraceReader``).

    Writes (``apply``, ``prune``, ``put_labels``) share one connection, serialised by a
    lock; reads open their own connection per call. ``source`` is the replica the store
    belongs to and ``labels`` its concept encoder's label table: an update's empty
    ``source`` / ``encoder`` means these. ``decode`` (token ids -> text) fills in the text
    of tokens whose update brings none; a decoder failure keeps the trace without text and
    goes to ``on_error("decode", exc)``. ``concept_label`` labels the concepts of an
    unnamed encoder (callers without a label table).
    """

    def __init__(
        self,
        path: Path,
        *,
        retention_s: float,
        max_bytes: int | None = None,
        decode: TokenDecoder | None = None,
        source: str = "",
        labels: ConceptLabels | None = None,
        concept_label: Callable[[int], str] | None = None,
        on_error: Callable[[str, BaseException], None] | None = None,
    ) -> None:
        self.path = path
        self.source = source
        self.encoder = labels.encoder if labels is not None else ""
        self._retention_s = retention_s
        self._max_bytes = max_bytes
        self._decode = decode
        self._labels = Labels(labels, concept_label if labels is None else None)
        self._unsaved = labels  # the own label table, until a commit stored it
        self._saved: set[str] = set()  # encoders whose labels this process committed
        self._format_ids: dict[TokenFormat, int] = {}  # committed formats (write side)
        self._formats: dict[int, TokenFormat] = {}  # known formats (read side)
        self._on_error = on_error
        self._write_lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None  # the write side's, opened on first use
        create_database(path)  # raises StoreError naming the path
        if labels is not None:
            try:
                with self._write_lock:
                    self._transaction(self._save_own)
                    self._committed({})
            except (DiskFullError, sqlite3.Error, OSError) as exc:  # then with the next write
                self._error("write", exc)

    # -- write side --------------------------------------------------------------------

    def apply(self, updates: Sequence[TraceUpdate]) -> None:
        """Write a batch of updates in one transaction (``synchronous=FULL``: once this
        returns, the batch survives a crash); raises, with nothing written, on failure
        (``DiskFullError`` when out of space). Then keeps the ``max_bytes`` cap. An
        update's ``snapshot`` is not needed: the store merges updates itself."""
        with self._write_lock:
            formats: dict[TokenFormat, int] = {}

            def write(conn: sqlite3.Connection) -> None:
                self._save_own(conn)
                for update in updates:
                    self._apply(conn, update, formats)

            conn = self._transaction(write)
            self._committed(formats)
            if self._max_bytes is not None:
                try:
                    prune_to_size(conn, self._max_bytes)
                except Exception as exc:  # the batch is committed: report, do not raise
                    self._error("prune", exc)

    def put_labels(self, labels: ConceptLabels) -> None:
        """Store an encoder's label table (kept when already stored), committed durably
        when this returns; reads resolve the encoder's concept ids with it."""
        with self._write_lock:
            self._transaction(lambda conn: save_labels(conn, labels))
            self._saved.add(labels.encoder)
        self._labels.add(labels)

    def has_labels(self, encoder: str) -> bool:
        """Whether the store holds the label table of ``encoder``."""
        if encoder in self._saved:
            return True
        conn = self._reader()
        try:
            return stored(conn, encoder)
        finally:
            conn.close()

    def _transaction(self, write: Callable[[sqlite3.Connection], None]) -> sqlite3.Connection:
        """Run ``write`` in one transaction on the write connection (held lock), committed
        or rolled back; ``DiskFullError`` when out of space. The connection."""
        try:
            conn = self._writer()
            conn.execute("BEGIN IMMEDIATE")
            try:
                write(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # SQLITE_FULL has rolled back already
                    conn.execute("ROLLBACK")
                raise
        except (sqlite3.Error, OSError) as exc:
            if is_disk_full(exc):
                raise DiskFullError(f"{self.path}: {exc}") from exc
            raise
        return conn

    def _save_own(self, conn: sqlite3.Connection) -> None:
        """Store the own label table unless it is (inside a transaction)."""
        if self._unsaved is not None and not stored(conn, self._unsaved.encoder):
            save_labels(conn, self._unsaved)

    def _committed(self, formats: dict[TokenFormat, int]) -> None:
        """After a commit: the formats and the own label table it stored are known."""
        self._format_ids.update(formats)
        self._formats.update((fid, fmt) for fmt, fid in formats.items())
        if self._unsaved is not None:
            self._saved.add(self._unsaved.encoder)
            self._unsaved = None

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

    def _apply(
        self, conn: sqlite3.Connection, update: TraceUpdate, formats: dict[TokenFormat, int]
    ) -> None:
        def format_of(fmt: TokenFormat) -> int:
            fid = self._format_ids.get(fmt, formats.get(fmt))
            if fid is None:
                fid = formats[fmt] = format_id(conn, fmt)
            return fid

        write_update(
            conn,
            update,
            source=update.source or self.source,
            encoder=update.encoder or self.encoder,
            format_of=format_of,
            texts_of=lambda update, index, chunk: chunk_texts(
                update, index, chunk, self._decode, self._error
            ),
        )

    # -- reader side -------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn = connect(self.path)
        conn.execute("PRAGMA query_only = ON")
        return conn

    def _resolver(self, conn: sqlite3.Connection) -> Resolve:
        return lambda wanted: self._labels.resolve(conn, wanted)

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
            found = summaries(conn, page, self._resolver(conn))
        finally:
            conn.close()
        next_cursor = encode_cursor(page[-1][5], page[-1][0]) if len(rows) > limit else ""
        return found, next_cursor

    def get_trace(
        self,
        request_id: str,
        model_name: str = "",
        token_offset: int = 0,
        max_tokens: int = 0,
        source: str = "",
    ) -> query_pb2.Trace | None:
        """The trace and its tokens from index ``token_offset`` (by position), at most
        ``trace_token_limit(max_tokens)``; rows of several layers merge into one token.
        ``model_name`` and ``source`` ('' = any) narrow the match; the newest wins."""
        if token_offset < 0:
            raise ValueError(f"token_offset must be >= 0, got {token_offset}")
        limit = trace_token_limit(max_tokens)
        condition, args = id_condition(request_id)
        sql = f"SELECT {SUMMARY_COLUMNS} FROM traces t WHERE {condition}"
        if model_name:
            sql += " AND t.model_name = ?"
            args.append(model_name)
        if source:
            sql += " AND t.source = ?"
            args.append(source)
        sql += " ORDER BY t.first_alert DESC, t.id DESC LIMIT 1"
        conn = self._reader()
        try:
            row = conn.execute(sql, args).fetchone()
            if row is None:
                return None
            resolve = self._resolver(conn)
            summary = summaries(conn, [row], resolve)[0]
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
            rows = conn.execute(
                f"SELECT {TOKEN_COLUMNS} FROM tokens WHERE trace_id = ?"
                " AND position BETWEEN ? AND ? ORDER BY position, layer",
                (row[0], bounds[0], bounds[1]),
            ).fetchall()
            if any(r[4] not in self._formats for r in rows):
                self._formats.update(load_formats(conn))
            read_tokens(rows, self._formats, resolve, trace.tokens)
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
        source: str = "",
        labels: ConceptLabels | None = None,
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
            source=source,
            labels=labels,
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
