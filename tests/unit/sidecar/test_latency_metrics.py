"""The ingest queue's bytes gauge and the latency histograms: scoring, ingest to score, and
trace-store writes, read back through the registry."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitor.sidecar.ingest.batches import DecodedBatch, decode_batch
from monitor.sidecar.ingest.handler import IngestHandler, StreamState
from monitor.sidecar.metric_buckets import LAG_BUCKETS, SCORING_BUCKETS, WRITE_BUCKETS
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.scoring.probe_set import build_probe_sets
from monitor.sidecar.scoring.scorer import Pipeline
from monitor.sidecar.storage_config import StorageConfig
from monitor.sidecar.traces.factory import build_trace_store
from monitor.sidecar.traces.store import TraceStore
from monitor.sidecar.traces.writer import TraceUpdate

from .helpers import D_MODEL, MODEL, batch_message, hello, make_batch, make_probe
from .test_sqlite_store import flagged

STEP = 1 / 256  # exact in binary floating point


class StepTimer:
    """A clock that moves ``STEP`` seconds each time it is read (or stands still)."""

    def __init__(self, start: float = 100.0, step: float = STEP) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> float:
        value = self.now
        self.now += self.step
        return value


def value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, {"model_name": MODEL, **labels})


def decoded(rows: int, rng: np.random.Generator, request_id: str = "r") -> DecodedBatch:
    acts = rng.normal(size=(rows, D_MODEL)).astype(np.float32)
    batch = make_batch(acts, request_ids=[request_id], positions=list(range(rows)))
    return decode_batch(batch, message_bytes=batch.ByteSize(), max_batch_bytes=1 << 30)


def test_buckets_are_increasing_and_fit_what_they_measure() -> None:
    for buckets in (SCORING_BUCKETS, LAG_BUCKETS, WRITE_BUCKETS):
        assert list(buckets) == sorted(set(buckets))
    assert SCORING_BUCKETS[0] <= 0.001 and SCORING_BUCKETS[-1] >= 1.0  # ms, up to seconds
    assert LAG_BUCKETS[-1] >= 30.0  # a backed-up queue
    assert WRITE_BUCKETS[0] <= 0.001 and WRITE_BUCKETS[-1] >= 5.0  # fsync, a slow disk


def test_queue_bytes_follow_the_batches_in_the_queue(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    metrics = SidecarMetrics(registry)
    pipeline = Pipeline(metrics, {}, [], queue_size=4, request_ttl_s=60.0)  # not started
    first, second = decoded(3, rng), decoded(5, rng)
    assert pipeline.offer(first) and pipeline.offer(second)
    queued = value(registry, "llm_monitor_ingest_queue_bytes")
    assert queued == first.nbytes + second.nbytes
    assert value(registry, "llm_monitor_ingest_queue_depth") == 2
    pipeline.start()
    try:
        assert pipeline.wait_idle(10.0)
    finally:
        pipeline.stop(1.0)
    assert value(registry, "llm_monitor_ingest_queue_bytes") == 0
    assert value(registry, "llm_monitor_ingest_queue_depth") == 0


def test_a_refused_batch_adds_no_queue_bytes(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    metrics = SidecarMetrics(registry)
    small = decoded(1, rng)
    pipeline = Pipeline(
        metrics, {}, [], queue_size=4, request_ttl_s=60.0, max_queue_bytes=small.nbytes
    )
    assert pipeline.offer(small)
    assert not pipeline.offer(decoded(4, rng))  # over the byte budget
    assert value(registry, "llm_monitor_ingest_queue_bytes") == small.nbytes


def test_scoring_duration_is_one_observation_per_batch(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    metrics = SidecarMetrics(registry)
    timer = StepTimer()
    pipeline = Pipeline(
        metrics,
        build_probe_sets([make_probe(rng, "deception")]),
        [],
        queue_size=4,
        request_ttl_s=60.0,
        timer=timer,
    )
    pipeline.process(decoded(3, rng, "a"))
    pipeline.process(decoded(2, rng, "b"))
    name = "llm_monitor_scoring_duration_seconds"
    assert value(registry, f"{name}_count") == 2
    assert value(registry, f"{name}_sum") == 2 * STEP  # each read of the timer moves it STEP
    assert value(registry, f"{name}_bucket", le="0.0025") == 0  # STEP is 3.9 ms
    assert value(registry, f"{name}_bucket", le="0.005") == 2


def test_ingest_to_score_runs_from_receipt_to_the_end_of_scoring(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    metrics = SidecarMetrics(registry)
    timer = StepTimer(start=12.5, step=0.0)  # the clock stands at 12.5 s
    pipeline = Pipeline(metrics, {}, [], queue_size=4, request_ttl_s=60.0, timer=timer)
    assert pipeline.offer(decoded(2, rng), received_at=10.0)  # received 2.5 s ago
    assert pipeline.offer(decoded(2, rng), received_at=12.0)
    pipeline.start()
    try:
        assert pipeline.wait_idle(10.0)
    finally:
        pipeline.stop(1.0)
    name = "llm_monitor_ingest_to_score_seconds"
    assert value(registry, f"{name}_count") == 2
    assert value(registry, f"{name}_sum") == 3.0
    assert value(registry, f"{name}_bucket", le="0.25") == 0
    assert value(registry, f"{name}_bucket", le="0.5") == 1
    assert value(registry, f"{name}_bucket", le="2.5") == 2


def test_the_ingest_handler_stamps_receipt_for_the_pipeline(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    """With the real clock: the handler's receipt time reaches the histogram."""
    metrics = SidecarMetrics(registry)
    pipeline = Pipeline(metrics, {}, [], queue_size=4, request_ttl_s=60.0)
    handler = IngestHandler(metrics, pipeline, max_batch_bytes=1 << 20)
    stream = StreamState()
    handler.handle(hello(), stream)
    started = time.monotonic()
    acts = rng.normal(size=(3, D_MODEL)).astype(np.float32)
    handler.handle(batch_message(make_batch(acts)), stream)
    time.sleep(0.05)  # queued, not yet scored
    pipeline.start()
    try:
        assert pipeline.wait_idle(10.0)
    finally:
        pipeline.stop(1.0)
    elapsed = time.monotonic() - started
    name = "llm_monitor_ingest_to_score_seconds"
    assert value(registry, f"{name}_count") == 1
    lag = value(registry, f"{name}_sum")
    assert lag is not None and 0.05 <= lag <= elapsed
    assert value(registry, f"{name}_bucket", le="0.025") == 0


