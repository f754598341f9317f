from __future__ import annotations

import threading
import time

from monitor.plugin.ring import (
    REASON_HOST_POOL_FULL,
    REASON_RING_FULL,
    REASON_SIDECAR_UNAVAILABLE,
    DropCounters,
    RingBuffer,
)


def test_put_beyond_capacity_drops_and_counts_rows() -> None:
    drops = DropCounters()
    ring: RingBuffer[str] = RingBuffer(2, drops)
    assert ring.put("a", rows=3)
    assert ring.put("b", rows=4)
    t0 = time.monotonic()
    assert not ring.put("c", rows=5)
    assert not ring.put("d", rows=6)
    assert time.monotonic() - t0 < 0.1
    assert len(ring) == 2
    assert drops.snapshot() == {REASON_RING_FULL: 11}
    assert ring.get(timeout=0) == "a"
    assert ring.put("e", rows=1)
    assert [ring.get(timeout=0), ring.get(timeout=0)] == ["b", "e"]


def test_get_times_out_with_none() -> None:
    ring: RingBuffer[str] = RingBuffer(4, DropCounters())
    t0 = time.monotonic()
    assert ring.get(timeout=0.1) is None
    assert 0.08 <= time.monotonic() - t0 < 1.0


def test_get_wakes_up_on_put() -> None:
    ring: RingBuffer[str] = RingBuffer(4, DropCounters())
    threading.Timer(0.05, ring.put, args=("late", 1)).start()
    t0 = time.monotonic()
    assert ring.get(timeout=5.0) == "late"
    assert time.monotonic() - t0 < 2.0


def test_drain_counts_rows_under_the_reason() -> None:
    drops = DropCounters()
    ring: RingBuffer[str] = RingBuffer(8, drops)
    assert ring.drain(REASON_SIDECAR_UNAVAILABLE) == []
    assert drops.snapshot() == {}
    ring.put("a", rows=2)
    ring.put("b", rows=5)
    assert ring.drain(REASON_SIDECAR_UNAVAILABLE) == ["a", "b"]  # for their owner to release
    assert len(ring) == 0
    assert ring.get(timeout=0) is None
    assert drops.snapshot() == {REASON_SIDECAR_UNAVAILABLE: 7}
    ring.put("c", rows=1)
    assert ring.drain(REASON_SIDECAR_UNAVAILABLE) == ["c"]
    assert drops.snapshot() == {REASON_SIDECAR_UNAVAILABLE: 8}


def test_put_beyond_the_byte_bound_drops_and_counts_rows() -> None:
    drops = DropCounters()
    ring: RingBuffer[str] = RingBuffer(100, drops, max_bytes=1000)
    assert ring.put("a", rows=1, nbytes=600)
    assert ring.has_room(400) and not ring.has_room(401)
    assert not ring.put("b", rows=3, nbytes=500)  # 1100 > 1000
    assert ring.put("c", rows=2, nbytes=400)  # exactly full
    assert ring.nbytes == 1000
    assert not ring.put("d", rows=4, nbytes=1)
    assert drops.snapshot() == {REASON_RING_FULL: 7}
    assert ring.get(timeout=0) == "a"
    assert ring.nbytes == 400
    assert ring.put("e", rows=1, nbytes=600)
    ring.drain(REASON_SIDECAR_UNAVAILABLE)
    assert ring.nbytes == 0 and ring.has_room(1000)


def test_byte_bound_can_be_set_later_and_the_count_bound_still_holds() -> None:
    drops = DropCounters()
    ring: RingBuffer[str] = RingBuffer(2, drops)
    assert ring.put("huge", rows=1, nbytes=1 << 40)  # no byte bound yet
    ring.set_max_bytes(100)
    assert not ring.put("a", rows=1, nbytes=1)  # the queued item already exceeds it
    assert ring.get(timeout=0) == "huge"
    assert ring.put("a", rows=1, nbytes=50) and ring.put("b", rows=1, nbytes=0)
    assert not ring.has_room(0)  # count bound: 2 items
    assert not ring.put("c", rows=5, nbytes=0)
    assert drops.snapshot() == {REASON_RING_FULL: 6}


