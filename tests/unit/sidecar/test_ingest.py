from __future__ import annotations

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitor.sidecar.ingest.batches import BadBatch, DecodedBatch
from monitor.sidecar.ingest.handler import IngestHandler, ProducerState, StreamState, account_batch
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.scoring.scorer import Pipeline

from .helpers import D_MODEL, LAYER, MODEL, batch_message, hello, make_batch


class ListQueue:
    """A BatchQueue that keeps everything."""

    def __init__(self) -> None:
        self.batches: list[DecodedBatch] = []

    def offer(self, batch: DecodedBatch) -> bool:
        self.batches.append(batch)
        return True


def _handler(registry: CollectorRegistry, queue: object = None) -> tuple[IngestHandler, ListQueue]:
    q = ListQueue() if queue is None else queue
    handler = IngestHandler(
        SidecarMetrics(registry),
        q,  # type: ignore[arg-type]
        max_batch_bytes=1 << 20,
        expected_model=MODEL,
        d_models={LAYER: D_MODEL},
    )
    return handler, q  # type: ignore[return-value]


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, {"model_name": MODEL, **labels})
    return 0.0 if value is None else value


def _acts(rows: int) -> np.ndarray:
    return np.ones((rows, D_MODEL), dtype=np.float32)


# -- drop accounting (pure) --------------------------------------------------------------


def test_counter_deltas_are_counted_once() -> None:
    state = ProducerState()
    assert account_batch(state, 0, 4, [("ring_full", 0)]) == {}
    assert account_batch(state, 4, 4, [("ring_full", 0)]) == {}
    # 10 rows dropped by the producer, reflected as a gap of 10 and a counter delta of 10
    assert account_batch(state, 18, 4, [("ring_full", 10)]) == {"ring_full": 10}
    assert account_batch(state, 22, 4, [("ring_full", 10)]) == {}


def test_unexplained_gap_is_lost_in_transit() -> None:
    state = ProducerState()
    account_batch(state, 0, 4, [])
    assert account_batch(state, 10, 4, []) == {"lost_in_transit": 6}
    # partly explained gap: 5 missing rows, 2 of them dropped by the producer
    assert account_batch(state, 19, 1, [("ring_full", 2)]) == {
        "ring_full": 2,
        "lost_in_transit": 3,
    }
    assert account_batch(state, 20, 1, [("ring_full", 2)]) == {}


def test_drop_reported_before_its_gap_is_not_lost() -> None:
    state = ProducerState()
    account_batch(state, 0, 4, [])
    # the producer already dropped 3 newer rows when it sent this batch
    assert account_batch(state, 4, 4, [("ring_full", 3)]) == {"ring_full": 3}
    assert account_batch(state, 11, 4, [("ring_full", 3)]) == {}


def test_first_batch_counts_earlier_drops_but_not_its_offset() -> None:
    state = ProducerState()
    assert account_batch(state, 1000, 4, [("ring_full", 7), ("shipper_down", 3)]) == {
        "ring_full": 7,
        "shipper_down": 3,
    }
    assert account_batch(state, 1004, 4, [("ring_full", 7), ("shipper_down", 3)]) == {}


def test_counter_reset_restarts_from_zero() -> None:
    state = ProducerState()
    account_batch(state, 0, 1, [("ring_full", 50)])
    assert account_batch(state, 1, 1, [("ring_full", 5)]) == {"ring_full": 5}


# -- the handler --------------------------------------------------------------------------


def test_batches_are_queued_and_counted(registry: CollectorRegistry) -> None:
    handler, queue = _handler(registry)
    stream = StreamState()
    handler.handle(hello(), stream)
    handler.handle(batch_message(make_batch(_acts(3))), stream)
    handler.handle(batch_message(make_batch(_acts(2), row_offset=3, sequence=1)), stream)
    assert [b.rows for b in queue.batches] == [3, 2]
    assert stream.batches_accepted == 2
    assert stream.rows_accepted == 5
    assert _value(registry, "llm_monitor_batches_received_total") == 2
    assert _value(registry, "llm_monitor_activations_dropped_total", reason="lost_in_transit") == 0


def test_drops_from_counters_and_gaps(registry: CollectorRegistry) -> None:
    handler, _ = _handler(registry)
    stream = StreamState()
    handler.handle(hello(), stream)
    handler.handle(batch_message(make_batch(_acts(4), dropped={"ring_full": 0})), stream)
    handler.handle(
        batch_message(make_batch(_acts(4), row_offset=12, dropped={"ring_full": 5})), stream
    )
    assert _value(registry, "llm_monitor_activations_dropped_total", reason="ring_full") == 5
    assert _value(registry, "llm_monitor_activations_dropped_total", reason="lost_in_transit") == 3
    # producer state survives a new stream of the same producer
    other = StreamState()
    handler.handle(hello(), other)
    handler.handle(
        batch_message(make_batch(_acts(1), row_offset=20, dropped={"ring_full": 5})), other
    )
    assert _value(registry, "llm_monitor_activations_dropped_total", reason="lost_in_transit") == 7


