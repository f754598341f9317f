from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitor.sidecar.ingest.batches import BadBatch, DecodedBatch
from monitor.sidecar.ingest.handler import IngestHandler, ProducerState, StreamState, account_batch
from monitor.sidecar.ingest.limits import MAX_DROP_COUNTERS, IngestLimits
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.scoring.scorer import Pipeline

from .helpers import D_MODEL, LAYER, MODEL, batch_message, hello, make_batch


class ListQueue:
    """A BatchQueue that keeps everything."""

    def __init__(self) -> None:
        self.batches: list[DecodedBatch] = []

    def offer(self, batch: DecodedBatch, received_at: float | None = None) -> bool:
        self.batches.append(batch)
        return True


def _handler(
    registry: CollectorRegistry, queue: object = None, **kwargs: Any
) -> tuple[IngestHandler, ListQueue]:
    q = ListQueue() if queue is None else queue
    handler = IngestHandler(
        SidecarMetrics(registry),
        q,  # type: ignore[arg-type]
        max_batch_bytes=1 << 20,
        expected_model=MODEL,
        d_models={LAYER: D_MODEL},
        **kwargs,
    )
    return handler, q  # type: ignore[return-value]


DROPPED = "llm_monitor_activations_dropped_total"
REJECTED = "llm_monitor_ingest_rejected_total"
IGNORED = "llm_monitor_ingest_ignored_total"


def _value(registry: CollectorRegistry, name: str, model: str = MODEL, **labels: str) -> float:
    value = registry.get_sample_value(name, {"model_name": model, **labels})
    return 0.0 if value is None else value


def _acts(rows: int) -> np.ndarray:
    return np.ones((rows, D_MODEL), dtype=np.float32)


def _rows(state: ProducerState, *args: Any, **kwargs: Any) -> dict[str, int]:
    return account_batch(state, *args, **kwargs).rows


# -- drop accounting (pure) --------------------------------------------------------------


def test_counter_deltas_are_counted_once() -> None:
    state = ProducerState()
    assert _rows(state, 0, 4, [("ring_buffer_full", 0)]) == {}
    assert _rows(state, 4, 4, [("ring_buffer_full", 0)]) == {}
    # 10 rows dropped by the producer, reflected as a gap of 10 and a counter delta of 10
    assert _rows(state, 18, 4, [("ring_buffer_full", 10)]) == {"ring_buffer_full": 10}
    assert _rows(state, 22, 4, [("ring_buffer_full", 10)]) == {}


def test_unexplained_gap_is_lost_in_transit() -> None:
    state = ProducerState()
    account_batch(state, 0, 4, [])
    assert _rows(state, 10, 4, []) == {"lost_in_transit": 6}
    # partly explained gap: 5 missing rows, 2 of them dropped by the producer
    assert _rows(state, 19, 1, [("ring_buffer_full", 2)]) == {
        "ring_buffer_full": 2,
        "lost_in_transit": 3,
    }
    assert _rows(state, 20, 1, [("ring_buffer_full", 2)]) == {}


def test_drop_reported_before_its_gap_is_not_lost() -> None:
    state = ProducerState()
    account_batch(state, 0, 4, [])
    # the producer already dropped 3 newer rows when it sent this batch
    assert _rows(state, 4, 4, [("ring_buffer_full", 3)]) == {"ring_buffer_full": 3}
    assert _rows(state, 11, 4, [("ring_buffer_full", 3)]) == {}


def test_first_batch_counts_earlier_drops_but_not_its_offset() -> None:
    state = ProducerState()
    assert _rows(state, 1000, 4, [("ring_buffer_full", 7), ("shipper_down", 3)]) == {
        "ring_buffer_full": 7,
        "shipper_down": 3,
    }
    assert _rows(state, 1004, 4, [("ring_buffer_full", 7), ("shipper_down", 3)]) == {}


def test_counter_going_backwards_is_ignored_not_a_reset() -> None:
    state = ProducerState()
    account_batch(state, 0, 1, [("ring_buffer_full", 50)])
    drops = account_batch(state, 1, 1, [("ring_buffer_full", 5)])
    assert drops.rows == {} and drops.ignored == 1
    # the claim is the new baseline: growth from it counts again
    assert _rows(state, 2, 1, [("ring_buffer_full", 7)]) == {"ring_buffer_full": 2}


