"""``BatchWriter``: a bounded queue and one worker thread that exports items in batches.

The engine behind every store that must not slow down its callers: the caller hands items
over with ``submit`` and goes on; the worker takes up to ``max_batch`` queued items at a
time and passes them to an injected ``export``. What is exported where (SQL, a remote
service) is the exporter's business; queueing, batching, flushing and shutting down are
this class's. Bottom floor: no sidecar imports.

Queue bound: at most ``max_queue`` items wait. ``submit`` never blocks: when the queue is
full, or the writer is closed, the item is dropped and reported to ``on_drop(item,
reason)`` (reason ``"full"`` or ``"closed"``), which is where the caller keeps its drop
counter.

Errors and retries: an exception from ``export`` goes to ``on_error(exc)`` (logged when
there is none) and the batch is tried again after ``retry_backoff_s`` (doubled each time, at
most ``MAX_BACKOFF_S``), up to ``max_attempts`` attempts; newer items wait in the queue
meanwhile (and are dropped as ``"full"`` when it fills up). After the last attempt the batch
goes to ``on_failed(batch, exc)`` and counts as processed; the worker goes on with the next
batch, so it recovers by itself once the cause is gone. A batch that was exported goes to
``on_done(batch)``. While closing, a failed batch is not retried. Both callbacks run on the
worker thread.

Supervision: an unexpected exception in the worker's loop is reported to ``on_error`` and the
loop restarts (never a silently dead thread). ``alive()``, ``last_error_age()`` and
``failing_for()`` let a health check see a stopped worker or a failing export.

Flush / shutdown: ``flush(timeout)`` waits until everything submitted before the call was
processed; ``close(timeout)`` stops taking items, exports what is queued, stops the worker
and then calls the exporter's ``shutdown``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar, cast

log = logging.getLogger(__name__)

T = TypeVar("T")

DROP_FULL = "full"
DROP_CLOSED = "closed"

MAX_WAIT_S = 1.0  # the worker looks at the housekeeping schedule at least this often
MAX_BACKOFF_S = 5.0  # longest wait between two attempts of one batch
RESTART_DELAY_S = 0.1  # pause before the worker loop restarts after an unexpected error


class BatchWriter(Generic[T]):
    """A bounded queue of ``T`` and one worker thread calling ``export`` with batches.

    Thread contract: ``submit``, ``flush`` and ``close`` may be called from any thread;
    ``submit`` never blocks and ``on_drop`` runs on the submitting thread, so it must be
    quick (count, do not write). ``export`` and ``housekeeping`` run on the worker thread
    only, one at a time, so the exporter needs no locking against itself; ``shutdown`` runs
    on the closing thread once the worker has stopped. ``on_error`` runs where the failure
    happened (the worker, or the closing thread for ``shutdown``).

    ``housekeeping`` (optional) runs on the worker when the worker starts and then every
    ``housekeeping_interval_s`` of ``clock`` (e.g. pruning old rows on the connection that
    writes them), after the batch being written.
    """

    def __init__(
        self,
        export: Callable[[list[T]], None],
        *,
        max_queue: int = 10000,
        max_batch: int = 512,
        shutdown: Callable[[], None] | None = None,
        on_drop: Callable[[T, str], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_done: Callable[[list[T]], None] | None = None,
        on_failed: Callable[[list[T], BaseException], None] | None = None,
        max_attempts: int = 1,
        retry_backoff_s: float = 0.2,
        housekeeping: Callable[[], None] | None = None,
        housekeeping_interval_s: float = 300.0,
        clock: Callable[[], float] = time.time,
        name: str = "llm-monitor-batch-writer",
    ) -> None:
        if max_queue <= 0:
            raise ValueError(f"max_queue must be > 0, got {max_queue}")
        if max_batch <= 0:
            raise ValueError(f"max_batch must be > 0, got {max_batch}")
        if max_attempts <= 0:
            raise ValueError(f"max_attempts must be > 0, got {max_attempts}")
        self._on_done = on_done
        self._on_failed = on_failed
        self._max_attempts = max_attempts
        self._retry_backoff_s = retry_backoff_s
        self._closing = threading.Event()  # cuts a retry wait short
        self._last_error_at: float | None = None  # time.monotonic() of the last failure
        self._failing_since: float | None = None  # first failure since the last success
        self.restarts = 0  # worker loop restarts after unexpected errors
        self._export = export
        self._max_batch = max_batch
        self._shutdown = shutdown
        self._on_drop = on_drop
        self._on_error = on_error
        self._housekeeping = housekeeping
        self._housekeeping_interval_s = housekeeping_interval_s
        self._clock = clock
        self._name = name
        # (sequence number, item); the sequence number 0 with no item stops the worker
        self._queue: queue.Queue[tuple[int, T | None]] = queue.Queue(max_queue)
        self._submitted = 0  # sequence number of the last accepted item
        self._done = 0  # sequence number of the last processed item
        self._cond = threading.Condition()
        self._closed = False
        self._stop_sent = False  # the stop mark is in the queue
        self._shut_down = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the worker thread (once, before ``close``)."""
        if self._thread is not None:
            raise RuntimeError(f"{self._name} already started")
        if self._closed:
            raise RuntimeError(f"{self._name} is closed")
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        """True while the worker thread runs (started and not stopped)."""
        return self._thread is not None and self._thread.is_alive()

    def last_error_age(self) -> float | None:
        """Seconds since the last failed export or housekeeping; None if there was none."""
        at = self._last_error_at
        return None if at is None else time.monotonic() - at

    def failing_for(self) -> float:
        """Seconds since exports started failing (0.0 while the last export succeeded)."""
        since = self._failing_since
        return 0.0 if since is None else time.monotonic() - since

    def submit(self, item: T) -> bool:
        """Queue an item without blocking; False (and ``on_drop``) when the queue is full or
        the writer is closed."""
        with self._cond:
            reason = DROP_CLOSED if self._closed else ""
            if not reason:
                try:
                    self._queue.put_nowait((self._submitted + 1, item))
                    self._submitted += 1
                except queue.Full:
                    reason = DROP_FULL
        if reason and self._on_drop is not None:
            self._on_drop(item, reason)
        return not reason

    def flush(self, timeout: float) -> bool:
        """Wait until everything submitted before the call was processed: exported, or
        failed and reported to ``on_error``; False on timeout."""
        with self._cond:
            target = self._submitted
            return self._cond.wait_for(lambda: self._done >= target, timeout)

    def close(self, timeout: float = 5.0) -> bool:
        """Refuse new items, export what is queued and stop the worker (all within
        ``timeout``), then call ``shutdown``. Idempotent.

        True when everything submitted was processed and the worker stopped. When it did
        not stop in time it is left running (a daemon thread) and ``shutdown`` is not
        called yet; a later ``close`` retries that. A writer that was never started
        exports nothing: what it queued is lost.
        """
        deadline = time.monotonic() + timeout
        self._closing.set()
        with self._cond:
            self._closed = True
            send_stop = not self._stop_sent
            self._stop_sent = True
        thread = self._thread
        if send_stop and thread is not None:
            try:
                self._queue.put((0, None), timeout=timeout)
            except queue.Full:
                with self._cond:
                    self._stop_sent = False
                log.error("%s: queue still full at shutdown; unwritten items are lost", self._name)
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.error("%s did not stop within %.1f s", self._name, timeout)
                return False
        self._call_shutdown()
        with self._cond:
            return self._done >= self._submitted

    def _call_shutdown(self) -> None:
        with self._cond:
            if self._shut_down:
                return
            self._shut_down = True
        if self._shutdown is not None:
            try:
                self._shutdown()
            except Exception as exc:
                self._error(exc)

    def _run(self) -> None:
        """The worker: ``_loop`` until it stops, restarted after an unexpected error."""
        next_housekeeping = [self._clock()]
        while True:
            try:
                self._loop(next_housekeeping)
                return
            except Exception as exc:
                self.restarts += 1
                self._last_error_at = time.monotonic()
                self._error(exc)
                time.sleep(RESTART_DELAY_S)

    def _loop(self, next_housekeeping: list[float]) -> None:
        while True:
            if self._housekeeping is None:
                wait: float | None = None
            else:
                wait = max(0.0, min(MAX_WAIT_S, next_housekeeping[0] - self._clock()))
            try:
                item: tuple[int, T | None] | None = self._queue.get(timeout=wait)
            except queue.Empty:
                item = None
            stop = False
            batch: list[T] = []
            last_seq = 0
            while item is not None:
                seq, value = item
                if seq == 0:
                    stop = True
                    break
                batch.append(cast(T, value))  # only the stop mark has no item
                last_seq = seq
                if len(batch) >= self._max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            if batch:
                try:
                    self._export_with_retries(batch)
                finally:
                    with self._cond:
                        self._done = max(self._done, last_seq)
                        self._cond.notify_all()
            if self._housekeeping is not None and self._clock() >= next_housekeeping[0]:
                next_housekeeping[0] = self._clock() + self._housekeeping_interval_s
                try:
                    self._housekeeping()
                except Exception as exc:
                    self._last_error_at = time.monotonic()
                    self._error(exc)
            if stop:
                return

    def _export_with_retries(self, batch: list[T]) -> None:
        delay = self._retry_backoff_s
        attempt = 0
        while True:
            attempt += 1
            try:
                self._export(batch)
            except Exception as exc:
                now = time.monotonic()
                self._last_error_at = now
                if self._failing_since is None:
                    self._failing_since = now
                self._error(exc)
                if attempt >= self._max_attempts or self._closing.is_set():
                    self._callback(self._on_failed, batch, exc)
                    return
                self._closing.wait(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
            else:
                self._failing_since = None
                self._callback(self._on_done, batch)
                return

    def _callback(self, fn: Callable[..., None] | None, *args: object) -> None:
        if fn is None:
            return
        try:
            fn(*args)
        except Exception as exc:  # a broken callback must not stop the worker
            self._error(exc)

    def _error(self, exc: BaseException) -> None:
        if self._on_error is None:
            log.error("%s: %r", self._name, exc)
            return
        try:
            self._on_error(exc)
        except Exception as callback_exc:  # a broken callback must not stop the worker
            log.error("%s: %r (error callback failed: %r)", self._name, exc, callback_exc)
