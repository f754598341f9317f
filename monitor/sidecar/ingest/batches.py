"""Validation and decoding of ``ActivationBatch`` messages into plain arrays."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from monitor.v1 import ingest_pb2

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

_ITEMSIZE = {
    ingest_pb2.DTYPE_FLOAT32: 4,
    ingest_pb2.DTYPE_FLOAT16: 2,
    ingest_pb2.DTYPE_BFLOAT16: 2,
}


class BadBatch(Exception):
    """A malformed ingest message; ``reason`` is a short metric label."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


@dataclass(frozen=True)
class Uncaptured:
    """Tokens of a request without captured rows, and why."""

    request_id: str
    count: int
    reason: str


@dataclass(frozen=True)
class Started:
    """A request that started at this step, with its prompt's token ids."""

    request_id: str
    prompt_token_ids: IntArray


@dataclass(frozen=True)
class DecodedBatch:
    """A validated batch: activations ``[rows, d_model]`` float32 plus per-row labels."""

    model_name: str
    layer: int
    producer_id: str
    activations: FloatArray
    request_ids: tuple[str, ...]
    row_request: IntArray  # [rows] index into request_ids
    positions: IntArray  # [rows]
    token_ids: IntArray  # [rows]
    finished_request_ids: tuple[str, ...] = ()
    uncaptured: tuple[Uncaptured, ...] = field(default_factory=tuple)
    started: tuple[Started, ...] = field(default_factory=tuple)

    @property
    def rows(self) -> int:
        return int(self.activations.shape[0])


def decode_activations(data: bytes, dtype: int, rows: int, d_model: int) -> FloatArray:
    """Raw little-endian bytes -> float32 ``[rows, d_model]`` (bf16 via ``uint16 << 16``)."""
    if dtype == ingest_pb2.DTYPE_FLOAT32:
        flat = np.frombuffer(data, dtype="<f4")
    elif dtype == ingest_pb2.DTYPE_FLOAT16:
        flat = np.frombuffer(data, dtype="<f2").astype(np.float32)
    elif dtype == ingest_pb2.DTYPE_BFLOAT16:
        flat = (np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    else:
        raise BadBatch("dtype", f"unsupported dtype {dtype}")
    return flat.reshape(rows, d_model).astype(np.float32, copy=False)


def _as_int_array(values: object, rows: int) -> IntArray:
    return np.fromiter(values, dtype=np.int64, count=rows)  # type: ignore[call-overload]


def decode_batch(
    batch: ingest_pb2.ActivationBatch,
    *,
    message_bytes: int,
    max_batch_bytes: int,
    expected_model: str | None = None,
    expected_d_model: int | None = None,
    producer_id: str = "",
) -> DecodedBatch:
    """Check a batch against the contract and decode it; raises ``BadBatch``.

    ``message_bytes`` is the size of the message on the wire, ``expected_d_model`` the
    width of the probes loaded for the batch's layer (None when there are none).
    """
    if message_bytes > max_batch_bytes:
        raise BadBatch(
            "oversized", f"message is {message_bytes} bytes, the limit is {max_batch_bytes}"
        )
    if expected_model is not None and batch.model_name != expected_model:
        raise BadBatch(
            "model_name", f"batch is for model {batch.model_name!r}, expected {expected_model!r}"
        )
    if batch.layer < 0:
        raise BadBatch("layer", f"layer must be >= 0, got {batch.layer}")
    itemsize = _ITEMSIZE.get(batch.dtype)
    if itemsize is None:
        try:
            name = ingest_pb2.DType.Name(batch.dtype)
        except ValueError:
            name = str(batch.dtype)
        raise BadBatch("dtype", f"dtype must be FLOAT32, FLOAT16 or BFLOAT16, got {name}")
    shape = list(batch.shape)
    if len(shape) != 2 or shape[0] == 0 or shape[1] == 0:
        raise BadBatch("shape", f"shape must be [rows > 0, d_model > 0], got {shape}")
    rows, d_model = shape
    if expected_d_model is not None and d_model != expected_d_model:
        raise BadBatch(
            "shape",
            f"d_model {d_model} does not match the probes for layer {batch.layer}"
            f" (d_model {expected_d_model})",
        )
    expected_bytes = rows * d_model * itemsize
    if len(batch.data) != expected_bytes:
        raise BadBatch(
            "data_size",
            f"data has {len(batch.data)} bytes, shape {shape} needs {expected_bytes}",
        )
    for name, values in (
        ("row_request", batch.row_request),
        ("positions", batch.positions),
        ("token_ids", batch.token_ids),
    ):
        if len(values) != rows:
            raise BadBatch("row_labels", f"{name} has {len(values)} entries, expected {rows}")
    row_request = _as_int_array(batch.row_request, rows)
    n_requests = len(batch.request_ids)
    if int(row_request.max()) >= n_requests:
        raise BadBatch(
            "row_labels",
            f"row_request refers to index {int(row_request.max())}, only {n_requests} request_ids",
        )
    activations = decode_activations(batch.data, batch.dtype, rows, d_model)
    if not np.isfinite(activations).all():
        bad = int((~np.isfinite(activations)).any(axis=1).sum())
        raise BadBatch("non_finite", f"{bad} of {rows} rows contain NaN or infinite values")
    return DecodedBatch(
        model_name=batch.model_name,
        layer=batch.layer,
        producer_id=batch.producer_id or producer_id,
        activations=activations,
        request_ids=tuple(batch.request_ids),
        row_request=row_request,
        positions=_as_int_array(batch.positions, rows),
        token_ids=_as_int_array(batch.token_ids, rows),
        finished_request_ids=tuple(batch.finished_request_ids),
        uncaptured=tuple(Uncaptured(u.request_id, u.count, u.reason) for u in batch.uncaptured),
        started=tuple(
            Started(s.request_id, np.asarray(s.prompt_token_ids, dtype=np.int64))
            for s in batch.started
        ),
    )