def test_queue_full_drops_and_counts(registry: CollectorRegistry) -> None:
    metrics = SidecarMetrics(registry)
    pipeline = Pipeline(metrics, {}, [], queue_size=2, request_ttl_s=60)  # not started
    handler = IngestHandler(metrics, pipeline, max_batch_bytes=1 << 20)
    stream = StreamState()
    for i in range(5):
        handler.handle(batch_message(make_batch(_acts(3), row_offset=3 * i)), stream)
    assert pipeline.queue_depth == 2
    assert _value(registry, "llm_monitor_ingest_queue_depth") == 2
    assert (
        _value(registry, "llm_monitor_activations_dropped_total", reason="sidecar_queue_full") == 9
    )
    assert _value(registry, "llm_monitor_batches_received_total") == 5


def test_rejection_is_counted_with_reason(registry: CollectorRegistry) -> None:
    handler, queue = _handler(registry)
    stream = StreamState()
    handler.handle(hello(), stream)
    bad = make_batch(_acts(3))
    bad.shape[:] = [3, D_MODEL + 1]
    with pytest.raises(BadBatch, match="shape"):
        handler.handle(batch_message(bad), stream)
    assert _value(registry, "llm_monitor_ingest_rejected_total", reason="shape") == 1
    assert _value(registry, "llm_monitor_activations_dropped_total", reason="sidecar_rejected") == 3
    assert queue.batches == []
    # after a rejection the producer's offsets resynchronise: no spurious loss
    handler.handle(batch_message(make_batch(_acts(2), row_offset=3)), StreamState())
    assert _value(registry, "llm_monitor_activations_dropped_total", reason="lost_in_transit") == 0


def test_wrong_model_hello_and_empty_message(registry: CollectorRegistry) -> None:
    from monitor.v1 import ingest_pb2

    handler, _ = _handler(registry)
    with pytest.raises(BadBatch, match="model_name: producer serves model 'x'"):
        handler.handle(hello(model_name="x"), StreamState())
    assert (
        registry.get_sample_value(
            "llm_monitor_ingest_rejected_total", {"model_name": "", "reason": "model_name"}
        )
        == 1
    )
    with pytest.raises(BadBatch, match="empty_message"):
        handler.handle(ingest_pb2.IngestMessage(), StreamState())


def test_batch_without_model_name_uses_hello(registry: CollectorRegistry) -> None:
    handler, queue = _handler(registry)
    stream = StreamState()
    handler.handle(hello(), stream)
    handler.handle(batch_message(make_batch(_acts(1), model_name="")), stream)
    assert queue.batches[0].model_name == MODEL


def test_capture_up_follows_hello_and_stream_end(registry: CollectorRegistry) -> None:
    handler, _ = _handler(registry)
    first, second = StreamState(), StreamState()
    handler.handle(hello(layers=[3, 7]), first)
    assert _value(registry, "llm_monitor_capture_up", layer="3") == 1
    assert _value(registry, "llm_monitor_capture_up", layer="7") == 1
    handler.handle(hello(layers=[3]), second)
    handler.close(first)
    assert _value(registry, "llm_monitor_capture_up", layer="3") == 1  # second still open
    assert _value(registry, "llm_monitor_capture_up", layer="7") == 0
    handler.close(second)
    assert _value(registry, "llm_monitor_capture_up", layer="3") == 0


def test_capture_failure_is_logged(
    registry: CollectorRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    handler, _ = _handler(registry)
    handler.handle(hello(ok=False, error="hook never fired"), StreamState())
    assert _value(registry, "llm_monitor_capture_up", layer=str(LAYER)) == 0
    assert "hook never fired" in caplog.text


def test_queue_byte_limit_drops_and_counts(registry: CollectorRegistry) -> None:
    metrics = SidecarMetrics(registry)
    one_batch = 3 * D_MODEL * 4
    pipeline = Pipeline(
        metrics, {}, [], queue_size=100, request_ttl_s=60, max_queue_bytes=2 * one_batch
    )
    handler = IngestHandler(metrics, pipeline, max_batch_bytes=1 << 20)
    stream = StreamState()
    for i in range(4):
        handler.handle(batch_message(make_batch(_acts(3), row_offset=3 * i)), stream)
    assert pipeline.queue_depth == 2
    assert (
        _value(registry, "llm_monitor_activations_dropped_total", reason="sidecar_queue_full") == 6
    )
    pipeline.start()
    assert pipeline.wait_idle(5.0)
    pipeline.stop(1.0)
    assert pipeline.queue_depth == 0
    # bytes are released when batches leave the queue: two more fit again
    for i in range(4, 6):
        handler.handle(batch_message(make_batch(_acts(3), row_offset=3 * i)), stream)
    assert pipeline.queue_depth == 2
    assert (
        _value(registry, "llm_monitor_activations_dropped_total", reason="sidecar_queue_full") == 6
    )