class SlowRepository:
    """Applies after ``delay_s``; fails when ``fail`` is set."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.fail = False
        self.applied: list[list[TraceUpdate]] = []

    def apply(self, batch: list[TraceUpdate]) -> None:
        time.sleep(self.delay_s)
        if self.fail:
            raise OSError("disk gone")
        self.applied.append(batch)

    def close(self) -> None:
        pass


def test_trace_writes_are_timed_committed_or_failed(registry: CollectorRegistry) -> None:
    metrics = SidecarMetrics(registry)
    repository = SlowRepository(delay_s=0.02)
    store = TraceStore(repository, on_error=lambda stage, exc: None)  # type: ignore[arg-type]
    store.time_writes(metrics.model(MODEL).trace_write_duration.observe)
    store.write_now([flagged("a"), flagged("b")])  # one transaction of two updates
    repository.fail = True
    store.write_now([flagged("c")])
    name = "llm_monitor_trace_write_duration_seconds"
    assert value(registry, f"{name}_count") == 2
    assert value(registry, f"{name}_bucket", le="0.01") == 0  # each took >= 20 ms
    total = value(registry, f"{name}_sum")
    assert total is not None and total >= 0.04
    assert len(repository.applied) == 1


def test_the_sidecars_store_reports_its_writes(tmp_path: Path, registry: CollectorRegistry) -> None:
    metrics = SidecarMetrics(registry)
    store = build_trace_store(StorageConfig(path=tmp_path / "t.sqlite"), metrics, MODEL)
    assert store is not None
    try:
        store.write_now([flagged("a")])
        store.write_now([flagged("b")])
    finally:
        store.close()
    name = "llm_monitor_trace_write_duration_seconds"
    assert value(registry, f"{name}_count") == 2
    assert value(registry, f"{name}_bucket", le="+Inf") == 2


@pytest.mark.parametrize(
    "family",
    [
        "llm_monitor_ingest_queue_bytes",
        "llm_monitor_scoring_duration_seconds",
        "llm_monitor_ingest_to_score_seconds",
        "llm_monitor_capture_to_score_seconds",
        "llm_monitor_trace_write_duration_seconds",
    ],
)
def test_new_families_follow_the_model_cap(registry: CollectorRegistry, family: str) -> None:
    metrics = SidecarMetrics(registry, max_models=2)
    for name in ("m", "other-1", "other-2"):  # the second and third become ``unknown``
        model = metrics.model(name)
        model.queue_bytes.inc(1)
        model.scoring_duration.observe(0.001)
        model.ingest_to_score.observe(0.001)
        model.capture_to_score.observe(0.001)
        model.trace_write_duration.observe(0.001)
    models = {
        s.labels["model_name"] for m in registry.collect() if m.name == family for s in m.samples
    }
    assert models == {"m", "unknown"}


def test_capture_to_score_runs_from_the_producers_step_end(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    metrics = SidecarMetrics(registry)
    wall = 1_000.0
    pipeline = Pipeline(
        metrics, {}, [], queue_size=8, request_ttl_s=60.0, wall=lambda: wall
    )  # not started: batches stay queued until wait_idle below
    stamped = [
        dataclasses.replace(decoded(2, rng), step_end_unix_ns=int((wall - lag) * 1e9))
        for lag in (0.25, 3.0)
    ]
    skewed = [  # a producer clock ahead, or an hour behind: not observed
        dataclasses.replace(decoded(2, rng), step_end_unix_ns=int((wall + 5.0) * 1e9)),
        dataclasses.replace(decoded(2, rng), step_end_unix_ns=int((wall - 7200.0) * 1e9)),
    ]
    unstamped = decoded(2, rng)
    for batch in (*stamped, *skewed, unstamped):
        assert pipeline.offer(batch)
    pipeline.start()
    try:
        assert pipeline.wait_idle(10.0)
    finally:
        pipeline.stop(1.0)
    assert value(registry, "llm_monitor_capture_to_score_seconds_count") == 2
    assert value(registry, "llm_monitor_capture_to_score_seconds_sum") == pytest.approx(3.25)
    assert value(registry, "llm_monitor_capture_to_score_seconds_bucket", le="0.25") == 1
    assert value(registry, "llm_monitor_ingest_to_score_seconds_count") == 5
