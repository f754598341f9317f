"""The shipper in a child process: the worker hands each step over in one system call.

Any Python thread in the worker beside the model slows the model's step: the step's
Python releases and re-takes the interpreter lock around the kernels it calls, and a
shipper (or gRPC) thread that holds it then makes the model wait. Measured with one
engine in one process on a 2-core host, one request at a time, shipping switched on and
off every 128 tokens: the model's step took 4% longer while a shipper thread shipped (the
model's thread waited for the lock about ten times per step), 10% with gRPC replaced by a
plain socket, and no longer when each step's facts went to another process instead.

So here the worker's work per step is what it always did (copying the rows into the host
pool), pickling the step's labels into the same pool, and one non-blocking ``send`` on a
Unix socket. The child (:mod:`monitor.plugin.ship_child`) maps the pool, runs the same
:class:`~monitor.plugin.shipper.Shipper` and sends back the leases it is done with; the
worker reads them at its next step. The worker keeps no thread. The child runs at the
lowest CPU priority (``shipper_nice``): no longer paced by the worker's interpreter lock,
at nice 0 its work delayed vLLM's scheduler and API server on the cores they share (tokens
arrived in bursts). A full socket drops the
step (``ring_buffer_full``); a dead child loses what it held (``plugin_error``) and is
started again with backoff.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from monitor.logutil import RateLimitedLog
from monitor.placement import SHIPPER_MODULE
from monitor.plugin.host_pool import HostBufferPool, Lease
from monitor.plugin.ring import (
    REASON_HOST_POOL_FULL,
    REASON_PLUGIN_ERROR,
    REASON_RING_FULL,
    DropCounters,
)
from monitor.plugin.settings import PluginSettings
from monitor.plugin.staged import StagedStep

log = logging.getLogger("vllm.llm_monitor")

# Records, one datagram each. Worker to child:
CONFIG = b"P"  # pickled ChildConfig, first
STEP = b"S"  # STEP_RECORD
DROPS = b"D"  # pickled list of (reason, rows, offset): the worker's own drops
QUIT = b"Q"  # send what is queued (within a deadline) and exit
# Child to worker:
RELEASED = b"R"  # int64 lease starts
CONNECTED = b"C"
DISCONNECTED = b"c"

#: A step: its lease (start, bytes), tokens per layer, its facts' lease (start, bytes, length).
STEP_RECORD = struct.Struct("<qqqqqq")
#: Drops of the worker waiting for the child (oldest forgotten first).
MAX_PENDING_DROPS = 4096


@dataclass(frozen=True)
class ChildConfig:
    """What the child needs to know once: where to send, and the layout of the pool."""

    settings: PluginSettings
    producer_id: str
    hello: dict[str, Any]
    layers: list[int]
    d_model: int
    dtype: str  # torch dtype name, e.g. "bfloat16"
    pool_bytes: int
    cpus: frozenset[int] | None
    drops: dict[str, int] = field(default_factory=dict)  # the worker's counts so far
    nice: int | None = None  # the child's absolute niceness (the worker's + shipper_nice)


#: The fields of a StagedStep the child needs beyond its rows (which it views in the pool).
FACT_FIELDS = tuple(
    f.name
    for f in dataclasses.fields(StagedStep)
    if f.name not in ("staged", "lease", "opted_out_rows")
)


def _child_nice(config: ChildConfig) -> int | None:
    """The child's absolute niceness: the worker's own plus ``shipper_nice`` (at most 19)."""
    if not config.settings.shipper_nice:
        return None
    return min(19, os.getpriority(os.PRIO_PROCESS, 0) + config.settings.shipper_nice)


def _tasks(pid: int) -> list[int]:
    """The thread ids of a process (its pid alone where /proc cannot be read)."""
    try:
        return [int(name) for name in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return [pid]


def place_child(pid: int, config: ChildConfig) -> None:
    """Give a process and every thread it has the child's cores and priority.

    Both are per thread on Linux (later threads inherit them from their creator), so each
    thread already there is placed. The worker does it right after the start, so the child's
    imports (seconds of CPU) do not run on the model's cores at the worker's priority; the
    child repeats it before it starts its gRPC threads, in case it had made threads before the
    worker got there. A thread or process already gone is skipped.
    """
    for tid in _tasks(pid):
        try:
            if config.cpus is not None:
                os.sched_setaffinity(tid, config.cpus)
            if config.nice is not None:
                os.setpriority(os.PRIO_PROCESS, tid, config.nice)
        except ProcessLookupError:
            pass


def pack_facts(step: StagedStep) -> bytes:
    """A step's facts, pickled as a tuple (a third of a dataclass's pickling time)."""
    return pickle.dumps(tuple(getattr(step, name) for name in FACT_FIELDS), protocol=5)


def unpack_facts(data: bytes) -> dict[str, Any]:
    """What ``pack_facts`` wrote, as StagedStep's keyword arguments."""
    return dict(zip(FACT_FIELDS, pickle.loads(data), strict=True))


