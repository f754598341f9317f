"""The shipper process's socket loop: records read together, handled in order."""

from __future__ import annotations

import pickle
import socket
from typing import Any

from monitor.plugin import ship_process as proto
from monitor.plugin.batch import Outgoing
from monitor.plugin.coalesce import Gather
from monitor.plugin.ring import REASON_RING_FULL, DropCounters, RingBuffer
from monitor.plugin.ship_child import POLL_S, poll_interval_s, read_waiting, take


def pair() -> tuple[socket.socket, socket.socket]:
    worker, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    child.setblocking(False)
    return worker, child


def drops_record(rows: int, offset: int) -> bytes:
    return proto.DROPS + pickle.dumps([(REASON_RING_FULL, rows, offset)])


def test_every_waiting_record_is_read_at_once_and_a_close_is_seen() -> None:
    worker, child = pair()
    try:
        assert read_waiting(child) == ([], False)
        for i in range(3):
            worker.send(drops_record(i + 1, i))
        records, gone = read_waiting(child)
        assert [pickle.loads(r[1:])[0][1] for r in records] == [1, 2, 3] and not gone
        worker.send(drops_record(4, 3))
        worker.close()
        records, gone = read_waiting(child)
        assert len(records) == 1 and gone  # what came before the close is not lost
    finally:
        child.close()


def test_records_are_taken_in_order_until_quit() -> None:
    drops = DropCounters()
    ring: RingBuffer[Outgoing] = RingBuffer(4, drops)
    records = [drops_record(2, 0), drops_record(3, 2), proto.QUIT, drops_record(5, 5)]
    unused: Any = None
    assert not take(records, unused, unused, ring, drops)
    assert drops.snapshot()[REASON_RING_FULL] == 5  # the two before QUIT, not the one after
    assert take([drops_record(1, 10)], unused, unused, ring, drops)
    assert drops.snapshot()[REASON_RING_FULL] == 6


def test_the_socket_is_read_once_per_gather_window_when_steps_are_gathered() -> None:
    assert poll_interval_s(Gather(0.0)) == POLL_S
    assert poll_interval_s(Gather(0.04)) == 0.04
    assert poll_interval_s(Gather(POLL_S / 2)) == POLL_S