def test_implausible_claims_are_clipped_and_reported() -> None:
    state = ProducerState()
    first = account_batch(state, 0, 4, [("ring_buffer_full", 2**64 - 1)], max_rows=1000)
    assert first.rows == {"ring_buffer_full": 1000} and first.ignored == 1
    # a huge row_offset jump adds at most max_rows lost rows
    jump = account_batch(state, 2**63, 4, [("ring_buffer_full", 2**64 - 1)], max_rows=1000)
    assert jump.rows == {"lost_in_transit": 1000} and jump.ignored == 1
    # the budget is shared by every reason of one message
    both = account_batch(state, 2**63 + 4, 4, [("a", 800), ("b", 800)], max_rows=1000)
    assert both.rows == {"a": 800, "b": 200} and both.ignored == 1


def test_out_of_order_offsets_do_not_count_a_gap_twice() -> None:
    state = ProducerState()
    account_batch(state, 0, 4, [])
    assert _rows(state, 10, 4, []) == {"lost_in_transit": 6}
    assert _rows(state, 0, 4, []) == {}  # a repeat moves nothing back
    assert _rows(state, 14, 4, []) == {}


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
    handler.handle(batch_message(make_batch(_acts(4), dropped={"ring_buffer_full": 0})), stream)
    handler.handle(
        batch_message(make_batch(_acts(4), row_offset=12, dropped={"ring_buffer_full": 5})),
        stream,
    )
    assert _value(registry, DROPPED, reason="ring_buffer_full") == 5
    assert _value(registry, DROPPED, reason="lost_in_transit") == 3
    # producer state survives a new stream of the same producer
    other = StreamState()
    handler.handle(hello(), other)
    handler.handle(
        batch_message(make_batch(_acts(1), row_offset=20, dropped={"ring_buffer_full": 5})), other
    )
    assert _value(registry, DROPPED, reason="lost_in_transit") == 7


def test_unknown_drop_reasons_share_one_series(registry: CollectorRegistry) -> None:
    handler, _ = _handler(registry)
    stream = StreamState()
    handler.handle(hello(), stream)
    counters = {f"reason-{i}": 1 for i in range(50)}
    handler.handle(batch_message(make_batch(_acts(1), dropped=counters)), stream)
    assert _value(registry, DROPPED, reason="other") == 50
    assert registry.get_sample_value(DROPPED, {"model_name": MODEL, "reason": "reason-1"}) is None


def test_too_many_drop_counters_are_rejected(registry: CollectorRegistry) -> None:
    handler, _ = _handler(registry)
    stream = StreamState()
    handler.handle(hello(), stream)
    counters = {f"reason-{i}": 1 for i in range(MAX_DROP_COUNTERS + 1)}
    with pytest.raises(BadBatch, match="list_length: dropped has 65 entries"):
        handler.handle(batch_message(make_batch(_acts(1), dropped=counters)), stream)
    assert _value(registry, REJECTED, reason="list_length") == 1


def test_implausible_drop_claims_are_bounded(registry: CollectorRegistry) -> None:
    limits = IngestLimits(max_dropped_rows_per_batch=100)
    handler, _ = _handler(registry, limits=limits)
    stream = StreamState()
    handler.handle(hello(), stream)
    handler.handle(
        batch_message(make_batch(_acts(1), dropped={"ring_buffer_full": 2**64 - 1})), stream
    )
    handler.handle(
        batch_message(make_batch(_acts(1), row_offset=2**63, dropped={"ring_buffer_full": 5})),
        stream,
    )
    assert _value(registry, DROPPED, reason="ring_buffer_full") == 100
    assert _value(registry, DROPPED, reason="lost_in_transit") == 100
    assert _value(registry, IGNORED, reason="drop_claim") == 3  # clip, backwards, gap


def test_queue_full_drops_and_counts(registry: CollectorRegistry) -> None:
    metrics = SidecarMetrics(registry)
    pipeline = Pipeline(metrics, {}, [], queue_size=2, request_ttl_s=60)  # not started
    handler = IngestHandler(metrics, pipeline, max_batch_bytes=1 << 20)
    stream = StreamState()
    handler.handle(hello(), stream)
    for i in range(5):
        handler.handle(batch_message(make_batch(_acts(3), row_offset=3 * i)), stream)
    assert pipeline.queue_depth == 2
    assert _value(registry, "llm_monitor_ingest_queue_depth") == 2
    assert _value(registry, DROPPED, reason="sidecar_queue_full") == 9
    assert _value(registry, "llm_monitor_batches_received_total") == 5