class PolledFlag:
    """An event-like flag whose state arrives when ``poll`` reads the child's records."""

    def __init__(self, poll: Callable[[], None]) -> None:
        self._poll = poll
        self.value = False

    def is_set(self) -> bool:
        self._poll()
        return self.value

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.is_set():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True


class ProcessShipper:
    """Hands steps to a child shipper process; the ring's ``has_room``/``put`` for the
    step thread, ``start``/``stop``/``connected`` like the shipper thread."""

    def __init__(
        self,
        pool: HostBufferPool,
        drops: DropCounters,
        config: ChildConfig,
        capacity: int,
        respawn_initial_s: float = 0.2,
        respawn_max_s: float = 5.0,
    ) -> None:
        if pool.fd is None:
            raise ValueError("the host pool must be shared (HostBufferPool(shared=True))")
        self._pool = pool
        self._pool_fd = pool.fd
        self._drops = drops
        self._config = config
        self._capacity = capacity
        self._backoff_initial = respawn_initial_s
        self._backoff_max = respawn_max_s
        self._backoff = respawn_initial_s
        self._in_flight: dict[int, tuple[Lease, Lease, int]] = {}
        self._pending_drops: list[tuple[str, int, int | None]] = []
        self._sock: socket.socket | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._respawn_at = 0.0
        self._lock = threading.RLock()  # poll() may come from another thread (tests)
        self._log = RateLimitedLog(log, interval_s=30.0)
        self.connected = PolledFlag(self.poll)
        self.children_started = 0
        drops.on_add = self._forward_drop

    # -- the child's life -----------------------------------------------------------

    def start(self) -> None:
        """Start the child process."""
        with self._lock:
            self._spawn()

    def _spawn(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # a new child counts on from everything dropped so far, not from what is pending
        self._pending_drops = []
        self._config = dataclasses.replace(
            self._config, drops=self._drops.snapshot(), nice=_child_nice(self._config)
        )
        try:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    SHIPPER_MODULE,
                    str(theirs.fileno()),
                    str(self._pool_fd),
                ],
                pass_fds=(theirs.fileno(), self._pool_fd),
                stdin=subprocess.DEVNULL,
            )
            place_child(self._proc.pid, self._config)
            ours.sendall(CONFIG + pickle.dumps(self._config, protocol=5))
        except Exception as exc:
            ours.close()
            self._schedule_respawn(f"cannot start the shipper process: {exc!r}")
            return
        finally:
            theirs.close()
        ours.setblocking(False)
        self._sock = ours
        self.children_started += 1
        log.info("llm-monitor: shipper process %d started", self._proc.pid)

    def _schedule_respawn(self, why: str) -> None:
        self._log.warning("llm-monitor: %s; starting it again in %.1f s", why, self._backoff)
        self._respawn_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff_max, self._backoff * 2)

    def _died(self, why: str) -> None:
        """The child is gone: lose what it held (counted) and start another later."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        lost = self._release_all()
        if lost:
            self._drops.add(REASON_PLUGIN_ERROR, lost)
        self.connected.value = False
        self._schedule_respawn(why)

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the child to send what it has and exit; wait at most ``timeout``."""
        with self._lock:
            sock, proc = self._sock, self._proc
            self._sock = None
            self._respawn_at = float("inf")
            if sock is not None:
                try:
                    sock.setblocking(True)
                    sock.settimeout(timeout)
                    sock.send(QUIT)
                except OSError:
                    pass
            if proc is not None:
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if sock is not None:
                sock.close()
            self._release_all()
            self.connected.value = False

    def _release_all(self) -> int:
        """Give back every lease the child held; the rows they carried."""
        rows = sum(held_rows for _, _, held_rows in self._in_flight.values())
        for lease, facts, _ in self._in_flight.values():
            lease.release()
            facts.release()
        self._in_flight.clear()
        return rows

    # -- what the child says --------------------------------------------------------

    def poll(self) -> None:
        """Read the child's records (released leases, connection state) without
        waiting; notice a dead child, start a new one when due."""
        with self._lock:
            if self._sock is None:
                if time.monotonic() >= self._respawn_at:
                    self._spawn()
                return
            while self._sock is not None:
                try:
                    record = self._sock.recv(65536)
                except BlockingIOError:
                    break
                except OSError:
                    record = b""
                if not record:
                    code = self._proc.poll() if self._proc is not None else None
                    self._died(f"the shipper process exited (code {code})")
                    return
                self._on_record(record)
            self._send_drops()

    def _on_record(self, record: bytes) -> None:
        kind, body = record[:1], record[1:]
        if kind == RELEASED:
            for start in np.frombuffer(body, dtype=np.int64).tolist():
                held = self._in_flight.pop(start, None)
                if held is not None:
                    held[0].release()
                    held[1].release()
        elif kind == CONNECTED:
            self.connected.value = True
            self._backoff = self._backoff_initial
        elif kind == DISCONNECTED:
            self.connected.value = False

    # -- the step thread's side -----------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The child's process id (None before the first start)."""
        return self._proc.pid if self._proc is not None else None

    def __len__(self) -> int:
        """Steps handed over and not yet given back (as of the last ``poll``)."""
        return len(self._in_flight)

    def in_flight(self) -> int:
        """Steps handed over and not yet given back, after a ``poll``."""
        self.poll()
        return len(self._in_flight)

    def has_room(self, nbytes: int = 0) -> bool:
        """Whether a step would be handed over now (a child runs and holds fewer than
        ``capacity`` steps)."""
        self.poll()
        return self._sock is not None and len(self._in_flight) < self._capacity

    def put(self, item: StagedStep, rows: int, nbytes: int = 0, offset: int | None = None) -> bool:
        """Hand a step over; False (counted) if it cannot be now. Never blocks."""
        with self._lock:
            sock = self._sock
            if sock is None or len(self._in_flight) >= self._capacity:
                self._drops.add(REASON_RING_FULL, rows, offset)
                return False
            facts = pack_facts(item)
            held = self._pool.acquire(len(facts))
            if held is None:
                self._drops.add(REASON_HOST_POOL_FULL, rows, offset)
                return False
            self._pool.buffer[held.start : held.start + len(facts)].numpy()[:] = np.frombuffer(
                facts, dtype=np.uint8
            )
            self._send_drops()
            record = STEP_RECORD.pack(
                item.lease.start,
                item.lease.nbytes,
                item.tokens,
                held.start,
                held.nbytes,
                len(facts),
            )
            try:
                sock.send(STEP + record)
            except BlockingIOError:
                held.release()
                self._drops.add(REASON_RING_FULL, rows, offset)
                return False
            except OSError as exc:
                held.release()
                self._drops.add(REASON_PLUGIN_ERROR, rows, offset)
                self._died(f"the shipper process is unreachable: {exc!r}")
                return False
            self._in_flight[item.lease.start] = (item.lease, held, rows)
            return True

    def _forward_drop(self, reason: str, rows: int, offset: int | None) -> None:
        with self._lock:
            self._pending_drops.append((reason, rows, offset))
            del self._pending_drops[:-MAX_PENDING_DROPS]

    def _send_drops(self) -> None:
        if not self._pending_drops or self._sock is None:
            return
        try:
            self._sock.send(DROPS + pickle.dumps(self._pending_drops, protocol=5))
        except OSError:
            return  # tried again at the next step
        self._pending_drops = []
