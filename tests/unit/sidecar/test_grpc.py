"""Real gRPC round trips against a started Sidecar on 127.0.0.1, port 0."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CollectorRegistry

from monitor.artifacts.probe_format import Probe
from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import IngestConfig, SidecarConfig
from monitor.v1 import ingest_pb2, ingest_pb2_grpc

from .helpers import (
    D_MODEL,
    MODEL,
    batch_message,
    hello,
    make_batch,
    make_probe,
    reference_scores,
    write_probe_dir,
)
from .recording import RecordingSink

MAX_BYTES = 64 * 1024


@pytest.fixture
def probes(rng: np.random.Generator) -> list[Probe]:
    return [make_probe(rng, "deception", method="mean"), make_probe(rng, "misuse", method="ema")]


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def sidecar(
    tmp_path: Path, probes: list[Probe], registry: CollectorRegistry, sink: RecordingSink
) -> Iterator[Sidecar]:
    config = SidecarConfig(
        model_name=MODEL,
        probe_dir=write_probe_dir(tmp_path / "probes", probes),
        grpc_address="127.0.0.1:0",
        metrics_address="127.0.0.1:0",
        ingest=IngestConfig(max_batch_bytes=MAX_BYTES),
    )
    app = Sidecar(config, registry=registry, sinks=[sink])
    app.start()
    try:
        yield app
    finally:
        app.stop(grace=0.5)


@pytest.fixture
def stub(sidecar: Sidecar) -> Iterator[ingest_pb2_grpc.MonitorStub]:
    with grpc.insecure_channel(sidecar.grpc_target) as channel:
        yield ingest_pb2_grpc.MonitorStub(channel)


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, {"model_name": MODEL, **labels})
    return 0.0 if value is None else value


def test_ports_are_bound(sidecar: Sidecar) -> None:
    assert sidecar.grpc_port > 0
    assert sidecar.metrics_port > 0
    assert sidecar.grpc_target == f"127.0.0.1:{sidecar.grpc_port}"


def test_good_stream_is_scored(
    sidecar: Sidecar,
    stub: ingest_pb2_grpc.MonitorStub,
    probes: list[Probe],
    sink: RecordingSink,
    registry: CollectorRegistry,
    rng: np.random.Generator,
) -> None:
    acts1 = rng.normal(size=(6, D_MODEL)).astype(np.float32)
    acts2 = rng.normal(size=(2, D_MODEL)).astype(np.float32)
    messages = [
        hello(),
        batch_message(
            make_batch(
                acts1,
                request_ids=["a", "b"],
                row_request=[0, 0, 0, 1, 1, 1],
                positions=[0, 1, 2, 0, 1, 2],
            )
        ),
        batch_message(
            make_batch(
                acts2,
                request_ids=["a", "b"],
                row_request=[0, 1],
                positions=[3, 3],
                sequence=1,
                row_offset=6,
                finished=["a"],
            )
        ),
    ]
    summary = stub.Ingest(iter(messages), timeout=10)
    assert (summary.batches_accepted, summary.rows_accepted) == (2, 8)
    assert sidecar.pipeline.wait_idle(5.0)

    a_rows = np.concatenate([acts1[:3], acts2[:1]])
    for probe in probes:
        got = sink.scores_of("a", probe.concept)
        np.testing.assert_allclose(
            [got[p] for p in range(4)], reference_scores(probe, a_rows), rtol=1e-4
        )
    (result,) = sink.finished
    assert result.request_id == "a"
    assert result.scores["deception"] == pytest.approx(
        reference_scores(probes[0], a_rows).mean(), rel=1e-4
    )
    assert sidecar.pipeline.request_scores(MODEL, "b") is not None

    assert _value(registry, "llm_monitor_batches_received_total") == 2
    assert _value(registry, "llm_monitor_tokens_scored_total") == 8
    assert _value(registry, "llm_monitor_probe_score_count", concept="misuse") == 8
    assert _value(registry, "llm_monitor_request_score_count", concept="deception") == 1
    assert _value(registry, "llm_monitor_capture_up", layer="3") == 0  # stream has ended
    url = f"http://127.0.0.1:{sidecar.metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        body = response.read().decode()
    assert f'llm_monitor_tokens_scored_total{{model_name="{MODEL}"}} 8.0' in body


def _bad_batches(rng: np.random.Generator) -> dict[str, tuple[ingest_pb2.ActivationBatch, str]]:
    good = rng.normal(size=(2, D_MODEL)).astype(np.float32)
    wrong_shape = make_batch(rng.normal(size=(2, D_MODEL + 1)).astype(np.float32))
    wrong_dtype = make_batch(good)
    wrong_dtype.dtype = ingest_pb2.DTYPE_UNSPECIFIED
    nan = good.copy()
    nan[1, 1] = np.nan
    big = rng.normal(size=(MAX_BYTES // (4 * D_MODEL) + 8, D_MODEL)).astype(np.float32)
    return {
        "shape": (wrong_shape, "d_model 9 does not match the probes for layer 3"),
        "dtype": (wrong_dtype, "dtype must be FLOAT32, FLOAT16 or BFLOAT16"),
        "non_finite": (make_batch(nan), "1 of 2 rows contain NaN or infinite values"),
        "oversized": (make_batch(big), f"the limit is {MAX_BYTES}"),
    }


@pytest.mark.parametrize("reason", ["shape", "dtype", "non_finite", "oversized"])
def test_bad_input_is_rejected_and_server_keeps_serving(
    sidecar: Sidecar,
    stub: ingest_pb2_grpc.MonitorStub,
    sink: RecordingSink,
    registry: CollectorRegistry,
    rng: np.random.Generator,
    reason: str,
) -> None:
    bad, text = _bad_batches(rng)[reason]
    good = make_batch(rng.normal(size=(2, D_MODEL)).astype(np.float32), request_ids=["kept"])
    with pytest.raises(grpc.RpcError) as info:
        stub.Ingest(iter([hello(), batch_message(good), batch_message(bad)]), timeout=10)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details().startswith(f"{reason}: ")
    assert text in info.value.details()
    assert _value(registry, "llm_monitor_ingest_rejected_total", reason=reason) == 1

    later = make_batch(rng.normal(size=(3, D_MODEL)).astype(np.float32), request_ids=["later"])
    summary = stub.Ingest(iter([hello(), batch_message(later)]), timeout=10)
    assert summary.rows_accepted == 3
    assert sidecar.pipeline.wait_idle(5.0)
    assert len(sink.scores_of("kept", "deception")) == 2  # accepted before the bad one
    assert len(sink.scores_of("later", "deception")) == 3
    assert _value(registry, "llm_monitor_batches_received_total") == 2


def test_health_and_reflection(sidecar: Sidecar) -> None:
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    with grpc.insecure_channel(sidecar.grpc_target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "monitor.v1.Monitor"):
            response = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert response.status == health_pb2.HealthCheckResponse.SERVING
        reflect = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        with pytest.raises(grpc.RpcError) as info:  # reflection is off unless configured
            list(reflect.ServerReflectionInfo(iter([request]), timeout=5))
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_unix_socket(tmp_path: Path, registry: CollectorRegistry, rng: np.random.Generator) -> None:
    config = SidecarConfig(
        grpc_address=f"unix:{tmp_path}/monitor.sock", metrics_address="127.0.0.1:0"
    )
    app = Sidecar(config, registry=registry)
    app.start()
    try:
        with grpc.insecure_channel(app.grpc_target) as channel:
            stub = ingest_pb2_grpc.MonitorStub(channel)
            batch = make_batch(rng.normal(size=(2, 4)).astype(np.float32))
            summary = stub.Ingest(iter([hello(), batch_message(batch)]), timeout=10)
        assert summary.rows_accepted == 2
        assert app.pipeline.wait_idle(5.0)
        assert _value(registry, "llm_monitor_tokens_scored_total") == 2
    finally:
        app.stop(grace=0.5)


def test_port_in_use_fails_start(sidecar: Sidecar, registry: CollectorRegistry) -> None:
    config = SidecarConfig(
        grpc_address=f"127.0.0.1:{sidecar.grpc_port}", metrics_address="127.0.0.1:0"
    )
    other = Sidecar(config, registry=CollectorRegistry())
    with pytest.raises(OSError, match="cannot bind"):
        other.start()
