"""Helpers for the plugin tests: an in-process sidecar, shipper rigs, ports, waiting."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry

from monitor.plugin.batch import CapturedBatch, Outgoing
from monitor.plugin.outbox import Outbox
from monitor.plugin.ring import DropCounters, RingBuffer
from monitor.plugin.settings import PluginSettings
from monitor.plugin.shipper import Shipper
from monitor.plugin.worker import WorkerMonitor
from monitor.sidecar.app import Sidecar
from monitor.sidecar.ingest.batches import DecodedBatch
from monitor.v1 import ingest_pb2

from ..sidecar.recording import RecordingSink
from .tiny import FakeWorker


def monitor_for(worker: FakeWorker, **fields: Any) -> WorkerMonitor:
    """A monitor attached to ``worker`` and self-tested, shipping nowhere reachable (from
    a thread, whose ring ``ship`` reads, unless ``shipper_mode`` says otherwise)."""
    settings = PluginSettings(
        enabled=True, sidecar_address="127.0.0.1:1", **{"shipper_mode": "thread", **fields}
    )
    mon = WorkerMonitor(settings)
    mon.attach(worker)
    mon.self_test(worker)
    assert mon.capture_ok, mon.capture_error
    return mon


def ship(mon: WorkerMonitor) -> list[CapturedBatch]:
    """What the shipper would send of everything queued (rows copied out)."""
    outbox = mon.__dict__.setdefault("_test_outbox", Outbox(mon.drops))
    sent = []
    while (item := mon.ring.get(timeout=0)) is not None:
        try:
            for batch in outbox.unpack(item):
                sent.append(dataclasses.replace(batch, activations=batch.activations.clone()))
        finally:
            item.release()
    return sent


class BatchRecorder:
    """An ActivationSink that keeps every decoded batch whole (rows by request: the
    shared ``monitor.sidecar.ingest.recorder.ActivationRecorder``)."""

    def __init__(self) -> None:
        self.batches: list[DecodedBatch] = []
        self._lock = threading.Lock()

    def on_batch(self, batch: DecodedBatch) -> None:
        with self._lock:
            self.batches.append(batch)

    def snapshot(self) -> list[DecodedBatch]:
        with self._lock:
            return list(self.batches)

    def rows(self) -> int:
        return sum(b.rows for b in self.snapshot())


@dataclass
class RunningSidecar:
    app: Sidecar
    registry: CollectorRegistry
    activations: BatchRecorder
    scores: RecordingSink

    @property
    def target(self) -> str:
        return self.app.grpc_target

    def metric(self, name: str, **labels: str) -> float | None:
        return self.registry.get_sample_value(name, labels)


SidecarFactory = Callable[..., RunningSidecar]


@dataclass
class ShipperRig:
    shipper: Shipper
    ring: RingBuffer[Outgoing]
    drops: DropCounters
    hellos: list[ingest_pb2.Hello]


ShipperFactory = Callable[..., ShipperRig]


def unused_port() -> int:
    """A local TCP port nothing listens on (at the time of the call)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` passes; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
