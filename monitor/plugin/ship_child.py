"""The shipper process: ``python -m monitor.plugin.ship_child SOCKET_FD POOL_FD``.

Started by :class:`~monitor.plugin.ship_process.ProcessShipper` in a vLLM worker. It maps
the worker's host pool, turns each step record into the same
:class:`~monitor.plugin.staged.StagedStep` the worker's shipper thread would have taken
from its ring, and runs the same :class:`~monitor.plugin.shipper.Shipper`. Leases it is
done with go back to the worker, gathered into one record while the worker is not
reading. It exits when the worker closes the socket (the worker ended) or asks it to.
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import socket
import sys
import threading
import time

import numpy as np
import torch

from monitor.heap import freeze_startup_heap
from monitor.plugin import ship_process as proto
from monitor.plugin.batch import Outgoing
from monitor.plugin.capture import StagedRows, staged_views
from monitor.plugin.coalesce import Gather
from monitor.plugin.host_pool import Lease, shared_buffer
from monitor.plugin.ring import DropCounters, RingBuffer
from monitor.plugin.shipper import gather_from_settings, shipper_from_settings
from monitor.plugin.staged import StagedStep
from monitor.v1 import ingest_pb2

log = logging.getLogger("vllm.llm_monitor")

#: How often unsent releases (left when the socket was full) and the connection state
#: are looked at. A release is sent at once when the socket has room.
TICK_S = 0.1
#: How often the socket is read while steps arrive. Read on a timer, not by waiting in
#: ``recv``: a ``send`` that wakes a waiting reader on an idle CPU cost the worker's step
#: ~0.3 ms on a virtual machine (the cross-CPU wake-up), against a few microseconds when
#: nobody waits. Not much more often: every wake-up of this process lands on the cores
#: vLLM's scheduler and API server use, and at 2 ms (at nice 0) the served tokens arrived
#: in bursts (ITL p99 0.9 s at 3 requests/s). While steps are gathered
#: (``ship_gather_ms``) it is read once per gather window instead (``poll_interval_s``):
#: a step read later waits that much less for the rest of its gather (the window counts
#: from its end).
POLL_S = 0.01
#: Once no step came for IDLE_AFTER_S the child waits for the next one (woken by it: one
#: wake-up per idle spell, so the first step after a pause is not left for a timer).
IDLE_AFTER_S = 1.0
IDLE_WAIT_S = 1.0
#: Seconds to send what is queued when the worker goes away.
STOP_TIMEOUT_S = 2.0


class SharedPool:
    """The worker's pool as mapped here: leases carved the same way, released by
    telling the worker (batched, never blocking)."""

    pinned = False

    def __init__(self, buffer: torch.Tensor, sock: socket.socket) -> None:
        self.buffer = buffer
        self._sock = sock
        self._released: list[int] = []
        self._lock = threading.Lock()

    def release(self, lease: Lease) -> None:
        with self._lock:
            if lease.released:
                return
            lease.released = True
            self._released.append(lease.start)
        self.flush()

    def flush(self) -> None:
        """Send the releases not yet sent (kept for later if the socket is full)."""
        with self._lock:
            if not self._released:
                return
            record = proto.RELEASED + np.asarray(self._released, dtype=np.int64).tobytes()
            try:
                self._sock.send(record, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError:
                return  # the worker is gone; the reader notices
            self._released = []


def step_from_record(body: bytes, pool: SharedPool, config: proto.ChildConfig) -> StagedStep:
    """The step a STEP record describes, its rows viewed in the shared pool."""
    start, nbytes, tokens, facts_start, _, facts_len = proto.STEP_RECORD.unpack(body)
    facts = proto.unpack_facts(pool.buffer[facts_start : facts_start + facts_len].numpy().tobytes())
    lease = Lease(pool, start, nbytes)
    activations, positions, token_ids = staged_views(
        lease, config.layers, tokens, config.d_model, getattr(torch, config.dtype)
    )
    staged = StagedRows(list(config.layers), activations, positions, token_ids)
    return StagedStep(staged=staged, lease=lease, **facts)


def poll_interval_s(gather: Gather) -> float:
    """How often the socket is read while steps arrive: ``POLL_S``, or once per gather
    window when steps are gathered."""
    return max(POLL_S, gather.gather_s)


def _report_connection(
    sock: socket.socket, connected: threading.Event, stop: threading.Event, pool: SharedPool
) -> None:
    """Tell the worker when the stream to the sidecar comes and goes; flush releases."""
    told = False
    while not stop.wait(TICK_S):
        pool.flush()
        now = connected.is_set()
        if now != told:
            try:
                sock.send(proto.CONNECTED if now else proto.DISCONNECTED, socket.MSG_DONTWAIT)
                told = now
            except BlockingIOError:
                continue
            except OSError:
                return


def read_waiting(sock: socket.socket) -> tuple[list[bytes], bool]:
    """Every record waiting on the (non-blocking) socket, all read before any is handled
    so that a gather sees them together; and whether the worker has closed it."""
    records: list[bytes] = []
    while True:
        try:
            record = sock.recv(1 << 20)
        except BlockingIOError:
            return records, False
        except OSError:
            return records, True
        if not record:
            return records, True
        records.append(record)


def take(
    records: list[bytes],
    pool: SharedPool,
    config: proto.ChildConfig,
    ring: RingBuffer[Outgoing],
    drops: DropCounters,
) -> bool:
    """Queue the steps and count the drops of these records, in order; False once the
    worker asked this process to quit (what follows QUIT is ignored)."""
    for record in records:
        kind, body = record[:1], record[1:]
        if kind == proto.STEP:
            step = step_from_record(body, pool, config)
            if not ring.put(step, rows=step.rows, offset=step.row_offset):
                step.release()
        elif kind == proto.DROPS:
            for reason, rows, offset in pickle.loads(body):
                drops.add(reason, rows, offset)
        else:  # QUIT
            return False
    return True


def run(sock: socket.socket, pool_fd: int) -> int:
    """Serve one worker until it closes the socket or sends QUIT; the exit code."""
    record = sock.recv(1 << 20)
    if record[:1] != proto.CONFIG:
        log.error("llm-monitor: shipper process: expected the configuration first")
        return 2
    config: proto.ChildConfig = pickle.loads(record[1:])
    proto.place_child(os.getpid(), config)  # threads made before the worker placed it
    torch.set_num_threads(1)
    _, buffer = shared_buffer(config.pool_bytes, fd=pool_fd)
    pool = SharedPool(buffer, sock)
    drops = DropCounters()
    for reason, rows in config.drops.items():
        drops.add(reason, rows)
    ring: RingBuffer[Outgoing] = RingBuffer(config.settings.buffer_batches, drops)
    hello = dict(config.hello)
    shipper = shipper_from_settings(
        config.settings,
        ring,
        drops,
        config.producer_id,
        lambda: ingest_pb2.Hello(**hello),
        None,
        layers=len(config.layers),
    )
    shipper.start()
    poll_s = poll_interval_s(gather_from_settings(config.settings, len(config.layers)))
    stop = threading.Event()
    reporter = threading.Thread(
        target=_report_connection,
        args=(sock, shipper.connected, stop, pool),
        name="llm-monitor-reporter",
        daemon=True,
    )
    reporter.start()
    sock.setblocking(False)
    freeze_startup_heap()  # torch and gRPC: ~180k objects a full collection would walk
    last = time.monotonic()
    try:
        while True:
            records, gone = read_waiting(sock)
            if not records and not gone:
                if time.monotonic() - last > IDLE_AFTER_S:
                    select.select([sock], [], [], IDLE_WAIT_S)
                else:
                    time.sleep(poll_s)
                continue
            last = time.monotonic()
            if not take(records, pool, config, ring, drops) or gone:
                break
    finally:
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while len(ring) and time.monotonic() < deadline:
            time.sleep(TICK_S)
        shipper.stop(timeout=max(0.1, deadline - time.monotonic()))
        stop.set()
    return 0


def main(argv: list[str]) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(asctime)s [llm-monitor shipper] %(message)s"
    )
    if len(argv) != 2:
        print("usage: python -m monitor.plugin.ship_child SOCKET_FD POOL_FD", file=sys.stderr)
        return 2
    sock = socket.socket(fileno=int(argv[0]))
    try:
        return run(sock, int(argv[1]))
    finally:
        sock.close()


if __name__ == "__main__":
    code = main(sys.argv[1:])
    logging.shutdown()
    # not sys.exit: gRPC's daemon threads (a reconnect in progress) can abort the
    # interpreter's finalization; everything worth keeping was sent or counted above
    os._exit(code)
