from __future__ import annotations

import threading

import pytest
import torch

from monitor.plugin import host_pool
from monitor.plugin.host_pool import ALIGN, HostBufferPool, align, shared_buffer


def test_acquire_is_bounded_and_exhaustion_returns_none() -> None:
    pool = HostBufferPool(4 * ALIGN)
    leases = [pool.acquire(ALIGN) for _ in range(4)]
    assert all(lease is not None for lease in leases)
    assert pool.used_bytes == 4 * ALIGN
    assert pool.acquire(1) is None  # full: the caller drops the step
    assert pool.acquire(5 * ALIGN) is None  # larger than the whole pool
    assert pool.used_bytes == 4 * ALIGN
    assert pool.buffer.numel() == pool.capacity == 4 * ALIGN  # nothing grew


def test_released_space_is_reused_in_place() -> None:
    pool = HostBufferPool(2 * ALIGN)
    first = pool.acquire(ALIGN)
    second = pool.acquire(ALIGN)
    assert first is not None and second is not None
    assert pool.acquire(ALIGN) is None
    first_ptr = first.take((ALIGN,), torch.uint8).data_ptr()
    first.release()
    first.release()  # idempotent
    again = pool.acquire(ALIGN)
    assert again is not None
    assert again.take((ALIGN,), torch.uint8).data_ptr() == first_ptr
    assert pool.used_bytes == 2 * ALIGN


def test_the_ring_wraps_and_reclaims_only_behind_the_oldest() -> None:
    pool = HostBufferPool(10 * ALIGN)
    a, b, c = (pool.acquire(3 * ALIGN) for _ in range(3))
    assert a is not None and b is not None and c is not None
    assert [a.start, b.start, c.start] == [0, 3 * ALIGN, 6 * ALIGN]
    assert pool.acquire(2 * ALIGN) is None  # only ALIGN left at the end
    b.release()  # out of order: not reclaimed while a is live
    assert pool.acquire(2 * ALIGN) is None
    assert len(pool) == 3
    a.release()  # now a and b are gone: [0, 6) is free
    d = pool.acquire(5 * ALIGN)
    assert d is not None and d.start == 0  # wrapped to the start
    assert pool.acquire(2 * ALIGN) is None  # [5, 6) is too small, c holds [6, 9)
    e = pool.acquire(ALIGN)
    assert e is not None and e.start == 5 * ALIGN
    c.release()
    d.release()
    e.release()
    assert pool.used_bytes == 0 and len(pool) == 0
    whole = pool.acquire(10 * ALIGN)
    assert whole is not None and whole.start == 0


def test_take_carves_aligned_typed_views_that_do_not_overlap() -> None:
    pool = HostBufferPool(1 << 16)
    lease = pool.acquire(align(3 * 5 * 2) + align(3 * 8))
    assert lease is not None
    rows = lease.take((3, 5), torch.bfloat16)
    ids = lease.take((3,), torch.int64)
    assert rows.shape == (3, 5) and rows.dtype == torch.bfloat16
    assert ids.shape == (3,) and ids.dtype == torch.int64
    assert ids.data_ptr() - rows.data_ptr() == ALIGN
    assert ids.data_ptr() % 8 == 0
    rows.fill_(1.5)
    ids.copy_(torch.tensor([7, 8, 9]))
    assert rows.float().sum().item() == 22.5 and ids.tolist() == [7, 8, 9]
    with pytest.raises(ValueError, match="cannot hold"):
        lease.take((1,), torch.int64)


def test_pinning_is_a_no_op_without_cuda() -> None:
    pool = HostBufferPool(1 << 20, pin=True)
    assert pool.pinned == torch.cuda.is_available()
    assert pool.buffer.device.type == "cpu"


def test_a_lease_of_another_pool_is_ignored() -> None:
    one, other = HostBufferPool(ALIGN), HostBufferPool(ALIGN)
    lease = one.acquire(ALIGN)
    assert lease is not None
    other.release(lease)
    assert one.used_bytes == ALIGN and not lease.released


def test_concurrent_acquire_and_release_keep_the_books() -> None:
    pool = HostBufferPool(64 * ALIGN)
    held: list = []
    lock = threading.Lock()
    stop = threading.Event()
    acquired = 0

    def produce() -> None:
        nonlocal acquired
        for i in range(3000):
            lease = pool.acquire((i % 5 + 1) * ALIGN)
            if lease is not None:
                acquired += 1
                with lock:
                    held.append(lease)
        stop.set()

    def consume() -> None:
        while not stop.is_set() or held:
            with lock:
                lease = held.pop(0) if held else None
            if lease is not None:
                lease.release()

    threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads)
    assert acquired > 0
    assert pool.used_bytes == 0 and len(pool) == 0


def test_a_shared_pool_is_one_memory_file_another_mapping_sees() -> None:
    pool = HostBufferPool(4096, shared=True)
    assert pool.fd is not None
    lease = pool.acquire(16)
    assert lease is not None
    lease.take((4,), torch.int32).copy_(torch.tensor([1, 2, 3, 4], dtype=torch.int32))
    _, other = shared_buffer(pool.capacity, fd=pool.fd)
    assert other[lease.start : lease.start + 16].view(torch.int32).tolist() == [1, 2, 3, 4]


def test_a_pool_that_cannot_be_shared_falls_back_to_private_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(host_pool.os, "memfd_create")
    pool = HostBufferPool(4096, shared=True)
    assert pool.fd is None  # the worker then ships from a thread
    assert pool.acquire(16) is not None
