"""The activation wire encoding: what ``encode_batch`` sends, ``decode_batch`` gives back."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from monitor.artifacts.wire import (
    DecodedBatch,
    Started,
    Uncaptured,
    WireBatch,
    decode_batch,
    encode_batch,
    wire_dtype,
)
from monitor.artifacts.wire_checks import BadBatch, quote
from monitor.v1 import ingest_pb2

ROWS, D = 10, 6
REQUESTS = ["a", "b", "c"]
ROW_REQUEST = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 0], np.uint32)


def _bf16_bits(values: npt.NDArray[np.float32]) -> npt.NDArray[np.uint16]:
    return (values.view(np.uint32) >> 16).astype(np.uint16)


def _float_of(acts: npt.NDArray[Any], dtype: ingest_pb2.DType) -> npt.NDArray[np.float32]:
    if dtype == ingest_pb2.DTYPE_BFLOAT16:
        return (acts.astype(np.uint32) << 16).view(np.float32)
    return acts.astype(np.float32)


def _batch(acts: npt.NDArray[Any], dtype: ingest_pb2.DType) -> WireBatch:
    return WireBatch(
        model_name="tiny",
        layer=2,
        activations=acts,
        dtype=dtype,
        row_offset=100,
        request_ids=REQUESTS,
        row_request=ROW_REQUEST,
        positions=np.arange(20, 20 + ROWS, dtype=np.uint32),
        token_ids=np.arange(500, 500 + ROWS, dtype=np.int32),
        finished_request_ids=["done-1", "done-2"],
        uncaptured=[("b", 4, "prefix_cache")],
        started=[("c", [7, 8, 9])],
    )


def _activations(dtype: ingest_pb2.DType) -> npt.NDArray[Any]:
    values = np.random.default_rng(0).normal(size=(ROWS, D)).astype(np.float32)
    if dtype == ingest_pb2.DTYPE_BFLOAT16:
        return _bf16_bits(values)
    if dtype == ingest_pb2.DTYPE_FLOAT16:
        return values.astype(np.float16)
    return values


def _joined(parts: list[DecodedBatch]) -> dict[str, Any]:
    """The decoded messages of one batch, put back together (requests by id)."""
    return {
        "activations": np.concatenate([p.activations for p in parts]),
        "requests": [p.request_ids[i] for p in parts for i in p.row_request],
        "positions": np.concatenate([p.positions for p in parts]).tolist(),
        "token_ids": np.concatenate([p.token_ids for p in parts]).tolist(),
        "finished": [r for p in parts for r in p.finished_request_ids],
        "uncaptured": [u for p in parts for u in p.uncaptured],
        "started": [(s.request_id, s.prompt_token_ids.tolist()) for p in parts for s in p.started],
    }


@pytest.mark.parametrize(
    "dtype",
    [ingest_pb2.DTYPE_FLOAT32, ingest_pb2.DTYPE_FLOAT16, ingest_pb2.DTYPE_BFLOAT16],
    ids=["float32", "float16", "bfloat16"],
)
@pytest.mark.parametrize("limit", [1 << 20, 3 * D * 4 + 1], ids=["one-message", "split"])
def test_encode_then_decode_gives_the_batch_back(dtype: ingest_pb2.DType, limit: int) -> None:
    acts = _activations(dtype)
    batch = _batch(acts, dtype)
    messages = list(encode_batch(batch, "p1", 40, {"ring_buffer_full": 3}, limit))
    assert [m.sequence for m in messages] == list(range(40, 40 + len(messages)))
    assert (len(messages) == 1) == (limit == 1 << 20)
    parts = [decode_batch(m, expected_d_model=D) for m in messages]
    assert all((p.model_name, p.layer, p.producer_id) == ("tiny", 2, "p1") for p in parts)
    assert all(m.dtype == dtype for m in messages)
    assert all({c.reason: c.rows for c in m.dropped} == {"ring_buffer_full": 3} for m in messages)
    assert [m.row_offset for m in messages] == [
        100 + sum(p.rows for p in parts[:i]) for i in range(len(parts))
    ]
    got = _joined(parts)
    np.testing.assert_array_equal(got["activations"], _float_of(acts, dtype))
    assert got["activations"].dtype == np.float32
    assert got["requests"] == [REQUESTS[i] for i in ROW_REQUEST]
    assert got["positions"] == list(range(20, 20 + ROWS))
    assert got["token_ids"] == list(range(500, 500 + ROWS))
    assert got["finished"] == ["done-1", "done-2"]
    assert parts[-1].finished_request_ids == ("done-1", "done-2")
    assert got["uncaptured"] == [Uncaptured("b", 4, "prefix_cache")]
    assert parts[0].uncaptured and got["started"] == [("c", [7, 8, 9])]
    assert isinstance(parts[0].started[0], Started)


def test_started_requests_carry_their_tenant_and_bad_tags_are_dropped() -> None:
    acts = _activations(ingest_pb2.DTYPE_FLOAT32)
    batch = _batch(acts, ingest_pb2.DTYPE_FLOAT32)
    starts = [("a", [1], "team-a"), ("b", [2, 3]), ("c", [4], "t" * 65), ("d", [5], "bad\x1b")]
    wire = WireBatch(**{**batch.__dict__, "started": starts})
    (message,) = encode_batch(wire, "p1", 0, {}, 1 << 20)
    assert [(s.request_id, s.tenant) for s in message.started] == [
        ("a", "team-a"),
        ("b", ""),
        ("c", "t" * 65),  # the producer sends what it was given; the sidecar decides
        ("d", "bad\x1b"),
    ]
    decoded = decode_batch(message, expected_d_model=D)
    assert [(s.request_id, s.prompt_token_ids.tolist(), s.tenant) for s in decoded.started] == [
        ("a", [1], "team-a"),
        ("b", [2, 3], ""),
        ("c", [4], ""),
        ("d", [5], ""),
    ]
    assert decoded.bad_tenants == 2


def test_bfloat16_bits_may_come_as_int16() -> None:
    """A torch bfloat16 tensor viewed as int16 on the host travels unchanged."""
    bits = _activations(ingest_pb2.DTYPE_BFLOAT16)
    (message,) = encode_batch(
        _batch(bits.view(np.int16), ingest_pb2.DTYPE_BFLOAT16), "p", 0, {}, 1 << 20
    )
    decoded = decode_batch(message)
    np.testing.assert_array_equal(decoded.activations, _float_of(bits, ingest_pb2.DTYPE_BFLOAT16))


def test_wire_dtype_of_numpy_arrays() -> None:
    assert wire_dtype(np.dtype(np.float32)) == ingest_pb2.DTYPE_FLOAT32
    assert wire_dtype(np.dtype(np.float16)) == ingest_pb2.DTYPE_FLOAT16
    with pytest.raises(ValueError, match=r"float64.*DTYPE_BFLOAT16"):
        wire_dtype(np.dtype(np.float64))


def test_activations_that_do_not_match_the_dtype_are_refused() -> None:
    acts = _activations(ingest_pb2.DTYPE_FLOAT32)
    with pytest.raises(ValueError, match="float32 cannot travel as"):
        list(encode_batch(_batch(acts, ingest_pb2.DTYPE_FLOAT16), "p", 0, {}, 1 << 20))


def test_decode_refuses_a_batch_of_another_width() -> None:
    (message,) = encode_batch(
        _batch(_activations(ingest_pb2.DTYPE_FLOAT32), ingest_pb2.DTYPE_FLOAT32),
        "p",
        0,
        {},
        1 << 20,
    )
    with pytest.raises(BadBatch) as info:
        decode_batch(message, expected_d_model=D + 1)
    assert info.value.reason == "shape"


def test_wire_module_needs_neither_grpc_nor_torch() -> None:
    code = (
        "import sys, monitor.artifacts.wire;"
        "bad = [m for m in ('grpc', 'torch') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _one(acts: npt.NDArray[np.float32], **fields: Any) -> ingest_pb2.ActivationBatch:
    rows, d = acts.shape
    message: dict[str, Any] = {
        "model_name": "m",
        "dtype": ingest_pb2.DTYPE_FLOAT32,
        "shape": [rows, d],
        "data": acts.astype("<f4").tobytes(),
        "request_ids": ["r"],
        "row_request": [0] * rows,
        "positions": list(range(rows)),
        "token_ids": [1] * rows,
    }
    return ingest_pb2.ActivationBatch(**{**message, **fields})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"request_ids": ["r", "s", "t"]}, "request_ids has 3 entries, more than rows (2)"),
        (
            {"uncaptured": [ingest_pb2.UncapturedTokens(request_id="r")] * 4},
            "uncaptured has 4 entries, more than rows + request_ids (3)",
        ),
        ({"finished_request_ids": ["f"] * 6}, "finished_request_ids has 6 entries"),
        ({"started": [ingest_pb2.RequestStart(request_id="s")] * 6}, "started has 6 entries"),
    ],
)
def test_list_lengths_are_bounded(fields: dict[str, Any], message: str) -> None:
    batch = _one(np.ones((2, D), np.float32), **fields)
    with pytest.raises(BadBatch, match=re.escape(f"list_length: {message}")) as info:
        decode_batch(batch, max_list=5)
    assert info.value.rows == 2  # the data was there: the rows count as dropped


def test_magnitude_and_non_finite_rows_are_refused() -> None:
    acts = np.ones((3, D), np.float32)
    acts[2, 1] = 3e38
    with pytest.raises(BadBatch, match="magnitude: 1 of 3 rows"):
        decode_batch(_one(acts), max_abs=1e6)
    assert decode_batch(_one(acts)).rows == 3  # no bound without max_abs
    acts[0, 0] = np.nan
    with pytest.raises(BadBatch, match="non_finite: 1 of 3 rows"):
        decode_batch(_one(acts), max_abs=1e6)


def test_claimed_rows_without_data_count_nothing() -> None:
    batch = _one(np.ones((2, D), np.float32))
    batch.shape[0] = 2**32 - 1
    with pytest.raises(BadBatch, match="data_size") as info:
        decode_batch(batch)
    assert info.value.rows == 0


def test_quote_truncates_and_escapes() -> None:
    assert quote("abc") == "'abc'"
    text = quote("line\nforged" + "x" * 1000)
    assert "\n" not in text and "\\n" in text
    assert text.endswith("...(+911 chars)") and len(text) < 130


def test_the_step_end_time_travels_with_every_part() -> None:
    acts = _activations(ingest_pb2.DTYPE_FLOAT32)
    batch = _batch(acts, ingest_pb2.DTYPE_FLOAT32)
    wire = WireBatch(**{**batch.__dict__, "step_end_unix_ns": 1_700_000_000_123_456_789})
    messages = list(encode_batch(wire, "p1", 0, {}, 3 * D * 4 + 1))
    assert len(messages) > 1
    parts = [decode_batch(m, expected_d_model=D) for m in messages]
    assert {p.step_end_unix_ns for p in parts} == {1_700_000_000_123_456_789}
    (old,) = encode_batch(batch, "p1", 0, {}, 1 << 20)  # a producer that does not stamp
    assert decode_batch(old, expected_d_model=D).step_end_unix_ns == 0
