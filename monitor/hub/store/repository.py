"""The fleet trace store on ClickHouse: ``TraceRepository`` over a ``ClickHouseExecutor``.

Writes are plain inserts of immutable rows with natural keys (:mod:`.schema`): a batch
inserts its tokens, then its alerts, then the traces' snapshots, each insert acknowledged
by the engine before the next. A batch that fails part-way may have stored its first
tables; a trace becomes visible only with its snapshot (the last insert), and repeating
the batch, as the at-least-once delivery in front of the store does, stores nothing
twice. An update without a snapshot gets one from the repository's own ``Snapshots``
(right when this process sees every update of a trace, as in tests; updates from the
wire carry theirs).

Reads: QueryTraces reads in expanding time windows (the last hour, day, week, then the
rest, counted back from the cursor, the end of the range, or now), each window only the
part the previous ones did not cover, until a page is full: the newest pages read a few
parts of one partition. GetTrace merges a token's layers and pages tokens by position.
Concept labels are resolved when reading, from ``concept_labels``, per encoder (cached:
an encoder's identity is a hash of its labels; :mod:`.concept_labels`).

Thread safety: every method may be called from several threads at once (the executor is
thread-safe; the snapshot and label caches are locked).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from monitor.hub.store import reads, sql, token_pages
from monitor.hub.store.concept_labels import StoredLabels
from monitor.hub.store.cursor import TraceKey, decode_cursor, encode_cursor
from monitor.hub.store.executor import ClickHouseExecutor, Row
from monitor.hub.store.schema import migrate
from monitor.hub.store.writes import (
    ALERT_COLUMNS,
    TOKEN_COLUMNS,
    TRACE_COLUMNS,
    TokenItem,
    TraceRef,
    alert_row,
    token_block,
    trace_row,
)
from monitor.sidecar.traces.cursor import page_limit
from monitor.sidecar.traces.labels import ConceptLabels
from monitor.sidecar.traces.reader import TraceFilter, trace_token_limit
from monitor.sidecar.traces.snapshots import Snapshots
from monitor.sidecar.traces.writer import TraceSnapshot, TraceUpdate
from monitor.v1 import query_pb2

log = logging.getLogger(__name__)

DAY_S = 86400
DEFAULT_WINDOWS_S = (3600.0, 86400.0, 7 * 86400.0)  # then unbounded
TABLES = ("trace_tokens", "traces", "alerts", "concept_labels")


@dataclass(frozen=True)
class TableSize:
    """A table's active rows and bytes on disk (compressed, with indexes and marks)."""

    rows: int
    bytes_on_disk: int