def test_rejection_is_counted_with_reason(registry: CollectorRegistry) -> None:
    handler, queue = _handler(registry)
    stream = StreamState()
    handler.handle(hello(), stream)
    bad = make_batch(_acts(3))
    bad.shape[:] = [3, D_MODEL + 1]
    with pytest.raises(BadBatch, match="shape"):
        handler.handle(batch_message(bad), stream)
    assert _value(registry, REJECTED, reason="shape") == 1
    # the claimed shape is not backed by data: no rows count as dropped
    assert _value(registry, DROPPED, reason="sidecar_rejected") == 0
    assert queue.batches == []
    # after a rejection the producer's offsets resynchronise: no spurious loss
    other = StreamState()
    handler.handle(hello(), other)
    handler.handle(batch_message(make_batch(_acts(2), row_offset=3)), other)
    assert _value(registry, DROPPED, reason="lost_in_transit") == 0


def test_rejected_rows_that_arrived_count_as_dropped(registry: CollectorRegistry) -> None:
    handler, _ = _handler(registry)
    stream = StreamState()
    handler.handle(hello(), stream)
    acts = _acts(3)
    acts[1, 0] = np.nan
    with pytest.raises(BadBatch, match="non_finite"):
        handler.handle(batch_message(make_batch(acts)), stream)
    assert _value(registry, DROPPED, reason="sidecar_rejected") == 3


def test_huge_finite_rows_are_rejected(registry: CollectorRegistry) -> None:
    handler, queue = _handler(registry)
    stream = StreamState()
    handler.handle(hello(), stream)
    acts = _acts(4)
    acts[0, :] = 3e38
    acts[1, :] = -3e38
    with pytest.raises(BadBatch, match=r"magnitude: 2 of 4 rows hold values beyond \+-1e\+06"):
        handler.handle(batch_message(make_batch(acts)), stream)
    assert _value(registry, REJECTED, reason="magnitude") == 1
    assert queue.batches == []


def test_wrong_model_hello_and_empty_message(registry: CollectorRegistry) -> None:
    from monitor.v1 import ingest_pb2

    handler, _ = _handler(registry)
    with pytest.raises(BadBatch, match="model_name: producer serves model 'x'"):
        handler.handle(hello(model_name="x"), StreamState())
    assert _value(registry, REJECTED, model="unknown", reason="model_name") == 1
    with pytest.raises(BadBatch, match="empty_message"):
        handler.handle(ingest_pb2.IngestMessage(), StreamState())
    # the rejected model name made no series
    names = {s.labels.get("model_name") for m in registry.collect() for s in m.samples}
    assert "x" not in names


def test_long_model_name_is_truncated_in_the_error(registry: CollectorRegistry) -> None:
    handler, _ = _handler(registry)
    with pytest.raises(BadBatch) as info:
        handler.handle(hello(model_name="m\n" * 50_000), StreamState())
    assert len(str(info.value)) < 400
    assert "\n" not in str(info.value)  # escaped, cannot forge a log line


def test_hello_first_is_enforced(registry: CollectorRegistry) -> None:
    handler, queue = _handler(registry)
    stream = StreamState()
    with pytest.raises(BadBatch, match="no_hello"):
        handler.handle(batch_message(make_batch(_acts(1))), stream)
    handler.handle(hello(), stream)
    with pytest.raises(BadBatch, match="hello_repeated"):
        handler.handle(hello(), stream)
    assert _value(registry, REJECTED, reason="no_hello") == 1  # names the configured model
    assert _value(registry, REJECTED, reason="hello_repeated") == 1
    assert queue.batches == []


def test_batch_without_model_name_uses_hello(registry: CollectorRegistry) -> None:
    handler, queue = _handler(registry)
    stream = StreamState()
    handler.handle(hello(), stream)
    handler.handle(batch_message(make_batch(_acts(1), model_name="")), stream)
    assert queue.batches[0].model_name == MODEL


