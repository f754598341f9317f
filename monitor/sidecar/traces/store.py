"""``TraceStore``: the trace store the sidecar uses, a batch writer in front of a repository.

Writes (``submit``) go through a :class:`~monitor.sidecar.batch_writer.BatchWriter`: a
bounded queue and one writer thread that hands batches of updates to the repository's
``apply``, and prunes on that thread every ``prune_interval_s``. Reads go straight to the
repository, so queries never wait for the writer. Which backend stores the traces is the
repository's business (:mod:`monitor.sidecar.traces.sqlite`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from monitor.sidecar.batch_writer import BatchWriter
from monitor.sidecar.traces.reader import TraceFilter
from monitor.sidecar.traces.repository import TraceRepository
from monitor.sidecar.traces.writer import TraceUpdate
from monitor.v1 import query_pb2

log = logging.getLogger(__name__)

ErrorCallback = Callable[[str, BaseException], None]
"""Called with the failing stage (``write``, ``decode`` or ``prune``) and the error."""


class TraceStore:
    """``TraceWriter`` (queue + writer thread) and ``TraceReader`` over a repository.

    Queue bound: at most ``queue_size`` updates wait; ``submit`` never blocks, and an update
    that finds the queue full or the store closed is dropped and passed to ``on_drop``
    (the caller's drop counter; it runs on the submitting thread). A batch that cannot be
    written goes to ``on_error("write", exc)`` and the writer goes on. ``flush(timeout)``
    waits for what was submitted before it; ``close(timeout)`` writes what is queued, stops
    the writer thread and closes the repository's write side (reads keep working).
    """

    def __init__(
        self,
        repository: TraceRepository,
        *,
        prune_interval_s: float = 300.0,
        queue_size: int = 10000,
        max_batch: int = 512,
        clock: Callable[[], float] = time.time,
        on_error: ErrorCallback | None = None,
        on_drop: Callable[[TraceUpdate], None] | None = None,
    ) -> None:
        self.repository = repository
        self._clock = clock
        self._on_error = on_error
        self._on_drop = on_drop
        self._writer: BatchWriter[TraceUpdate] = BatchWriter(
            repository.apply,
            max_queue=queue_size,
            max_batch=max_batch,
            shutdown=repository.close,
            on_drop=self._dropped,
            on_error=lambda exc: self._error("write", exc),
            housekeeping=self._housekeeping,
            housekeeping_interval_s=prune_interval_s,
            clock=clock,
            name="llm-monitor-trace-writer",
        )

    # -- writer side -------------------------------------------------------------------

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

    def write_now(self, updates: Iterable[TraceUpdate]) -> None:
        """Apply updates synchronously on the calling thread (tools and tests); a failure
        is reported like the writer thread's."""
        try:
            self.repository.apply(list(updates))
        except Exception as exc:
            self._error("write", exc)

    def prune(self, now: float | None = None) -> int:
        """Delete traces past retention now (or at ``now``); how many. Raises on failure."""
        return self.repository.prune(self._clock() if now is None else now)

    def _housekeeping(self) -> None:
        try:
            self.repository.prune(self._clock())
        except Exception as exc:
            self._error("prune", exc)

    def _dropped(self, update: TraceUpdate, reason: str) -> None:
        if self._on_drop is not None:
            self._on_drop(update)

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

    def get_trace(self, request_id: str, model_name: str = "") -> query_pb2.Trace | None:
        """One stored trace with all its tokens, or None."""
        return self.repository.get_trace(request_id, model_name)
