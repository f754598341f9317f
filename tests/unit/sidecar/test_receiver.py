"""The ingest-only receiver over real gRPC, and the shared activation recorder."""

from __future__ import annotations

import grpc
import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitor.sidecar.ingest.batches import DecodedBatch, decode_batch
from monitor.sidecar.ingest.recorder import ActivationRecorder
from monitor.sidecar.receiver import ActivationReceiver
from monitor.v1 import ingest_pb2, ingest_pb2_grpc

from .helpers import D_MODEL, LAYER, MODEL, batch_message, hello, make_batch


def decoded(batch: ingest_pb2.ActivationBatch) -> DecodedBatch:
    return decode_batch(batch, message_bytes=batch.ByteSize(), max_batch_bytes=1 << 30)


def test_batches_reach_the_activation_sinks(rng: np.random.Generator) -> None:
    recorder = ActivationRecorder()
    acts = rng.normal(size=(3, D_MODEL)).astype(np.float32)
    batch = make_batch(
        acts,
        request_ids=["a"],
        positions=[0, 1, 2],
        token_ids=[5, 6, 7],
        uncaptured=[("a", 4, "prefix_cache")],
        finished=["a"],
    )
    with (
        ActivationReceiver([recorder]) as receiver,
        grpc.insecure_channel(receiver.target) as channel,
    ):
        summary = ingest_pb2_grpc.MonitorStub(channel).Ingest(
            iter([hello(), batch_message(batch)]), timeout=10
        )
        assert summary.batches_accepted == 1
        assert receiver.queue.flush(5.0)
    rows = recorder.rows("a", LAYER)
    assert [(p, t) for p, t, _ in rows] == [(0, 5), (1, 6), (2, 7)]
    np.testing.assert_allclose(np.stack([a for _, _, a in rows]), acts)
    assert recorder.uncaptured["a"] == {"prefix_cache": 4}
    assert recorder.finished == {"a"}
    assert recorder.complete([5, 6, 7], [LAYER]) == "a"
    assert recorder.complete([5, 6], [LAYER]) is None
    assert recorder.matching([5, 6, 7]) == ["a"]
    assert recorder.find([5, 6, 7], timeout=0.1) == "a"


def test_the_byte_budget_drops_and_counts(rng: np.random.Generator) -> None:
    registry = CollectorRegistry()
    recorder = ActivationRecorder()
    receiver = ActivationReceiver([recorder], max_queue_bytes=1, registry=registry)
    batch = decoded(make_batch(rng.normal(size=(2, D_MODEL)).astype(np.float32)))
    assert not receiver.queue.offer(batch)  # never started: nothing could be delivered
    dropped = registry.get_sample_value(
        "llm_monitor_activations_dropped_total",
        {"model_name": MODEL, "reason": "sidecar_queue_full"},
    )
    assert dropped == 2


def test_recorder_keeps_only_its_layers(rng: np.random.Generator) -> None:
    recorder = ActivationRecorder([LAYER])
    acts = rng.normal(size=(1, D_MODEL)).astype(np.float32)
    recorder.on_batch(decoded(make_batch(acts, layer=LAYER + 1)))
    assert recorder.requests() == [] and recorder.batches == 1
    recorder.on_batch(decoded(make_batch(acts, layer=LAYER)))
    assert recorder.requests() == ["req-0"]
    assert set(recorder.pop("req-0")) == {LAYER}
    assert recorder.requests() == []
    with pytest.raises(AssertionError, match="0 recorded requests"):
        recorder.find([100], timeout=0.05)


def test_a_message_over_the_inline_size_is_decoded_off_the_loop_in_order(
    rng: np.random.Generator,
) -> None:
    from monitor.sidecar.ingest.handler import INLINE_BYTES

    rows = INLINE_BYTES // (D_MODEL * 4) + 1  # float32 rows: just over the inline size
    large = rng.normal(size=(rows, D_MODEL)).astype(np.float32)
    small = rng.normal(size=(2, D_MODEL)).astype(np.float32)
    first = make_batch(large, request_ids=["big"], positions=list(range(rows)))
    second = make_batch(small, request_ids=["big"], positions=[rows, rows + 1], row_offset=rows)
    assert first.ByteSize() > INLINE_BYTES >= second.ByteSize()
    recorder = ActivationRecorder()
    with (
        ActivationReceiver([recorder], max_batch_bytes=8 * INLINE_BYTES) as receiver,
        grpc.insecure_channel(
            receiver.target, options=[("grpc.max_send_message_length", 16 * INLINE_BYTES)]
        ) as channel,
    ):
        summary = ingest_pb2_grpc.MonitorStub(channel).Ingest(
            iter([hello(), batch_message(first), batch_message(second)]), timeout=30
        )
        assert summary.batches_accepted == 2 and summary.rows_accepted == rows + 2
        assert receiver.queue.flush(10.0)
    got = recorder.rows("big", LAYER)
    assert [p for p, _, _ in got] == list(range(rows + 2))
    np.testing.assert_allclose(np.stack([a for _, _, a in got]), np.concatenate([large, small]))