def test_snapshot_is_a_copy() -> None:
    drops = DropCounters()
    drops.add("x", 1)
    snap = drops.snapshot()
    drops.add("x", 2)
    assert snap == {"x": 1}
    assert drops.snapshot() == {"x": 3}


def test_producer_and_consumer_threads_lose_nothing_uncounted() -> None:
    drops = DropCounters()
    ring: RingBuffer[int] = RingBuffer(16, drops)
    total = 5000
    received: list[int] = []
    accepted: list[int] = []
    done = threading.Event()

    def produce() -> None:
        for i in range(total):
            if ring.put(i, rows=2):
                accepted.append(i)
        done.set()

    def consume() -> None:
        while True:
            item = ring.get(timeout=0.05)
            if item is None:
                if done.is_set() and len(ring) == 0:
                    return
                continue
            received.append(item)

    threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads)
    assert received == accepted  # FIFO, nothing lost or duplicated
    dropped = total - len(accepted)
    assert drops.snapshot().get(REASON_RING_FULL, 0) == 2 * dropped


def test_snapshot_below_leaves_out_step_thread_drops_at_or_after_the_offset() -> None:
    drops = DropCounters()
    drops.add(REASON_HOST_POOL_FULL, 10, offset=0)
    drops.add(REASON_SIDECAR_UNAVAILABLE, 5)  # the shipper's, of an older item: no offset
    drops.add(REASON_HOST_POOL_FULL, 20, offset=30)
    drops.add(REASON_RING_FULL, 4, offset=50)
    assert drops.snapshot() == {
        REASON_HOST_POOL_FULL: 30,
        REASON_SIDECAR_UNAVAILABLE: 5,
        REASON_RING_FULL: 4,
    }
    assert drops.snapshot(below=10) == {
        REASON_HOST_POOL_FULL: 10,
        REASON_SIDECAR_UNAVAILABLE: 5,
        REASON_RING_FULL: 0,
    }
    assert drops.snapshot(below=54)[REASON_RING_FULL] == 4
    assert drops.snapshot() == drops.snapshot(below=54)


def test_a_first_batch_sent_after_later_drops_counts_nothing_lost() -> None:
    """The sidecar sees the first batch only after drops of rows behind it: those drops
    must arrive with the batch that follows the gap, not be lost twice."""
    from monitor.sidecar.ingest.accounting import LOST_IN_TRANSIT, ProducerState, account_batch

    drops = DropCounters()
    # step thread: step 0 (rows 0-63) queued, steps at 64..255 dropped, step at 256 queued
    for offset in range(64, 256, 64):
        drops.add(REASON_HOST_POOL_FULL, 64, offset=offset)
    state = ProducerState()
    counted: dict[str, int] = {}
    for offset in (0, 256):  # the shipper sends the two queued steps, in order
        snap = drops.snapshot(below=offset)
        got = account_batch(state, offset, 64, snap.items())
        for reason, rows in got.rows.items():
            counted[reason] = counted.get(reason, 0) + rows
    assert counted == {REASON_HOST_POOL_FULL: 192}
    assert LOST_IN_TRANSIT not in counted


def test_stamps_out_of_offset_order_are_each_left_out_until_passed() -> None:
    """The step thread stamps a drop ahead while the shipper stamps one behind it (a step
    it opened and could not send): each leaves the counters once a batch passes it."""
    drops = DropCounters()
    drops.add(REASON_HOST_POOL_FULL, 8, offset=40)  # step thread, ahead
    drops.add(REASON_RING_FULL, 2, offset=10)  # shipper, behind it
    assert drops.snapshot(below=5) == {REASON_HOST_POOL_FULL: 0, REASON_RING_FULL: 0}
    assert drops.snapshot(below=12) == {REASON_HOST_POOL_FULL: 0, REASON_RING_FULL: 2}
    assert drops.snapshot(below=48) == {REASON_HOST_POOL_FULL: 8, REASON_RING_FULL: 2}