class ClickHouseTraceRepository:
    """``TraceRepository`` on ClickHouse, plus ``put_labels``/``has_labels``.

    ``source`` and ``labels`` are the store's own replica id and encoder (an update's empty
    ``source``/``encoder`` means these). Retention is per table, in days (fractions allowed).
    ``keep_token_text=False`` stores no token text. ``protobuf_pages``: GetTrace pages
    written by the engine as protobuf (:mod:`.token_pages`); None detects whether the engine
    can. The executor stays the caller's: close it (``repository.executor.close()``) after
    the last read.
    """

    def __init__(
        self,
        executor: ClickHouseExecutor,
        *,
        database: str = "llm_monitor",
        token_ttl_days: float = 7,
        trace_ttl_days: float = 90,
        source: str = "",
        labels: ConceptLabels | None = None,
        keep_token_text: bool = True,
        clock: Callable[[], float] = time.time,
        windows_s: Sequence[float] = DEFAULT_WINDOWS_S,
        protobuf_pages: bool | None = None,
    ) -> None:
        for name, days in (("token_ttl_days", token_ttl_days), ("trace_ttl_days", trace_ttl_days)):
            if not days > 0:
                raise ValueError(f"{name} must be positive, got {days}")
        self.executor = executor
        self.database = sql.identifier(database)
        self._source = source
        self._encoder = labels.encoder if labels is not None else ""
        self._keep_text = keep_token_text
        self._clock = clock
        self._windows_s = tuple(windows_s)
        self._snapshots: dict[str, Snapshots] = {}
        self._snapshot_lock = threading.Lock()
        self._labels = StoredLabels(executor, self.database)
        # GetTrace reads a trace's alerts while it reads its tokens
        self._side_reads = ThreadPoolExecutor(4, thread_name_prefix="llm-monitor-trace-read")
        migrate(
            executor.command,
            executor.query,
            self.database,
            token_ttl_s=max(1, round(token_ttl_days * DAY_S)),
            trace_ttl_s=max(1, round(trace_ttl_days * DAY_S)),
        )
        if labels is not None and not self.has_labels(labels.encoder):
            self.put_labels(labels)
        self._page_settings = token_pages.schema_settings(executor.schema_dir)
        if protobuf_pages is None:
            protobuf_pages = token_pages.supported(executor, self._page_settings)
            if not protobuf_pages:
                log.warning(
                    "this ClickHouse cannot write protobuf with an inline schema"
                    " (format_schema_source): GetTrace builds its pages from JSON, slower"
                )
        self.protobuf_pages = protobuf_pages

    # -- write side --------------------------------------------------------------------

    def apply(self, updates: Sequence[TraceUpdate]) -> None:
        """Store a batch: tokens, alerts, then snapshots (see the module's notes on a
        batch that fails part-way); ``DiskFullError`` when the engine is out of space."""
        tokens: list[TokenItem] = []
        alerts: list[bytes] = []
        traces: list[bytes] = []
        for update, snapshot in self._with_snapshots(updates):
            source = update.source or self._source
            ref = TraceRef(
                update.model_name,
                update.request_id,
                source,
                update.encoder or self._encoder,
                snapshot.first_alert,
            )
            for i, chunk in enumerate(update.tokens):
                texts = None
                if self._keep_text and update.texts is not None and i < len(update.texts):
                    texts = update.texts[i]
                tokens.append((ref, chunk, texts))
            alerts += [alert_row(ref, firing, update.tenant) for firing in update.alerts]
            traces.append(
                trace_row(
                    ref,
                    snapshot,
                    tenant=update.tenant,
                    first_seen=update.first_seen,
                    last_seen=update.last_seen,
                )
            )
        _, token_data = token_block(tokens)
        for table, columns, blocks in (
            ("trace_tokens", TOKEN_COLUMNS, [token_data] if token_data else []),
            ("alerts", ALERT_COLUMNS, alerts),
            ("traces", TRACE_COLUMNS, traces),
        ):
            if blocks:
                self.executor.insert(f"{self.database}.{table}", columns, b"".join(blocks))

    def _with_snapshots(
        self, updates: Sequence[TraceUpdate]
    ) -> list[tuple[TraceUpdate, TraceSnapshot]]:
        out = []
        for update in updates:
            snapshot = update.snapshot
            if snapshot is None:
                source = update.source or self._source
                with self._snapshot_lock:
                    snapshots = self._snapshots.setdefault(source, Snapshots())
                    snapshot = snapshots.add(update).snapshot
            if snapshot is not None:
                out.append((update, snapshot))
        return out

    def prune(self, now: float) -> int:
        """Nothing to do: the tables expire rows themselves (TTL); 0."""
        return 0

    def close(self) -> None:
        """Nothing to release: writes hold no state between batches."""

    def put_labels(self, labels: ConceptLabels) -> None:
        """Store an encoder's label table (idempotent: a repeat replaces it with itself)."""
        self._labels.put(labels)

    def has_labels(self, encoder: str) -> bool:
        """True when the label table of ``encoder`` is stored."""
        return self._labels.has(encoder)

    # -- read side ---------------------------------------------------------------------

    def query_traces(
        self, query: TraceFilter, page_size: int, cursor: str
    ) -> tuple[list[query_pb2.TraceSummary], str]:
        limit = page_limit(page_size)
        after = decode_cursor(cursor) if cursor else None
        where = reads.filter_conditions(query)
        if after is not None:
            where.append(reads.after_condition(after))
        rows = self._newest(where, query, after, limit + 1)
        found = [reads.summary(row) for row in rows[:limit]]
        self._attach_alerts(found)
        next_cursor = encode_cursor(found[-1][0]) if len(rows) > limit else ""
        return [message for _, message in found], next_cursor

    def _newest(
        self, where: list[str], query: TraceFilter, after: TraceKey | None, want: int
    ) -> list[Row]:
        """The first ``want`` traces matching ``where``: each window (back from the top)
        adds the traces between its start and the previous window's, until enough."""
        if after is not None:
            top = after.first_alert_us
        elif query.end is not None:
            top = sql.micros(query.end.timestamp())
        else:
            top = sql.micros(self._clock())
        start = sql.micros(query.start.timestamp()) if query.start is not None else None
        found: list[Row] = []
        upper: int | None = None  # the previous window's lower bound
        for window_s in self._windows_s:
            lower = top - sql.micros(window_s)
            if start is not None and start >= lower:
                break  # the range itself is no wider than this window
            bounds = [f"first_alert >= {sql.time_micros(lower)}"]
            if upper is not None:
                bounds.append(f"first_alert < {sql.time_micros(upper)}")
            found += self._summaries([*where, *bounds], want - len(found))
            if len(found) >= want:
                return found
            upper = lower
        rest = [f"first_alert < {sql.time_micros(upper)}"] if upper is not None else []
        return found + self._summaries([*where, *rest], want - len(found))

    def _summaries(self, where: list[str], limit: int) -> list[Row]:
        condition = " WHERE " + " AND ".join(where) if where else ""
        return self.executor.query(
            f"SELECT {reads.SUMMARY_COLUMNS} FROM {self.database}.traces{condition}"
            f" {reads.TRACE_ORDER} LIMIT {sql.integer(limit)}"
        )

    def _attach_alerts(self, found: list[tuple[TraceKey, query_pb2.TraceSummary]]) -> None:
        if not found:
            return
        by_trace = {(k.model_name, k.request_id, k.source): s for k, s in found}
        labels = self._labels.for_read()
        for row in self.executor.query(reads.alerts_sql(self.database, [k for k, _ in found])):
            key, alert = reads.alert(row, labels)
            target = by_trace.get(key)
            if target is not None:
                target.alerts.append(alert)

    def alerts_inserted_since(
        self, after_ms: int, limit: int = 10_000
    ) -> tuple[list[query_pb2.Alert], int]:
        """Alerts not suppressed that were stored after ``after_ms`` (milliseconds since the
        epoch, by the database's insert time), oldest first, at most ``limit``, labelled
        and with ``source``; and the newest insert time seen (``after_ms`` when none). A
        replica of several hubs streams what the others stored with this (WatchAlerts)."""
        rows = self.executor.query(
            f"SELECT {reads.ALERT_COLUMNS}, toUnixTimestamp64Milli(inserted_at)"
            f" FROM {self.database}.alerts WHERE inserted_at > fromUnixTimestamp64Milli("
            f"{sql.integer(after_ms)}) AND NOT suppressed ORDER BY inserted_at"
            f" LIMIT {sql.integer(limit)}"
        )
        labels = self._labels.for_read()
        alerts = [reads.alert(row[:-1], labels)[1] for row in rows]
        newest = max((int(row[-1]) for row in rows), default=after_ms)
        return alerts, newest

    def get_trace(
        self,
        request_id: str,
        model_name: str = "",
        token_offset: int = 0,
        max_tokens: int = 0,
        source: str = "",
    ) -> query_pb2.Trace | None:
        """The newest matching trace and its tokens from index ``token_offset`` (by
        position), at most ``trace_token_limit(max_tokens)``; layers merged per token."""
        if token_offset < 0:
            raise ValueError(f"token_offset must be >= 0, got {token_offset}")
        limit = trace_token_limit(max_tokens)
        narrow = []
        if model_name:
            narrow.append(f"model_name = {sql.string(model_name)}")
        if source:
            narrow.append(f"source = {sql.string(source)}")
        # the internal and the external id each through their own index, side by side (one
        # condition with OR would read the whole table); the newest of both wins
        external = self._side_reads.submit(
            self._summaries, [reads.external_id_condition(request_id), *narrow], 1
        )
        try:
            internal = self._summaries([reads.internal_id_condition(request_id), *narrow], 1)
        except BaseException:
            wait([external])  # never leave a read running behind a failed call
            raise
        found = [reads.summary(row) for row in internal + external.result()]
        if not found:
            return None
        key, summary = max(found, key=lambda item: _newest_first(item[0]))
        alerts = self._side_reads.submit(self._attach_alerts, [(key, summary)])
        try:
            trace = self._trace_tokens(key, token_offset, limit)
        finally:
            alerts.result()  # raises what the alerts' read raised
        trace.summary.CopyFrom(summary)
        return trace

    def _trace_tokens(self, key: TraceKey, token_offset: int, limit: int) -> query_pb2.Trace:
        """A ``Trace`` (summary unset) with the page of tokens of the trace ``key`` and the
        trace's token count: from the engine's protobuf page (:mod:`.token_pages`), or from
        JSON rows with the count read beside them."""
        trace = query_pb2.Trace()
        of_trace = (
            f"model_name = {sql.string(key.model_name)} AND request_id ="
            f" {sql.string(key.request_id)} AND source = {sql.string(key.source)}"
        )
        table = f"{self.database}.trace_tokens"
        count = f"SELECT uniqExact(position) FROM {table} WHERE {of_trace}"
        if self.protobuf_pages:
            raw = self.executor.query_bytes(
                token_pages.page_sql(table, of_trace, token_offset, limit, self._page_settings),
                token_pages.FORMAT,
            )
            total = token_pages.add_page(trace, token_pages.parse(raw), self._labels.for_read())
            if total is None:  # an empty page (no tokens, or past the last) has no count
                [(total,)] = self.executor.query(count)
        else:
            counted = self._side_reads.submit(self.executor.query, count)
            try:
                rows = self.executor.query(
                    f"SELECT {reads.TOKEN_COLUMNS} FROM {table} WHERE {of_trace} AND position IN"
                    f" (SELECT DISTINCT position FROM {table} WHERE {of_trace} ORDER BY position"
                    f" LIMIT {sql.integer(limit)} OFFSET {sql.integer(token_offset)})"
                    " ORDER BY position, layer LIMIT 1 BY position, layer"
                )
            finally:
                [(total,)] = counted.result()
            reads.add_tokens(trace, rows, self._labels.for_read())
        trace.total_tokens = int(total)
        if token_offset + limit < int(total):
            trace.next_token_offset = token_offset + limit
        return trace

    # -- maintenance -------------------------------------------------------------------

    def optimize(self) -> None:
        """Merge every table's parts now: replaced rows go, expired parts drop (TTL).
        The engine does this in the background; tests and maintenance force it."""
        for table in TABLES:
            self.executor.command(f"OPTIMIZE TABLE {self.database}.{table} FINAL")

    def table_sizes(self) -> dict[str, TableSize]:
        """Active rows and bytes on disk per table."""
        rows = self.executor.query(
            "SELECT table, sum(rows), sum(bytes_on_disk) FROM system.parts WHERE active"
            f" AND database = {sql.string(self.database)} GROUP BY table"
        )
        sizes = {table: TableSize(0, 0) for table in TABLES}
        for table, count, size in rows:
            sizes[str(table)] = TableSize(int(count), int(size))
        return sizes


def _newest_first(key: TraceKey) -> tuple[int, str, str, str]:
    """The order of ``reads.TRACE_ORDER`` (descending) as a sort key."""
    return (key.first_alert_us, key.model_name, key.request_id, key.source)
