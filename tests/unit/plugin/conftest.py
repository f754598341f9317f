"""Fixtures for the plugin tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.plugin.batch import Outgoing
from monitor.plugin.coalesce import Gather
from monitor.plugin.ring import DropCounters, RingBuffer
from monitor.plugin.ship_delay import ShipDelay
from monitor.plugin.shipper import Shipper
from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import SidecarConfig
from monitor.v1 import ingest_pb2

from ..sidecar.recording import RecordingSink
from .rigs import (
    BatchRecorder,
    RunningSidecar,
    ShipperFactory,
    ShipperRig,
    SidecarFactory,
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("LLM_MONITOR_"):
            monkeypatch.delenv(key)


@pytest.fixture
def sidecar_factory() -> Iterator[SidecarFactory]:
    started: list[Sidecar] = []

    def make(grpc_address: str = "127.0.0.1:0", probe_dir: Path | None = None) -> RunningSidecar:
        registry = CollectorRegistry()
        activations = BatchRecorder()
        scores = RecordingSink()
        config = SidecarConfig(
            grpc_address=grpc_address, metrics_address="127.0.0.1:0", probe_dir=probe_dir
        )
        app = Sidecar(config, registry=registry, sinks=[scores], activation_sinks=[activations])
        app.start()
        started.append(app)
        return RunningSidecar(app, registry, activations, scores)

    yield make
    for app in started:
        app.stop(grace=0)


@pytest.fixture
def shipper_factory() -> Iterator[ShipperFactory]:
    started: list[Shipper] = []

    def make(
        address: str,
        *,
        capacity: int = 64,
        capture_ok: bool = True,
        max_message_bytes: int = 1 << 20,
        layers: tuple[int, ...] = (1,),
        model_name: str = "tiny-llama",
        start: bool = True,
        cpus: frozenset[int] | None = None,
        ship_delay: ShipDelay | None = None,
        gather: Gather | None = None,
    ) -> ShipperRig:
        drops = DropCounters()
        ring: RingBuffer[Outgoing] = RingBuffer(capacity, drops)
        hellos: list[ingest_pb2.Hello] = []

        def hello() -> ingest_pb2.Hello:
            msg = ingest_pb2.Hello(
                producer_id="test-producer",
                model_name=model_name,
                layers=list(layers),
                capture_ok=capture_ok,
                capture_error="" if capture_ok else "hooks never fired",
                plugin_version="test",
            )
            hellos.append(msg)
            return msg

        shipper = Shipper(
            ring,
            drops,
            address,
            producer_id="test-producer",
            hello=hello,
            max_message_bytes=max_message_bytes,
            reconnect_initial_s=0.05,
            reconnect_max_s=0.2,
            cpus=cpus,
            ship_delay=ship_delay,
            gather=gather,
        )
        if start:
            shipper.start()
            started.append(shipper)
        return ShipperRig(shipper, ring, drops, hellos)

    yield make
    for shipper in started:
        shipper.stop(timeout=5.0)
