"""A bounded hand-off between the forward pass and the shipper thread.

``put`` never blocks: when the buffer is full (by item count or by bytes) the new item
is dropped and its rows are counted. Drop counters are cumulative per reason and travel
to the sidecar with every batch.

The sidecar compares the counters with gaps in row offsets, so the counters a batch
carries must cover only rows *before* its offset. Drops made by the step thread (a full
host pool, a full ring) can be ahead of the batch the shipper is sending, so they are
recorded with their offset and left out of ``snapshot(below=...)`` until the shipper
passes them. Without that, the first batch a sidecar sees could carry drops of rows after
it, which the sidecar has no gap for yet: those rows would later count twice, once as
dropped and once as lost in transit. The shipper stamps the drops it makes while opening
steps the same way (it opens a few steps before sending their batches, to join them), so
stamps do not arrive in offset order.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

REASON_RING_FULL = "ring_buffer_full"
REASON_HOST_POOL_FULL = "host_pool_full"
REASON_SIDECAR_UNAVAILABLE = "sidecar_unavailable"
REASON_LABEL_MISMATCH = "label_mismatch"
REASON_CAPTURE_MISSED = "capture_missed"
REASON_PLUGIN_ERROR = "plugin_error"
#: Not a failure: rows of requests that opted out of capture (vllm_xargs).
REASON_OPTED_OUT = "opted_out"

#: Offset-stamped drops remembered ahead of the shipper (oldest forgotten first).
MAX_DROPS_AHEAD = 4096


class DropCounters:
    """Cumulative rows dropped per reason (thread-safe)."""

    def __init__(self, max_ahead: int = MAX_DROPS_AHEAD) -> None:
        #: Told of every ``add`` (reason, rows, offset), e.g. to forward it to a process.
        self.on_add: Callable[[str, int, int | None], None] | None = None
        self._counts: Counter[str] = Counter()
        # (row offset, reason, rows) of step-thread drops, in offset order
        self._ahead: deque[tuple[int, str, int]] = deque(maxlen=max_ahead)
        self._lock = threading.Lock()

    def add(self, reason: str, rows: int, offset: int | None = None) -> None:
        """Count ``rows`` dropped rows under ``reason``; ``offset``, where known, is the
        first of them."""
        with self._lock:
            self._counts[reason] += rows
            if offset is not None and rows > 0:
                self._ahead.append((offset, reason, rows))
        if self.on_add is not None:
            self.on_add(reason, rows, offset)

    def snapshot(self, below: int | None = None) -> dict[str, int]:
        """A copy of the counters; with ``below``, without the offset-stamped drops at or
        after that row offset (stamps below it are forgotten: batches go out in offset
        order)."""
        with self._lock:
            counts = dict(self._counts)
            if below is None:
                return counts
            if any(offset < below for offset, _, _ in self._ahead):
                self._ahead = deque(
                    (stamp for stamp in self._ahead if stamp[0] >= below),
                    maxlen=self._ahead.maxlen,
                )
            for _, reason, rows in self._ahead:
                counts[reason] -= rows
            return counts


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

    def put(self, item: T, rows: int, nbytes: int = 0, offset: int | None = None) -> bool:
        """Add an item of ``rows`` rows (from row ``offset``) and ``nbytes`` bytes; drop and
        count it if full.

        Never blocks long. A dropped item is not released here: its owner still has it.
        """
        with self._cond:
            if not self._fits(nbytes):
                self._drops.add(REASON_RING_FULL, rows, offset)
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
