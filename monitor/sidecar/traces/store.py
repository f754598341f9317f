"""``TraceStore``: the trace store the sidecar uses, a batch writer in front of a repository.

Writes (``submit``) go through a :class:`~monitor.sidecar.batch_writer.BatchWriter`: a
bounded queue and one writer thread that hands batches of updates to the repository's
``apply``, and prunes on that thread every ``prune_interval_s``. Reads go straight to the
repository, so queries never wait for the writer. Which backend stores the traces is the
repository's business (:mod:`monitor.sidecar.traces.sqlite`).

What is lost, and how it is counted: an update is lost when the queue is full
(``queue_full``), when it arrives after ``close`` (``shutdown``), or when its batch still
fails after ``write_attempts`` attempts with backoff (``disk_full`` when the repository
raised ``DiskFullError``, else ``write_error``), or when the repository refused it while
writing its batch (``refusals``: the hub outbox at its size cap, ``spool_full``). Each lost
update goes to the listener (``trace_lost``) and, once per trace, to
``on_lost(model_name, reason)`` (the ``llm_monitor_traces_lost_total`` counter). Updates
still queued when the process is killed are lost uncounted, but their alerts were never
published either (see :mod:`monitor.sidecar.traces.writer`). A committed batch goes to the
listener update by update (``trace_committed``), after the commit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from monitor.sidecar.batch_writer import DROP_FULL, BatchWriter
from monitor.sidecar.records import RequestKey
from monitor.sidecar.traces.reader import TraceFilter
from monitor.sidecar.traces.repository import DiskFullError, TraceRepository
from monitor.sidecar.traces.writer import (
    LOST_DISK_FULL,
    LOST_QUEUE_FULL,
    LOST_SHUTDOWN,
    LOST_WRITE_ERROR,
    TraceListener,
    TraceUpdate,
)
from monitor.v1 import query_pb2

log = logging.getLogger(__name__)

ErrorCallback = Callable[[str, BaseException], None]
"""Called with the failing stage (``write``, ``decode`` or ``prune``) and the error."""

LostCallback = Callable[[str, str], None]
"""Called once per lost trace with its model name and the reason (``LOST_REASONS``)."""

Refusals = Callable[[], list[tuple[TraceUpdate, str]]]
"""The updates the repository's last successful ``apply`` did not write, with the reason
(``LOST_REASONS``); the rest of that batch was committed."""

DropCounter = Callable[[TraceUpdate, str], None]
"""Called for every update refused by the queue, the closed store or the repository, with
the reason (``queue_full``, ``shutdown``, ``spool_full``)."""

LOST_KEYS_REMEMBERED = 10000  # traces remembered as lost, so each is counted once


class TraceStore:
    """``TraceWriter`` (queue + writer thread) and ``TraceReader`` over a repository.

    Queue bound: at most ``queue_size`` updates wait; ``submit`` never blocks, and an update
    that finds the queue full or the store closed is dropped and passed to ``on_drop``
    (the caller's drop counter; it runs on the submitting thread). A batch that cannot be
    written is retried (``write_attempts``, ``retry_backoff_s``), each failure going to
    ``on_error("write", exc)``; then its traces are counted lost. ``flush(timeout)`` waits
    for what was submitted before it; ``close(timeout)`` writes what is queued, stops the
    writer thread and closes the repository's write side (reads keep working).

    Health: ``alive()`` (the writer thread runs), ``last_error_age()`` (seconds since the
    last failed write or prune, None if none) and ``failing_for()`` (seconds writes have been
    failing, 0.0 when the last one succeeded).
    """

    def __init__(
        self,
        repository: TraceRepository,
        *,
        prune_interval_s: float = 300.0,
        queue_size: int = 10000,
        max_batch: int = 512,
        write_attempts: int = 5,
        retry_backoff_s: float = 0.2,
        clock: Callable[[], float] = time.time,
        on_error: ErrorCallback | None = None,
        on_drop: Callable[[TraceUpdate], None] | None = None,
        on_lost: LostCallback | None = None,
        refusals: Refusals | None = None,
    ) -> None:
        self.repository = repository
        self._refusals = refusals
        self._refused: list[tuple[TraceUpdate, str]] = []  # of the last apply (writer thread)
        self._drop_counter: DropCounter | None = None
        self._clock = clock
        self._on_error = on_error
        self._on_drop = on_drop
        self._on_lost = on_lost
        self._listener: TraceListener | None = None
        self._write_timer: Callable[[float], None] | None = None
        self._lost_keys: OrderedDict[RequestKey, None] = OrderedDict()
        self._lost_lock = threading.Lock()
        self._writer: BatchWriter[TraceUpdate] = BatchWriter(
            self._apply,
            max_queue=queue_size,
            max_batch=max_batch,
            shutdown=repository.close,
            on_drop=self._dropped,
            on_error=lambda exc: self._error("write", exc),
            on_done=self._committed,
            on_failed=self._failed,
            max_attempts=write_attempts,
            retry_backoff_s=retry_backoff_s,
            housekeeping=self._housekeeping,
            housekeeping_interval_s=prune_interval_s,
            clock=clock,
            name="llm-monitor-trace-writer",
        )

    # -- writer side -------------------------------------------------------------------

    def listen(self, listener: TraceListener) -> None:
        """Report what becomes of every later update to ``listener``."""
        self._listener = listener

    def time_writes(self, observe: Callable[[float], None]) -> None:
        """Pass the wall time (seconds) of every later write transaction, committed or
        failed, to ``observe`` (``llm_monitor_trace_write_duration_seconds``)."""
        self._write_timer = observe

    def count_drops(self, count: DropCounter) -> None:
        """Pass every later refused update and its reason to ``count``
        (``llm_monitor_trace_writes_dropped_total{reason}``)."""
        self._drop_counter = count

    def start(self) -> None:
        """Start the writer thread."""
        self._writer.start()

    def submit(self, update: TraceUpdate) -> bool:
        """Queue an update without blocking; False when it was dropped (queue full or
        store closed)."""
        return self._writer.submit(update)

    def flush(self, timeout: float) -> bool:
        """Wait until everything submitted before the call has been processed: committed
        durably, or failed and reported to ``on_error``; False on timeout."""
        return self._writer.flush(timeout)

    def close(self, timeout: float = 5.0) -> bool:
        """Write what is queued (within ``timeout``), stop the writer thread and close the
        repository's write side; False when something was left unwritten. Idempotent."""
        return self._writer.close(timeout)

    def alive(self) -> bool:
        """True while the writer thread runs."""
        return self._writer.alive()

    def last_error_age(self) -> float | None:
        """Seconds since the last failed write or prune; None if there was none."""
        return self._writer.last_error_age()

    def failing_for(self) -> float:
        """Seconds since writes started failing; 0.0 while the last write succeeded."""
        return self._writer.failing_for()

    def write_now(self, updates: Iterable[TraceUpdate]) -> None:
        """Apply updates synchronously on the calling thread (tools and tests); a failure
        is reported like the writer thread's (no retry)."""
        batch = list(updates)
        try:
            self._apply(batch)
        except Exception as exc:
            self._error("write", exc)
            self._failed(batch, exc)
        else:
            self._committed(batch)

    def prune(self, now: float | None = None) -> int:
        """Delete traces past retention now (or at ``now``); how many. Raises on failure."""
        return self.repository.prune(self._clock() if now is None else now)

    def _apply(self, batch: list[TraceUpdate]) -> None:
        """One write transaction, timed."""
        started = time.monotonic()
        try:
            self.repository.apply(batch)
            self._refused = self._refusals() if self._refusals is not None else []
        finally:
            observe = self._write_timer
            if observe is not None:
                observe(time.monotonic() - started)

    def _housekeeping(self) -> None:
        try:
            self.repository.prune(self._clock())
        except Exception as exc:
            self._error("prune", exc)

    def _dropped(self, update: TraceUpdate, reason: str) -> None:
        if self._on_drop is not None:
            self._on_drop(update)
        lost = LOST_QUEUE_FULL if reason == DROP_FULL else LOST_SHUTDOWN
        if self._drop_counter is not None:
            self._drop_counter(update, lost)
        self._lost([update], lost)

    def _committed(self, batch: list[TraceUpdate]) -> None:
        refused, self._refused = self._refused, []
        if refused:
            skip = {id(update) for update, _ in refused}
            batch = [update for update in batch if id(update) not in skip]
            by_reason: dict[str, list[TraceUpdate]] = {}
            for update, reason in refused:
                if self._drop_counter is not None:
                    self._drop_counter(update, reason)
                by_reason.setdefault(reason, []).append(update)
            for reason, updates in by_reason.items():
                self._lost(updates, reason)
        listener = self._listener
        if listener is None:
            return
        for update in batch:
            try:
                listener.trace_committed(update)
            except Exception as exc:
                self._error("write", exc)

    def _failed(self, batch: list[TraceUpdate], exc: BaseException) -> None:
        self._lost(batch, LOST_DISK_FULL if isinstance(exc, DiskFullError) else LOST_WRITE_ERROR)

    def _lost(self, batch: list[TraceUpdate], reason: str) -> None:
        """Count each trace of ``batch`` once (ever, within the remembered ones) and tell
        the listener about every update."""
        fresh: list[str] = []
        with self._lost_lock:
            for update in batch:
                key = (update.model_name, update.request_id)
                if key in self._lost_keys:
                    continue
                self._lost_keys[key] = None
                if len(self._lost_keys) > LOST_KEYS_REMEMBERED:
                    self._lost_keys.popitem(last=False)
                fresh.append(update.model_name)
        if self._on_lost is not None:
            for model_name in fresh:
                self._on_lost(model_name, reason)
        listener = self._listener
        if listener is not None:
            for update in batch:
                try:
                    listener.trace_lost(update, reason)
                except Exception as exc:
                    self._error("write", exc)

    def _error(self, stage: str, exc: BaseException) -> None:
        """Report an error of one stage: write, decode or prune."""
        if self._on_error is not None:
            self._on_error(stage, exc)
        else:
            log.error("trace store: %s error: %r", stage, exc)

    # -- reader side -------------------------------------------------------------------

    def query_traces(
        self, query: TraceFilter, page_size: int, cursor: str
    ) -> tuple[list[query_pb2.TraceSummary], str]:
        """Matching traces newest first and the next page's cursor ('' if none); raises
        ValueError for a malformed cursor."""
        return self.repository.query_traces(query, page_size, cursor)

    def get_trace(
        self,
        request_id: str,
        model_name: str = "",
        token_offset: int = 0,
        max_tokens: int = 0,
        source: str = "",
    ) -> query_pb2.Trace | None:
        """One stored trace with one page of its tokens (see ``TraceReader``), or None."""
        return self.repository.get_trace(request_id, model_name, token_offset, max_tokens, source)
