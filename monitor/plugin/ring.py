"""A bounded hand-off between the forward pass and the shipper thread.

``put`` never blocks: when the buffer is full the new item is dropped and its rows
are counted. Drop counters are cumulative per reason and travel to the sidecar with
every batch.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Generic, TypeVar

T = TypeVar("T")

REASON_RING_FULL = "ring_buffer_full"
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
    """A bounded FIFO: non-blocking put, blocking get with timeout."""

    def __init__(self, capacity: int, drops: DropCounters) -> None:
        self._items: deque[tuple[T, int]] = deque()
        self._capacity = capacity
        self._drops = drops
        self._cond = threading.Condition()

    def put(self, item: T, rows: int) -> bool:
        """Add an item of ``rows`` rows; drop and count it if full. Never blocks long."""
        with self._cond:
            if len(self._items) >= self._capacity:
                self._drops.add(REASON_RING_FULL, rows)
                return False
            self._items.append((item, rows))
            self._cond.notify()
            return True

    def get(self, timeout: float) -> T | None:
        """Take the oldest item, waiting up to ``timeout`` seconds; None if none came."""
        with self._cond:
            if not self._items and not self._cond.wait_for(lambda: bool(self._items), timeout):
                return None
            return self._items.popleft()[0]

    def drain(self, reason: str) -> int:
        """Drop everything queued, counting the rows under ``reason``; return rows dropped."""
        with self._cond:
            rows = sum(r for _, r in self._items)
            self._items.clear()
        if rows:
            self._drops.add(reason, rows)
        return rows

    def __len__(self) -> int:
        return len(self._items)
