"""A fixed, byte-bounded arena of host memory that captured rows are copied into.

The step thread copies each step's rows from the accelerator into a lease of this pool
(asynchronously, when the pool is pinned) and the shipper thread releases the lease once
the rows are encoded. The arena is allocated once, at start-up, so the monitor's host
memory is bounded by construction and no allocation happens on the step path; device
memory is never held on the monitor's behalf, whatever the shipper does.

Leases are carved from the arena as a ring: a new lease goes right after the newest live
one, wrapping to the start when the end is too short. Space is reclaimed when the oldest
live lease is released, so releases in FIFO order (the shipper's order) free space at
once, and an out-of-order release frees it when everything older is gone. ``acquire``
never blocks: when nothing fits it returns None and the caller drops the step.

Pinned (page-locked) memory is what makes a device-to-host copy asynchronous; it is used
when the rows come from a CUDA device. CUDA's host allocator rounds a pinned allocation up
to a power of two, so up to twice ``capacity`` may be reserved.
"""

from __future__ import annotations

import logging
import mmap
import os
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

import torch

log = logging.getLogger("vllm.llm_monitor")

#: Byte alignment of every lease and of every view carved from one (any dtype fits).
ALIGN = 256


def align(nbytes: int) -> int:
    """``nbytes`` rounded up to a multiple of :data:`ALIGN`."""
    return -(-nbytes // ALIGN) * ALIGN


class LeaseOwner(Protocol):
    """What a lease needs of its arena: the bytes, whether pinned, and taking it back."""

    buffer: torch.Tensor
    pinned: bool

    def release(self, lease: Lease) -> None: ...


@dataclass
class Lease:
    """A contiguous region of the pool, handed out by ``acquire``; carve typed views from it
    with ``take`` and hand it back with ``release`` (idempotent)."""

    pool: LeaseOwner
    start: int
    nbytes: int
    released: bool = False
    _cursor: int = field(default=0, repr=False)

    def take(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        """The next ``shape`` tensor of ``dtype`` in this lease (aligned, uninitialised)."""
        count = 1
        for size in shape:
            count *= size
        nbytes = count * dtype.itemsize
        if self._cursor + nbytes > self.nbytes:
            raise ValueError(f"lease of {self.nbytes} bytes cannot hold {shape} {dtype}")
        begin = self.start + self._cursor
        self._cursor += align(nbytes)
        return self.pool.buffer[begin : begin + nbytes].view(dtype).view(shape)

    def release(self) -> None:
        """Give the region back to the pool (safe to call more than once)."""
        self.pool.release(self)


def shared_buffer(capacity: int, fd: int | None = None) -> tuple[int, torch.Tensor]:
    """``capacity`` bytes of memory another process can map: an anonymous memory file
    (``fd``, or a new one) and a byte tensor over it. Nothing to clean up: the memory
    goes when the last process holding it closes it."""
    if fd is None:
        fd = os.memfd_create("llm-monitor-host-pool", os.MFD_CLOEXEC)
        os.ftruncate(fd, capacity)
    mapped = mmap.mmap(fd, capacity)
    return fd, torch.frombuffer(mapped, dtype=torch.uint8)


class HostBufferPool:
    """``capacity`` bytes of host memory, pinned when ``pin``, or in a memory file a child
    process can map when ``shared`` (``fd``); thread-safe."""

    def __init__(self, capacity: int, pin: bool = False, shared: bool = False) -> None:
        if capacity <= 0:
            raise ValueError(f"host pool capacity must be positive, got {capacity}")
        self.capacity = align(capacity)
        self.pinned = False
        self.fd: int | None = None
        buffer: torch.Tensor | None = None
        if shared:
            try:
                self.fd, buffer = shared_buffer(self.capacity)
                buffer.fill_(0)  # every page now, not on the step path
            except (OSError, AttributeError) as exc:  # no memfd_create on this platform
                log.warning(
                    "llm-monitor: cannot share %d bytes of host memory (%s); the shipper "
                    "runs as a thread of the worker",
                    self.capacity,
                    exc,
                )
                self.fd, buffer = None, None
        if pin and not shared and torch.cuda.is_available():
            try:
                buffer = torch.empty(self.capacity, dtype=torch.uint8, pin_memory=True)
                self.pinned = True
            except RuntimeError as exc:
                log.warning(
                    "llm-monitor: cannot pin %d bytes of host memory (%s); using pageable "
                    "memory, so every step waits for its device-to-host copy",
                    self.capacity,
                    exc,
                )
        if buffer is None:  # touch every page now, not on the step path
            buffer = torch.zeros(self.capacity, dtype=torch.uint8)
        self.buffer = buffer
        self._live: deque[Lease] = deque()
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used_bytes(self) -> int:
        """Bytes held by live leases (alignment included)."""
        return self._used

    def acquire(self, nbytes: int) -> Lease | None:
        """A lease of at least ``nbytes``, or None when the pool has no room now."""
        size = align(max(nbytes, 1))
        with self._lock:
            start = self._place(size)
            if start is None:
                return None
            lease = Lease(self, start, size)
            self._live.append(lease)
            self._used += size
            return lease

    def _place(self, size: int) -> int | None:
        if size > self.capacity:
            return None
        if not self._live:
            return 0
        oldest, newest = self._live[0].start, self._live[-1]
        head = newest.start + newest.nbytes
        if newest.start >= oldest:  # live leases lie in [oldest, head): room at the end, then 0
            if head + size <= self.capacity:
                return head
            return 0 if size <= oldest else None
        return head if head + size <= oldest else None  # wrapped: room in [head, oldest)

    def release(self, lease: Lease) -> None:
        """Return ``lease``; its space is reused once every older lease is released too."""
        with self._lock:
            if lease.released or lease.pool is not self:
                return
            lease.released = True
            self._used -= lease.nbytes
            while self._live and self._live[0].released:
                self._live.popleft()

    def __len__(self) -> int:
        """Number of leases not yet reclaimed (released ones behind an older live one count)."""
        return len(self._live)