def test_capture_up_follows_hello_and_stream_end(registry: CollectorRegistry) -> None:
    handler, _ = _handler(registry, layers=[LAYER, 7])
    first, second = StreamState(), StreamState()
    handler.handle(hello(layers=[LAYER, 7]), first)
    assert _value(registry, "llm_monitor_capture_up", layer=str(LAYER)) == 1
    assert _value(registry, "llm_monitor_capture_up", layer="7") == 1
    handler.handle(hello(layers=[LAYER]), second)
    handler.close(first)
    assert _value(registry, "llm_monitor_capture_up", layer=str(LAYER)) == 1  # second open
    assert _value(registry, "llm_monitor_capture_up", layer="7") == 0
    handler.close(second)
    assert _value(registry, "llm_monitor_capture_up", layer=str(LAYER)) == 0


def test_unconfigured_layers_make_no_series(registry: CollectorRegistry) -> None:
    handler, _ = _handler(registry)
    handler.handle(hello(layers=[LAYER, *range(100, 600)]), StreamState())
    assert _value(registry, "llm_monitor_capture_up", layer=str(LAYER)) == 1
    assert (
        registry.get_sample_value("llm_monitor_capture_up", {"model_name": MODEL, "layer": "100"})
        is None
    )
    assert _value(registry, IGNORED, reason="hello_layer") == 500
    with pytest.raises(BadBatch, match="list_length: layers has 50000 entries"):
        handler.handle(hello(layers=range(50_000)), StreamState())


def test_capture_failure_is_logged(
    registry: CollectorRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    handler, _ = _handler(registry)
    handler.handle(hello(ok=False, error="hook never fired"), StreamState())
    assert _value(registry, "llm_monitor_capture_up", layer=str(LAYER)) == 0
    assert "hook never fired" in caplog.text


def test_hello_lines_are_bounded_and_rate_limited(
    registry: CollectorRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    handler, _ = _handler(registry)
    caplog.set_level(logging.INFO)
    handler.handle(hello(ok=False, error="x" * 1_000_000 + "\nFORGED line"), StreamState())
    for _ in range(200):
        handler.handle(hello(), StreamState())
    lines = [r.getMessage() for r in caplog.records if "producer" in r.getMessage()]
    assert 1 <= len(lines) <= 3
    assert max(len(line) for line in lines) < 1000
    assert "\nFORGED" not in caplog.text


def test_queue_byte_limit_drops_and_counts(registry: CollectorRegistry) -> None:
    metrics = SidecarMetrics(registry)
    one_batch = make_decoded(3).nbytes
    pipeline = Pipeline(
        metrics, {}, [], queue_size=100, request_ttl_s=60, max_queue_bytes=2 * one_batch
    )
    handler = IngestHandler(metrics, pipeline, max_batch_bytes=1 << 20)
    stream = StreamState()
    handler.handle(hello(), stream)
    for i in range(4):
        handler.handle(batch_message(make_batch(_acts(3), row_offset=3 * i)), stream)
    assert pipeline.queue_depth == 2
    assert _value(registry, DROPPED, reason="sidecar_queue_full") == 6
    pipeline.start()
    assert pipeline.wait_idle(5.0)
    pipeline.stop(1.0)
    assert pipeline.queue_depth == 0
    # bytes are released when batches leave the queue: two more fit again
    for i in range(4, 6):
        handler.handle(batch_message(make_batch(_acts(3), row_offset=3 * i)), stream)
    assert pipeline.queue_depth == 2
    assert _value(registry, DROPPED, reason="sidecar_queue_full") == 6


def test_queue_bytes_count_the_lists_not_only_activations(registry: CollectorRegistry) -> None:
    small = make_decoded(1)
    many = make_decoded(1, finished=[f"request-{i:06d}" for i in range(10_000)])
    assert many.nbytes - small.nbytes > 10_000 * 13
    assert many.activations.nbytes == small.activations.nbytes


def make_decoded(rows: int, finished: Sequence[str] = ()) -> DecodedBatch:
    handler, queue = _handler(CollectorRegistry())
    stream = StreamState()
    handler.handle(hello(), stream)
    handler.handle(batch_message(make_batch(_acts(rows), finished=finished)), stream)
    return queue.batches[0]
