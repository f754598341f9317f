"""``BatchQueue``: the bounded queue between the ingest and the scoring worker.

Bounded twice, by batches and by bytes (the decoded message's size); ``offer`` never blocks
but drops and counts. It keeps each queued batch's times (when queued, when the ingest
received it) for the queue age the health check reads and the ingest-to-score latency, and
the per-model depth and bytes gauges. Kept apart from the worker: it has its own lock and is
called from the producer threads too.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable

from monitor.sidecar.ingest.batches import DecodedBatch
from monitor.sidecar.metrics import SidecarMetrics


class BatchQueue:
    """Decoded batches waiting to be scored, in arrival order (``size`` batches and, unless
    None, ``max_bytes`` at most); times come from ``timer``."""

    def __init__(
        self,
        metrics: SidecarMetrics,
        size: int,
        max_bytes: int | None,
        timer: Callable[[], float],
    ) -> None:
        self._metrics = metrics
        self._queue: queue.Queue[DecodedBatch] = queue.Queue(maxsize=size)
        self._size = size
        self._max_bytes = max_bytes
        self._timer = timer
        self._queued_bytes = 0
        self._lock = threading.Lock()
        # (queued, received) ``timer`` times of each queued batch, in queue order
        self._enqueued_at: deque[tuple[float, float]] = deque()

    def offer(self, batch: DecodedBatch, received_at: float | None = None) -> bool:
        """Queue a batch without blocking; when full (batches or bytes), drop it and count
        its rows. ``received_at`` (``timer`` time, default now) is when the ingest received
        it."""
        model = self._metrics.model(batch.model_name)
        size = batch.nbytes  # the whole decoded message, not the activations alone
        with self._lock:
            fits = self._max_bytes is None or self._queued_bytes + size <= self._max_bytes
            if fits:
                try:
                    self._queue.put_nowait(batch)
                    self._queued_bytes += size
                    now = self._timer()
                    self._enqueued_at.append((now, now if received_at is None else received_at))
                except queue.Full:
                    fits = False
        if not fits:
            model.dropped("sidecar_queue_full").inc(batch.rows)
            return False
        model.queue_depth.inc()
        model.queue_bytes.inc(size)
        return True

    def get(self, timeout: float) -> DecodedBatch | None:
        """The next batch, waiting up to ``timeout`` (None when none came); ``take`` it,
        then mark it ``task_done`` once processed."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def take(self, batch: DecodedBatch) -> float | None:
        """Bookkeeping for a batch leaving the queue; when the ingest received it."""
        with self._lock:
            self._queued_bytes -= batch.nbytes
            times = self._enqueued_at.popleft() if self._enqueued_at else None
        model = self._metrics.model(batch.model_name)
        model.queue_depth.dec()
        model.queue_bytes.dec(batch.nbytes)
        return None if times is None else times[1]

    def task_done(self) -> None:
        """A batch from ``get`` is processed."""
        self._queue.task_done()

    def drop_all(self, reason: str) -> None:
        """Take every queued batch off without scoring it; its rows count as dropped."""
        while True:
            try:
                batch = self._queue.get_nowait()
            except queue.Empty:
                break
            self.take(batch)
            self._metrics.model(batch.model_name).dropped(reason).inc(batch.rows)
            self._queue.task_done()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued batch has been processed; False on timeout."""
        cond = self._queue.all_tasks_done
        with cond:
            return cond.wait_for(lambda: self._queue.unfinished_tasks == 0, timeout)

    def empty(self) -> bool:
        return self._queue.empty()

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    def oldest_age(self) -> float:
        """Seconds the oldest queued batch has waited (0.0 when the queue is empty)."""
        with self._lock:
            first = self._enqueued_at[0][0] if self._enqueued_at else None
        return 0.0 if first is None else max(0.0, self._timer() - first)

    def fill(self) -> float:
        """How full the queue is: the larger of its batch and byte fractions."""
        fill = self._queue.qsize() / self._size
        if self._max_bytes:
            with self._lock:
                fill = max(fill, self._queued_bytes / self._max_bytes)
        return fill
