from __future__ import annotations

import numpy as np
import pytest
import torch

from monitor.plugin.batch import CapturedBatch, encode
from monitor.v1 import ingest_pb2


def decode_bytes(data: bytes, dtype: int, shape: tuple[int, int]) -> np.ndarray:
    """Independent decoding of the wire format into float32."""
    if dtype == ingest_pb2.DTYPE_FLOAT32:
        flat = np.frombuffer(data, dtype="<f4")
    elif dtype == ingest_pb2.DTYPE_FLOAT16:
        flat = np.frombuffer(data, dtype="<f2").astype(np.float32)
    else:
        assert dtype == ingest_pb2.DTYPE_BFLOAT16
        flat = (np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    return flat.reshape(shape)


def make_batch(
    n: int = 10, d: int = 4, dtype: torch.dtype = torch.float32, **kwargs: object
) -> CapturedBatch:
    gen = torch.Generator().manual_seed(0)
    acts = torch.randn(n, d, generator=gen).to(dtype)
    # rows: a a a b b c c c c a -> request 0 appears again at the end
    row_request = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 0][:n], dtype=np.uint32)
    fields: dict[str, object] = {
        "model_name": "tiny",
        "layer": 2,
        "activations": acts,
        "row_offset": 100,
        "request_ids": ["a", "b", "c"],
        "row_request": row_request,
        "positions": np.arange(20, 20 + n, dtype=np.uint32),
        "token_ids": np.arange(500, 500 + n, dtype=np.int32),
        "finished_request_ids": ["done-1", "done-2"],
        "uncaptured": [("b", 4, "prefix_cache")],
    }
    fields.update(kwargs)
    return CapturedBatch(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("dtype", "wire"),
    [
        (torch.float32, ingest_pb2.DTYPE_FLOAT32),
        (torch.float16, ingest_pb2.DTYPE_FLOAT16),
        (torch.bfloat16, ingest_pb2.DTYPE_BFLOAT16),
    ],
)
def test_round_trip_of_the_bytes(dtype: torch.dtype, wire: int) -> None:
    batch = make_batch(dtype=dtype)
    messages = list(encode(batch, "p1", 7, {}, max_message_bytes=1 << 20))
    assert len(messages) == 1
    msg = messages[0].batch
    assert msg.dtype == wire
    assert list(msg.shape) == [10, 4]
    assert len(msg.data) == 10 * 4 * batch.activations.element_size()
    got = decode_bytes(msg.data, msg.dtype, (10, 4))
    np.testing.assert_array_equal(got, batch.activations.float().numpy())
    assert msg.model_name == "tiny"
    assert msg.layer == 2
    assert msg.producer_id == "p1"
    assert msg.sequence == 7
    assert msg.row_offset == 100
    assert list(msg.request_ids) == ["a", "b", "c"]
    assert list(msg.row_request) == batch.row_request.tolist()
    assert list(msg.positions) == batch.positions.tolist()
    assert list(msg.token_ids) == batch.token_ids.tolist()


def test_unsupported_dtype_is_sent_as_float32() -> None:
    batch = make_batch(dtype=torch.float64)
    (message,) = encode(batch, "p1", 0, {}, max_message_bytes=1 << 20)
    assert message.batch.dtype == ingest_pb2.DTYPE_FLOAT32
    got = decode_bytes(message.batch.data, message.batch.dtype, (10, 4))
    np.testing.assert_array_equal(got, batch.activations.float().numpy())


def test_split_over_the_size_limit_keeps_every_message_consistent() -> None:
    batch = make_batch(dtype=torch.bfloat16)
    row_bytes = 4 * 2
    dropped = {"ring_buffer_full": 3, "capture_missed": 9}
    messages = [
        m.batch for m in encode(batch, "p1", 40, dropped, max_message_bytes=3 * row_bytes + 1)
    ]
    assert [m.shape[0] for m in messages] == [3, 3, 3, 1]
    assert [m.sequence for m in messages] == [40, 41, 42, 43]
    assert [m.row_offset for m in messages] == [100, 103, 106, 109]

    full = batch.activations.float().numpy()
    start = 0
    for i, m in enumerate(messages):
        rows = m.shape[0]
        stop = start + rows
        assert list(m.shape) == [rows, 4]
        np.testing.assert_array_equal(decode_bytes(m.data, m.dtype, (rows, 4)), full[start:stop])
        # the dictionary holds only this message's requests, each once, indices valid
        assert len(set(m.request_ids)) == len(m.request_ids)
        assert set(m.row_request) == set(range(len(m.request_ids)))
        got_requests = [m.request_ids[j] for j in m.row_request]
        want_requests = [batch.request_ids[j] for j in batch.row_request[start:stop]]
        assert got_requests == want_requests
        assert list(m.positions) == batch.positions[start:stop].tolist()
        assert list(m.token_ids) == batch.token_ids[start:stop].tolist()
        # finished ids only on the last, uncaptured only on the first, drops on every one
        last = i == len(messages) - 1
        assert list(m.finished_request_ids) == (["done-1", "done-2"] if last else [])
        assert [(u.request_id, u.count, u.reason) for u in m.uncaptured] == (
            [("b", 4, "prefix_cache")] if i == 0 else []
        )
        assert {c.reason: c.rows for c in m.dropped} == dropped
        assert m.producer_id == "p1"
        start = stop
    assert start == 10
    assert list(messages[1].request_ids) == ["b", "c"]
    assert list(messages[3].request_ids) == ["a"]


def test_started_prompts_travel_once_and_count_in_the_size_limit() -> None:
    batch = make_batch(started=[("c", list(range(100)))])  # ~500 bytes of prompt ids
    row_bytes = 4 * 4
    messages = [m.batch for m in encode(batch, "p1", 0, {}, max_message_bytes=600)]
    assert [(r.request_id, list(r.prompt_token_ids)) for r in messages[0].started] == [
        ("c", list(range(100)))
    ]
    assert all(not m.started for m in messages[1:])
    assert messages[0].ByteSize() <= 600 + 64  # the prompt left room for fewer rows
    assert messages[0].shape[0] < 600 // row_bytes
    assert sum(m.shape[0] for m in messages) == 10


def test_limit_smaller_than_a_row_sends_one_row_per_message() -> None:
    batch = make_batch(n=3)
    messages = list(encode(batch, "p1", 0, {}, max_message_bytes=1))
    assert [m.batch.shape[0] for m in messages] == [1, 1, 1]


def test_empty_batch_still_carries_finished_ids_and_uncaptured() -> None:
    batch = make_batch(n=0)
    (message,) = encode(batch, "p1", 3, {"x": 1}, max_message_bytes=1 << 20)
    m = message.batch
    assert list(m.shape) == [0, 4]
    assert m.data == b""
    assert list(m.request_ids) == []
    assert list(m.finished_request_ids) == ["done-1", "done-2"]
    assert [u.request_id for u in m.uncaptured] == ["b"]
    assert [(c.reason, c.rows) for c in m.dropped] == [("x", 1)]


def test_captured_batch_rows() -> None:
    assert make_batch(n=7).rows == 7
