"""Ingest of ``bench fleet``: sidecar-like pusher processes pushing to one hub over gRPC.

Each pusher is its own process (``spawn``) with its own source name, so encoding runs in
parallel as it would on separate sidecars. It builds its pushes the way a sidecar in hub
mode does (``TraceStream`` updates with snapshots, ``wire.push_request``, labels with the
first push and whenever the hub asks), sends them one at a time in ``seq`` order and
retries a failed push with backoff until it is acknowledged, as the shipper does (all but
INVALID_ARGUMENT: that push is given up). Every failure is counted by status code; those
other than the expected back-pressure codes are also kept as errors with their details.
Pushes start together when every pusher is ready and stop being made after
``duration_s``; a push still in flight then is finished (for at most ``GRACE_S``), and
what was never acknowledged is counted as unacknowledged.
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import time
from dataclasses import dataclass, field
from typing import Any

import grpc

from monitor.bench.fleet_data import RowPool, TraceStream, bench_labels, rows_of
from monitor.bench.fleet_hub import FleetBenchError, Hub
from monitor.bench.fleet_settings import FleetBenchSettings
from monitor.bench.fleet_summary import quantiles_ms
from monitor.sidecar.traces import wire
from monitor.v1 import fleet_pb2, fleet_pb2_grpc

GRACE_S = 30.0  # a push in flight at the end may take this long to be acknowledged
READY_TIMEOUT_S = 120.0
BACK_PRESSURE = (
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.DEADLINE_EXCEEDED,
)
PUSH_TIMEOUT_S = 30.0
MAX_MESSAGE_BYTES = 64 * 2**20


@dataclass
class PusherStats:
    """What one pusher sent and what the hub acknowledged."""

    source: str
    pushes_acked: int = 0
    rows_acked: int = 0
    alerts_acked: int = 0
    traces_acked: int = 0
    rows_unacked: int = 0
    bytes_sent: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    acks: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, rows)
    push_s: list[float] = field(default_factory=list)
    cpu_s: float = 0.0
    started: float = 0.0
    ended: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "pushes_acked": self.pushes_acked,
            "rows_acked": self.rows_acked,
            "alerts_acked": self.alerts_acked,
            "traces_acked": self.traces_acked,
            "rows_unacked": self.rows_unacked,
            "bytes_sent": self.bytes_sent,
            "refused": dict(self.refused),
            "errors": self.errors[:5],
            "push_latency": quantiles_ms(self.push_s),
            "cpu_s": round(self.cpu_s, 3),
            "acks": self.acks,
            "started": self.started,
            "ended": self.ended,
        }


class Pusher:
    """One sidecar-like source pushing to ``address``."""

    def __init__(self, settings: FleetBenchSettings, index: int, address: str) -> None:
        self.settings = settings
        self.source = f"bench-sidecar-{index}"
        self.labels = bench_labels(settings.concepts)
        pool = RowPool.build(settings.k, settings.concepts, settings.seed + index)
        self.stream = TraceStream(
            settings, pool, f"p{index}", source=self.source, encoder=self.labels.encoder
        )
        self.stats = PusherStats(self.source)
        self._channel = grpc.insecure_channel(
            address,
            options=[
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        self._stub = fleet_pb2_grpc.TraceIngestStub(self._channel)
        self._seq = 0
        self._send_labels = True

    def close(self) -> None:
        self._channel.close()

    def run(self, duration_s: float) -> PusherStats:
        """Push for ``duration_s`` (and finish the last push); the counts."""
        stats = self.stats
        cpu0 = time.process_time()
        stats.started = time.monotonic()
        stop = stats.started + duration_s
        while time.monotonic() < stop:
            self.push_next(stop + GRACE_S)
        stats.ended = time.monotonic()
        stats.cpu_s = time.process_time() - cpu0
        return stats

    def push_next(self, give_up_at: float) -> bool:
        """Make the next push and deliver it (retrying until ``give_up_at``); whether the
        hub acknowledged it."""
        updates = self.stream.updates(self.settings.push_rows)
        self._seq += 1
        request = wire.push_request(
            self.source,
            self._seq,
            updates,
            encoder=self.labels.encoder,
            labels=self.labels if self._send_labels else None,
        )
        rows = rows_of(updates)
        if not self._deliver(request, give_up_at):
            self.stats.rows_unacked += rows
            return False
        stats = self.stats
        stats.pushes_acked += 1
        stats.rows_acked += rows
        stats.alerts_acked += sum(len(u.alerts) for u in updates)
        stats.traces_acked += sum(1 for u in updates if u.snapshot and u.snapshot.version == 1)
        stats.acks.append((time.monotonic(), rows))
        return True

    def _deliver(self, request: fleet_pb2.PushRequest, give_up_at: float) -> bool:
        data_len = request.ByteSize()
        backoff = 0.05
        while True:
            began = time.monotonic()
            try:
                response = self._stub.Push(request, timeout=PUSH_TIMEOUT_S)
            except grpc.RpcError as exc:
                code = exc.code()
                name = code.name if code is not None else "UNKNOWN"
                self.stats.refused[name] = self.stats.refused.get(name, 0) + 1
                if code not in BACK_PRESSURE:
                    self.stats.errors.append(f"seq {request.seq}: {name}: {exc.details()}")
                if code == grpc.StatusCode.INVALID_ARGUMENT:
                    return False
                if time.monotonic() + backoff > give_up_at:
                    return False
                time.sleep(backoff * (0.5 + random.random()))
                backoff = min(backoff * 2, 1.0)
                continue
            self.stats.push_s.append(time.monotonic() - began)
            self.stats.bytes_sent += data_len
            if response.acked_seq < request.seq:
                self.stats.errors.append(
                    f"seq {request.seq}: acknowledged only up to {response.acked_seq}"
                )
                return False
            if request.HasField("labels"):
                self._send_labels = False
            if response.need_labels:
                self._send_labels = True
            return True


def pusher_main(
    settings: FleetBenchSettings,
    index: int,
    address: str,
    go: Any,
    out: Any,
) -> None:
    """A pusher process: build, report ready, wait for ``go``, push, report the counts."""
    try:
        pusher = Pusher(settings, index, address)
    except Exception as exc:  # reported to the parent, which fails the phase
        out.put(("error", index, repr(exc)))
        return
    out.put(("ready", index, None))
    if not go.wait(READY_TIMEOUT_S):
        out.put(("error", index, "never told to start"))
        return
    try:
        stats = pusher.run(settings.duration_s)
    except Exception as exc:
        out.put(("error", index, repr(exc)))
        return
    finally:
        pusher.close()
    out.put(("done", index, stats.as_dict()))


def _collect(out: Any, kind: str, count: int, timeout_s: float, hub: Hub) -> dict[int, Any]:
    """``count`` messages of ``kind`` from the pushers (by index); raises on an error."""
    got: dict[int, Any] = {}
    deadline = time.monotonic() + timeout_s
    while len(got) < count:
        hub.check_alive("ingest")
        try:
            what, index, payload = out.get(timeout=1.0)
        except queue.Empty:
            if time.monotonic() > deadline:
                raise FleetBenchError(f"pushers: {count - len(got)} not {kind} in time") from None
            continue
        if what == "error":
            raise FleetBenchError(f"pusher {index} failed: {payload}")
        if what == kind:
            got[index] = payload
    return got


def run_pushers(
    settings: FleetBenchSettings, hub: Hub
) -> tuple[list[dict[str, Any]], float, float]:
    """Run the pushers against ``hub``; their counts, the measuring window (seconds from
    the start signal to the last acknowledgement) and the hub's CPU seconds in it."""
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    out = ctx.Queue()
    processes = [
        ctx.Process(
            target=pusher_main,
            args=(settings, i, hub.address, go, out),
            name=f"fleet-pusher-{i}",
            daemon=True,
        )
        for i in range(settings.pushers)
    ]
    for process in processes:
        process.start()
    try:
        _collect(out, "ready", settings.pushers, READY_TIMEOUT_S, hub)
        cpu0 = hub.cpu_s()
        start = time.monotonic()
        go.set()
        done = _collect(out, "done", settings.pushers, settings.duration_s + GRACE_S + 60, hub)
        cpu_s = hub.cpu_s() - cpu0
    finally:
        go.set()
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()
    results = [done[i] for i in sorted(done)]
    end = max((p["ended"] for p in results), default=start)
    for p in results:  # times relative to the start signal
        p["started"] = round(p["started"] - start, 3)
        p["ended"] = round(p["ended"] - start, 3)
        p["acks"] = [(at - start, rows) for at, rows in p["acks"]]
    return results, end - start, cpu_s
