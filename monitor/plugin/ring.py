"""A bounded hand-off between the forward pass and the shipper thread.

``put`` never blocks: when the buffer is full (by item count or by bytes) the new item
is dropped and its rows are counted. Drop counters are cumulative per reason and travel
to the sidecar with every batch.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Generic, TypeVar

T = TypeVar("T")

REASON_RING_FULL = "ring_buffer_full"
REASON_HOST_POOL_FULL = "host_pool_full"
REASON_SIDECAR_UNAVAILABLE = "sidecar_unavailable"
REASON_LABEL_MISMATCH = "label_mismatch"
REASON_CAPTURE_MISSED = "capture_missed"
REASON_PLUGIN_ERROR = "plugin_error"


class DropCounters:
    """Cumulative rows dropped per reason (thread-safe enough under the GIL)."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, reason: str, rows: int) -> None:
        """Count ``rows`` dropped rows under ``reason``."""
        with self._lock:
            self._counts[reason] += rows

    def snapshot(self) -> dict[str, int]:
        """A copy of the counters."""
        with self._lock:
            return dict(self._counts)


class RingBuffer(Generic[T]):
    """A bounded FIFO: non-blocking put, blocking get with timeout.

    Bounded by ``capacity`` items and, when ``max_bytes`` is set, by the bytes the
    producer declares for its items.
    """

    def __init__(self, capacity: int, drops: DropCounters, max_bytes: int | None = None) -> None:
        self._items: deque[tuple[T, int, int]] = deque()
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._bytes = 0
        self._drops = drops
        self._cond = threading.Condition()

    def set_max_bytes(self, max_bytes: int | None) -> None:
        """Change the byte bound (items already queued stay)."""
        with self._cond:
            self._max_bytes = max_bytes

    @property
    def nbytes(self) -> int:
        """Bytes declared by the queued items."""
        return self._bytes

    def has_room(self, nbytes: int = 0) -> bool:
        """Whether an item of ``nbytes`` would be accepted now (only gets can change that)."""
        with self._cond:
            return self._fits(nbytes)

    def _fits(self, nbytes: int) -> bool:
        if len(self._items) >= self._capacity:
            return False
        return self._max_bytes is None or self._bytes + nbytes <= self._max_bytes

    def put(self, item: T, rows: int, nbytes: int = 0) -> bool:
        """Add an item of ``rows`` rows and ``nbytes`` bytes; drop and count it if full.

        Never blocks long. A dropped item is not released here: its owner still has it.
        """
        with self._cond:
            if not self._fits(nbytes):
                self._drops.add(REASON_RING_FULL, rows)
                return False
            self._items.append((item, rows, nbytes))
            self._bytes += nbytes
            self._cond.notify()
            return True

    def get(self, timeout: float) -> T | None:
        """Take the oldest item, waiting up to ``timeout`` seconds; None if none came."""
        with self._cond:
            if not self._items and not self._cond.wait_for(lambda: bool(self._items), timeout):
                return None
            item, _, nbytes = self._items.popleft()
            self._bytes -= nbytes
            return item

    def drain(self, reason: str) -> list[T]:
        """Drop everything queued, counting the rows under ``reason``; return the items
        (so their owner can release their buffers and keep what must not be lost)."""
        with self._cond:
            items = list(self._items)
            self._items.clear()
            self._bytes = 0
        rows = sum(r for _, r, _ in items)
        if rows:
            self._drops.add(reason, rows)
        return [item for item, _, _ in items]

    def __len__(self) -> int:
        return len(self._items)
