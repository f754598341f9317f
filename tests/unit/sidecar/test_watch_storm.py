"""Subscriber storm: 500 WatchAlerts subscribers that never read, one that does.

A real sidecar (gRPC, pipeline, rule engine, hub) fires one alert per request. The
reading subscriber must get every alert, the idle ones beyond the limits are refused
(RESOURCE_EXHAUSTED, counted), and the median Ingest call stays within 2x of a control
run without idle subscribers (plus a 2 ms floor for timer noise on a shared machine).

``LLM_MONITOR_STORM_CALLS`` sets the Ingest calls per run (10 requests each; default 100).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from pathlib import Path

import grpc
import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitor.sidecar.alerts.hub import DEFAULT_MAX_PER_PEER
from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import RuleConfig, SidecarConfig
from monitor.v1 import ingest_pb2_grpc, query_pb2, query_pb2_grpc

from .helpers import D_MODEL, MODEL, batch_message, hello, make_batch, make_probe, write_probe_dir

IDLE = 500
PER_CALL = 10
CALLS = int(os.environ.get("LLM_MONITOR_STORM_CALLS", "100"))
NOISE_FLOOR_S = 0.002


def _sidecar(probe_dir: Path) -> Sidecar:
    config = SidecarConfig(
        model_name=MODEL,
        probe_dir=probe_dir,
        grpc_address="127.0.0.1:0",
        metrics_address="127.0.0.1:0",
        rules=[RuleConfig(name="every", concept="deception", threshold=0.0, cooldown_s=0)],
    )
    return Sidecar(config, CollectorRegistry())


def _run(probe_dir: Path, idle: int) -> tuple[list[str], list[float], Sidecar, int]:
    """(alerted request ids seen by the reader, Ingest call seconds, the sidecar, refusals)."""
    sidecar = _sidecar(probe_dir)
    sidecar.start()
    channels: list[grpc.Channel] = []
    received: list[str] = []
    try:
        reader_channel = grpc.insecure_channel(sidecar.grpc_target)
        channels.append(reader_channel)
        stream = query_pb2_grpc.TraceQueryStub(reader_channel).WatchAlerts(
            query_pb2.WatchAlertsRequest()
        )

        def read() -> None:
            try:
                for alert in stream:
                    received.append(alert.request_id)
            except grpc.RpcError:
                pass

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        deadline = time.monotonic() + 10
        while sidecar.alert_hub.subscriber_count < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        idle_channels = [grpc.insecure_channel(sidecar.grpc_target) for _ in range(10)]
        channels.extend(idle_channels)
        idle_calls = [
            query_pb2_grpc.TraceQueryStub(idle_channels[i % 10]).WatchAlerts(
                query_pb2.WatchAlertsRequest()
            )
            for i in range(idle)
        ]
        admitted_idle = min(idle, DEFAULT_MAX_PER_PEER - 1)  # the reader holds one slot
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if sum(call.done() for call in idle_calls) >= idle - admitted_idle:
                break
            time.sleep(0.02)
        codes = [call.code() for call in idle_calls if call.done()]
        # the hub refuses with RESOURCE_EXHAUSTED; a burst may also meet HTTP/2
        # REFUSED_STREAM from the transport (UNAVAILABLE): refused either way
        assert len(codes) == idle - admitted_idle
        assert set(codes) <= {grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE}
        refused = codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED)

        ingest_channel = grpc.insecure_channel(sidecar.grpc_target)
        channels.append(ingest_channel)
        ingest = ingest_pb2_grpc.MonitorStub(ingest_channel)
        acts = np.random.default_rng(0).normal(size=(PER_CALL, D_MODEL)).astype(np.float32)
        latencies: list[float] = []
        for call_no in range(CALLS):
            ids = [f"r{call_no}-{j}" for j in range(PER_CALL)]
            batch = make_batch(
                acts,
                request_ids=ids,
                row_request=list(range(PER_CALL)),
                positions=[0] * PER_CALL,
                finished=ids,
                sequence=call_no,
            )
            started = time.monotonic()
            ingest.Ingest(iter([hello(), batch_message(batch)]), timeout=30)
            latencies.append(time.monotonic() - started)
        deadline = time.monotonic() + 20
        while len(received) < CALLS * PER_CALL and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(received), latencies, sidecar, refused
    finally:
        sidecar.stop(grace=0.5)
        for channel in channels:
            channel.close()


@pytest.fixture
def probe_dir(tmp_path: Path, rng: np.random.Generator) -> Path:
    return write_probe_dir(tmp_path / "probes", [make_probe(rng, "deception", method="max")])


def test_idle_subscribers_neither_starve_the_reader_nor_slow_ingest(probe_dir: Path) -> None:
    expected = {f"r{c}-{j}" for c in range(CALLS) for j in range(PER_CALL)}
    control_ids, control_latency, _, _ = _run(probe_dir, idle=0)
    assert set(control_ids) == expected
    storm_ids, storm_latency, sidecar, refused = _run(probe_dir, idle=IDLE)
    assert sorted(storm_ids) == sorted(expected)  # every alert, each once
    counted = sidecar.registry.get_sample_value(
        "llm_monitor_watch_refused_total", {"model_name": MODEL, "reason": "per_peer"}
    )
    assert refused > 0 and counted == refused
    control_p50 = statistics.median(control_latency)
    storm_p50 = statistics.median(storm_latency)
    assert storm_p50 <= 2 * control_p50 + NOISE_FLOOR_S, (control_p50, storm_p50)
