from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from monitor.sidecar.ingest.batches import BadBatch, decode_batch
from monitor.v1 import ingest_pb2

from .helpers import D_MODEL, MODEL, make_batch

LIMIT = 1 << 20


def _decode(batch: ingest_pb2.ActivationBatch, **kwargs: object):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {
        "message_bytes": batch.ByteSize(),
        "max_batch_bytes": LIMIT,
        "expected_model": MODEL,
        "expected_d_model": D_MODEL,
    }
    options.update(kwargs)
    return decode_batch(batch, **options)  # type: ignore[arg-type]


def test_good_batch_decodes(rng: np.random.Generator) -> None:
    acts = rng.normal(size=(4, D_MODEL)).astype(np.float32)
    batch = make_batch(
        acts,
        request_ids=["a", "b"],
        row_request=[0, 1, 0, 1],
        positions=[5, 9, 6, 10],
        finished=["a"],
        uncaptured=[("b", 3, "prefix_cache_hit")],
    )
    decoded = _decode(batch)
    np.testing.assert_array_equal(decoded.activations, acts)
    assert decoded.rows == 4
    assert decoded.request_ids == ("a", "b")
    assert decoded.row_request.tolist() == [0, 1, 0, 1]
    assert decoded.positions.tolist() == [5, 9, 6, 10]
    assert decoded.finished_request_ids == ("a",)
    assert decoded.uncaptured[0].reason == "prefix_cache_hit"
    assert decoded.producer_id == "producer-1"


def test_half_precision_decodes(rng: np.random.Generator) -> None:
    acts = rng.normal(size=(3, D_MODEL)).astype(np.float32)
    f16 = _decode(make_batch(acts, dtype=ingest_pb2.DTYPE_FLOAT16)).activations
    np.testing.assert_array_equal(f16, acts.astype(np.float16).astype(np.float32))
    bf16 = _decode(make_batch(acts, dtype=ingest_pb2.DTYPE_BFLOAT16)).activations
    assert bf16.dtype == np.float32
    np.testing.assert_allclose(bf16, acts, rtol=1 / 128)  # bf16 keeps 8 mantissa bits
    exact = np.array([[1.0, -2.0, 0.5, 3.0, 0.0, -0.25, 1024.0, 1.5]], dtype=np.float32)
    bf16_exact = _decode(make_batch(exact, dtype=ingest_pb2.DTYPE_BFLOAT16)).activations
    np.testing.assert_array_equal(bf16_exact, exact)


def _mutate(field: str, value: object) -> Callable[[ingest_pb2.ActivationBatch], None]:
    def apply(batch: ingest_pb2.ActivationBatch) -> None:
        target = getattr(batch, field)
        if isinstance(value, list):
            del target[:]
            target.extend(value)
        else:
            setattr(batch, field, value)

    return apply


@pytest.mark.parametrize(
    ("mutation", "reason", "text"),
    [
        (_mutate("dtype", ingest_pb2.DTYPE_UNSPECIFIED), "dtype", "DTYPE_UNSPECIFIED"),
        (_mutate("dtype", 42), "dtype", "got 42"),
        (_mutate("shape", [4]), "shape", "shape must be [rows > 0, d_model > 0], got [4]"),
        (_mutate("shape", [0, D_MODEL]), "shape", "got [0, 8]"),
        (_mutate("shape", [2, 2, 2]), "shape", "got [2, 2, 2]"),
        (_mutate("shape", [8, 4]), "shape", "d_model 4 does not match the probes"),
        (_mutate("data", b"\0" * 12), "data_size", "data has 12 bytes, shape [4, 8] needs 128"),
        (_mutate("row_request", [0, 0]), "row_labels", "row_request has 2 entries, expected 4"),
        (_mutate("positions", [0, 1, 2, 3, 4]), "row_labels", "positions has 5 entries"),
        (_mutate("token_ids", []), "row_labels", "token_ids has 0 entries"),
        (_mutate("row_request", [0, 0, 1, 0]), "row_labels", "refers to index 1, only 1"),
        (_mutate("model_name", "other"), "model_name", "batch is for model 'other'"),
        (_mutate("layer", -1), "layer", "layer must be >= 0"),
    ],
)
def test_bad_batches(
    rng: np.random.Generator,
    mutation: Callable[[ingest_pb2.ActivationBatch], None],
    reason: str,
    text: str,
) -> None:
    batch = make_batch(rng.normal(size=(4, D_MODEL)).astype(np.float32))
    mutation(batch)
    with pytest.raises(BadBatch) as info:
        _decode(batch)
    assert info.value.reason == reason
    assert text in info.value.message


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite(rng: np.random.Generator, bad: float) -> None:
    acts = rng.normal(size=(4, D_MODEL)).astype(np.float32)
    acts[2, 5] = bad
    with pytest.raises(BadBatch) as info:
        _decode(make_batch(acts))
    assert info.value.reason == "non_finite"
    assert info.value.message == "1 of 4 rows contain NaN or infinite values"


def test_non_finite_bf16() -> None:
    acts = np.ones((2, D_MODEL), dtype=np.float32)
    acts[0, 0] = np.nan
    with pytest.raises(BadBatch, match="non_finite"):
        _decode(make_batch(acts, dtype=ingest_pb2.DTYPE_BFLOAT16))


def test_oversized(rng: np.random.Generator) -> None:
    batch = make_batch(rng.normal(size=(4, D_MODEL)).astype(np.float32))
    with pytest.raises(BadBatch) as info:
        _decode(batch, max_batch_bytes=100)
    assert info.value.reason == "oversized"
    assert f"message is {batch.ByteSize()} bytes, the limit is 100" in str(info.value)


def test_unchecked_when_no_expectations(rng: np.random.Generator) -> None:
    batch = make_batch(rng.normal(size=(2, 5)).astype(np.float32), model_name="anything")
    decoded = _decode(batch, expected_model=None, expected_d_model=None)
    assert decoded.activations.shape == (2, 5)
    assert decoded.model_name == "anything"


def test_started_requests_carry_their_prompt() -> None:
    acts = np.zeros((2, D_MODEL), dtype=np.float32)
    batch = make_batch(acts, started=[("req-0", [1, 5, 9]), ("req-9", [])])
    decoded = decode_batch(batch, message_bytes=batch.ByteSize(), max_batch_bytes=1 << 20)
    assert [(s.request_id, s.prompt_token_ids.tolist()) for s in decoded.started] == [
        ("req-0", [1, 5, 9]),
        ("req-9", []),
    ]
