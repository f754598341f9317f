"""The reproductions of known amplification attacks, against a sidecar with the default
16 MiB message limit: each must be refused or absorbed without new series, with memory
bounded and health answering meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import grpc
import numpy as np
import pytest

from monitor.artifacts.probe_format import Probe
from monitor.sidecar.app import Sidecar, default_registry
from monitor.v1 import ingest_pb2
from tests.unit.sidecar.helpers import D_MODEL, MODEL, hello, make_batch

from .conftest import sidecar_config
from .wire_client import (
    SERVING,
    health,
    metrics_text,
    rss_bytes,
    send_stream,
    series_count,
    trim_heap,
)

DEFAULT_MAX_BATCH_BYTES = 16 * 1024 * 1024


@pytest.fixture(scope="module")
def sidecar(tmp_path_factory: pytest.TempPathFactory, probes: list[Probe]) -> Iterator[Sidecar]:
    config = sidecar_config(tmp_path_factory.mktemp("regress"), probes, DEFAULT_MAX_BATCH_BYTES)
    app = Sidecar(config, registry=default_registry())
    app.start()
    try:
        yield app
    finally:
        app.stop(grace=0.5)


@pytest.fixture(scope="module")
def channel(sidecar: Sidecar) -> Iterator[grpc.Channel]:
    options = [
        ("grpc.max_send_message_length", 64 << 20),
        ("grpc.max_receive_message_length", 64 << 20),
    ]
    with grpc.insecure_channel(sidecar.grpc_target, options=options) as ch:
        # warm up: the model's own series exist before any test counts series
        warm = make_batch(np.ones((2, D_MODEL), np.float32), finished=["warm"])
        assert send_stream(ch, [_hello_bytes(), _batch_bytes(warm)]).code == grpc.StatusCode.OK
        assert send_stream(ch, [b""]).code == grpc.StatusCode.INVALID_ARGUMENT
        assert sidecar.pipeline.wait_idle(10.0)
        yield ch


def _hello_bytes(**kwargs: object) -> bytes:
    return hello(**kwargs).SerializeToString()  # type: ignore[arg-type]


def _batch_bytes(batch: ingest_pb2.ActivationBatch) -> bytes:
    return ingest_pb2.IngestMessage(batch=batch).SerializeToString()


def _series(sidecar: Sidecar) -> int:
    return series_count(metrics_text(sidecar.metrics_port))


def test_hello_naming_50000_layers_is_refused(sidecar: Sidecar, channel: grpc.Channel) -> None:
    before = _series(sidecar)
    message = _hello_bytes(layers=range(50_000))
    assert len(message) > 100_000
    answer = send_stream(channel, [message])
    assert answer.code == grpc.StatusCode.INVALID_ARGUMENT
    assert answer.details.startswith("list_length: layers has 50000 entries")
    # a Hello with many unprobed layers (within the bound) and a long error is accepted,
    # with no series for those layers
    long_error = "boom\n" * 200_000
    answer = send_stream(channel, [_hello_bytes(layers=range(1000), ok=False, error=long_error)])
    assert answer.code == grpc.StatusCode.OK
    assert _series(sidecar) <= before + 10  # rejection/ignored counters, not 1000 layers


def test_batch_with_huge_lists_is_refused_and_health_answers(
    sidecar: Sidecar, channel: grpc.Channel
) -> None:
    acts = np.ones((1, D_MODEL), np.float32)
    batch = make_batch(acts, uncaptured=[(f"request-{i:08d}", 1, "x") for i in range(600_000)])
    message = _batch_bytes(batch)
    assert len(message) > 14_000_000  # the size of the original reproduction (15.5 MB)
    trim_heap()
    series_before, rss_before = _series(sidecar), rss_bytes()
    latencies: list[float] = []
    done = threading.Event()

    def probe_health() -> None:
        while not done.is_set():
            start = time.monotonic()
            assert health(channel) == SERVING
            latencies.append(time.monotonic() - start)
            time.sleep(0.02)

    watcher = threading.Thread(target=probe_health)
    watcher.start()
    try:
        answers, rss = [], []
        for _ in range(4):
            answers.append(send_stream(channel, [_hello_bytes(), message]))
            trim_heap()
            rss.append(rss_bytes())
    finally:
        done.set()
        watcher.join()
    for answer in answers:
        assert answer.code == grpc.StatusCode.INVALID_ARGUMENT
        assert answer.details.startswith("list_length: uncaptured has 600000 entries")
    assert latencies and max(latencies) < 2.0, max(latencies)
    text = metrics_text(sidecar.metrics_port)
    assert "request-0" not in text
    assert series_count(text) <= series_before + 6  # first uses of fixed reasons only
    # the first message costs the transient parse of 600k entries (client and server
    # share this process); nothing is retained per message: repeats stay flat
    print(f"RSS before {rss_before >> 20} MiB, after each message {[r >> 20 for r in rss]} MiB")
    # (in-process RSS also holds the client's copies: generous bounds, the point is that
    # four messages do not cost four times one; before the list bounds one cost +304 MB)
    assert min(rss) - rss_before < 128 * 1024 * 1024  # nothing retained
    assert max(rss) - rss_before < 256 * 1024 * 1024  # the transient parse
    assert sidecar.pipeline.active_requests < 10


def test_batch_of_distinct_reasons_adds_no_series(sidecar: Sidecar, channel: grpc.Channel) -> None:
    before = _series(sidecar)
    rows = 64
    acts = np.ones((rows, D_MODEL), np.float32)
    ids = [f"r{i}" for i in range(rows)]
    accepted = make_batch(
        acts,
        request_ids=ids,
        row_request=list(range(rows)),
        dropped={f"drop-{i}": i for i in range(64)},
        uncaptured=[(ids[i % rows], 1, f"why-{i}") for i in range(2 * rows)],
    )
    assert send_stream(channel, [_hello_bytes(), _batch_bytes(accepted)]).code == grpc.StatusCode.OK
    # the original: 20,000 drop reasons and 20,000 uncaptured reasons in one 720 KB batch
    huge = make_batch(
        np.ones((1, D_MODEL), np.float32),
        dropped={f"drop-{i}": i for i in range(20_000)},
        uncaptured=[("r", 1, f"why-{i}") for i in range(20_000)],
    )
    answer = send_stream(channel, [_hello_bytes(), _batch_bytes(huge)])
    assert answer.code == grpc.StatusCode.INVALID_ARGUMENT
    assert answer.details.startswith("list_length")
    assert sidecar.pipeline.wait_idle(10.0)
    text = metrics_text(sidecar.metrics_port)
    assert "why-" not in text and "drop-" not in text
    assert series_count(text) <= before + 6


def test_overflowing_rows_are_refused_and_scores_stay_finite(
    sidecar: Sidecar, channel: grpc.Channel
) -> None:
    acts = np.full((4, D_MODEL), 3e38, np.float32)
    acts[:, ::2] = -3e38
    answer = send_stream(channel, [_hello_bytes(), _batch_bytes(make_batch(acts))])
    assert answer.code == grpc.StatusCode.INVALID_ARGUMENT
    assert answer.details.startswith("magnitude: 4 of 4 rows")
    ok = make_batch(np.ones((2, D_MODEL), np.float32), finished=["req-0"])
    assert send_stream(channel, [_hello_bytes(), _batch_bytes(ok)]).code == grpc.StatusCode.OK
    assert sidecar.pipeline.wait_idle(10.0)
    registry = sidecar.registry
    for name in ("llm_monitor_probe_score_sum", "llm_monitor_request_score_sum"):
        value = registry.get_sample_value(name, {"model_name": MODEL, "concept": "deception"})
        assert value is not None and np.isfinite(value), name
    rejected = registry.get_sample_value(
        "llm_monitor_ingest_rejected_total", {"model_name": MODEL, "reason": "magnitude"}
    )
    assert rejected == 1
