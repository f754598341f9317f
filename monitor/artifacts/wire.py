"""The activation wire encoding: ``ActivationBatch`` messages, both directions.

The plugin encodes one layer's rows of one engine step (``encode_batch``); the sidecar
decodes and checks each message (``decode_batch``). Activations travel as raw
little-endian elements, row-major ``[rows, d_model]``, in the dtype the model computes
in: float32, float16, or bfloat16, which numpy has no type for and so is carried as its
raw 16 bits (``uint16``) and widened on decode by ``bits << 16``. Per-row labels index
a small per-message dictionary of request ids. A batch larger than the message size
limit is split by rows; the first message carries the uncaptured tokens and started
prompts, the last the finished request ids, and every one the drop counters.

A malformed message raises ``BadBatch``, and decoding bounds what a message may ask the
receiver to hold (:mod:`monitor.artifacts.wire_checks`). This module needs numpy and the
generated ``ingest_pb2`` only (no grpc, no torch).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.artifacts.wire_checks import BadBatch, check_lists, check_values, values_in_bounds
from monitor.request_ids import valid_tenant
from monitor.v1 import ingest_pb2

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

#: Wire dtype -> the numpy dtype its bytes are read and written as (bfloat16: raw bits).
CARRIERS: Mapping[ingest_pb2.DType, np.dtype[Any]] = {
    ingest_pb2.DTYPE_FLOAT32: np.dtype("<f4"),
    ingest_pb2.DTYPE_FLOAT16: np.dtype("<f2"),
    ingest_pb2.DTYPE_BFLOAT16: np.dtype("<u2"),
}
#: numpy dtype -> wire dtype, for the types numpy has (bfloat16 must be named).
WIRE_DTYPES: Mapping[np.dtype[Any], ingest_pb2.DType] = {
    np.dtype(np.float32): ingest_pb2.DTYPE_FLOAT32,
    np.dtype(np.float16): ingest_pb2.DTYPE_FLOAT16,
}
#: Bytes per element of each wire dtype.
ITEMSIZE: Mapping[int, int] = {dtype: carrier.itemsize for dtype, carrier in CARRIERS.items()}
#: Bytes a started request's prompt takes in a message, estimated per token id.
PROMPT_BYTES_PER_TOKEN = 5
#: Bytes a Python string costs beyond its characters (object header), for ``nbytes``.
STR_OVERHEAD = sys.getsizeof("")
#: Bytes of a small Python object (a label tuple, an ``Uncaptured``), for ``nbytes``.
OBJECT_OVERHEAD = 64


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
    tenant: str = ""  # the request's tenant tag ('' when none)


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
    #: Started requests whose tenant tag was invalid (too long, not printable): kept
    #: without one.
    bad_tenants: int = 0
    #: When the producer's engine step returned (Unix ns, its clock); 0 when unknown.
    step_end_unix_ns: int = 0

    @property
    def rows(self) -> int:
        return int(self.activations.shape[0])

    @cached_property
    def nbytes(self) -> int:
        """An estimate of the memory the decoded batch holds: arrays, strings and small
        objects (what a byte-bounded queue must count, not the activations alone)."""
        arrays = (
            self.activations.nbytes
            + self.row_request.nbytes
            + self.positions.nbytes
            + self.token_ids.nbytes
        )
        strings = sum(
            len(r) + STR_OVERHEAD for r in (*self.request_ids, *self.finished_request_ids)
        )
        notes = sum(len(u.request_id) + len(u.reason) + OBJECT_OVERHEAD for u in self.uncaptured)
        prompts = sum(
            s.prompt_token_ids.nbytes + len(s.request_id) + len(s.tenant) + OBJECT_OVERHEAD
            for s in self.started
        )
        return arrays + strings + notes + prompts


StartedEntry = tuple[str, Sequence[int], str] | tuple[str, Sequence[int]]
"""A started request as the plugin hands it over: (request id, prompt ids[, tenant])."""


def request_start(entry: StartedEntry) -> ingest_pb2.RequestStart:
    """The ``RequestStart`` message of a started request."""
    tenant = entry[2] if len(entry) > 2 else ""
    return ingest_pb2.RequestStart(request_id=entry[0], prompt_token_ids=entry[1], tenant=tenant)


@dataclass(frozen=True)
class WireBatch:
    """What ``encode_batch`` sends: one layer's rows of one step, as plain arrays.

    ``activations`` is ``[rows, d_model]`` in host memory, in ``dtype``'s carrier
    (``CARRIERS``): float32, float16, or the raw bits of bfloat16 as 16-bit integers.
    ``row_request`` indexes ``request_ids``; ``uncaptured`` is ``(request id, tokens,
    reason)``, ``started`` is ``(request id, prompt token ids, tenant)`` (a pair without
    the tenant means none).
    """

    model_name: str
    layer: int
    activations: npt.NDArray[Any]
    dtype: ingest_pb2.DType
    row_offset: int
    request_ids: Sequence[str]
    row_request: npt.NDArray[Any]
    positions: npt.NDArray[Any]
    token_ids: npt.NDArray[Any]
    finished_request_ids: Sequence[str] = ()
    uncaptured: Sequence[tuple[str, int, str]] = ()
    started: Sequence[StartedEntry] = ()
    step_end_unix_ns: int = 0  # when the engine step returned (0: unknown)


def wire_dtype(dtype: np.dtype[Any]) -> ingest_pb2.DType:
    """The wire dtype of float32 or float16 arrays (bfloat16 bits must be named)."""
    wire = WIRE_DTYPES.get(np.dtype(dtype))
    if wire is None:
        raise ValueError(
            f"activations must be float32 or float16, got {dtype}"
            " (send bfloat16 as its 16-bit patterns with DTYPE_BFLOAT16)"
        )
    return wire


def _raw_rows(batch: WireBatch) -> npt.NDArray[np.uint8]:
    """The activations as ``[rows, row_bytes]`` little-endian bytes (a view, no copy, when
    they are already contiguous little-endian elements, as a host tensor's are)."""
    carrier = CARRIERS.get(batch.dtype)
    if carrier is None:
        raise ValueError(f"unsupported wire dtype {batch.dtype}")
    acts = batch.activations
    if acts.ndim != 2:
        raise ValueError(f"activations must be [rows, d_model], got shape {list(acts.shape)}")
    same_kind = acts.dtype.kind == carrier.kind or (carrier.kind == "u" and acts.dtype.kind == "i")
    if acts.dtype.itemsize != carrier.itemsize or not same_kind:
        raise ValueError(f"activations of dtype {acts.dtype} cannot travel as {carrier}")
    acts = np.ascontiguousarray(acts)
    if acts.dtype.byteorder == ">":
        acts = acts.byteswap().view(acts.dtype.newbyteorder("<"))
    rows, d_model = acts.shape
    return acts.view(np.uint8).reshape(rows, d_model * carrier.itemsize)


def encode_batch(
    batch: WireBatch,
    producer_id: str,
    first_sequence: int,
    dropped: Mapping[str, int],
    max_message_bytes: int,
) -> Iterator[ingest_pb2.ActivationBatch]:
    """Encode a batch as one or more messages (sequence numbers from ``first_sequence``),
    splitting rows to respect ``max_message_bytes``; ``dropped`` is the producer's
    cumulative drop counters, sent with every message."""
    n, d = batch.activations.shape
    raw = _raw_rows(batch)
    row_bytes = max(1, d * ITEMSIZE[batch.dtype])
    per_message = max(1, max_message_bytes // row_bytes)
    counters = [ingest_pb2.DropCounter(reason=k, rows=v) for k, v in sorted(dropped.items())]
    # The first message also carries the started requests' prompts.
    started_bytes = sum(
        PROMPT_BYTES_PER_TOKEN * len(entry[1]) + len(entry[0]) + 72 for entry in batch.started
    )  # 72: the tenant (at most 64 characters) and the framing
    first = max(1, (max_message_bytes - started_bytes) // row_bytes)
    cuts = [0, *range(min(first, n), n, per_message), n] if n else [0, 0]
    sequence = first_sequence
    for start, stop in itertools.pairwise(dict.fromkeys(cuts)) if n else [(0, 0)]:
        last = stop >= n
        idx = batch.row_request[start:stop]
        used = np.unique(idx)
        remap = np.zeros(len(batch.request_ids) + 1, dtype=np.uint32)
        remap[used] = np.arange(len(used), dtype=np.uint32)
        yield ingest_pb2.ActivationBatch(
            model_name=batch.model_name,
            layer=batch.layer,
            dtype=batch.dtype,
            shape=[stop - start, d],
            data=raw[start:stop].tobytes(),
            sequence=sequence,
            row_offset=batch.row_offset + start,
            request_ids=[batch.request_ids[i] for i in used],
            row_request=remap[idx].tolist(),
            positions=batch.positions[start:stop].tolist(),
            token_ids=batch.token_ids[start:stop].tolist(),
            finished_request_ids=batch.finished_request_ids if last else [],
            uncaptured=[
                ingest_pb2.UncapturedTokens(request_id=r, count=c, reason=why)
                for r, c, why in batch.uncaptured
            ]
            if start == 0
            else [],
            dropped=counters,
            producer_id=producer_id,
            started=[request_start(entry) for entry in batch.started] if start == 0 else [],
            step_end_unix_ns=batch.step_end_unix_ns,
        )
        sequence += 1


def decode_activations(data: bytes, dtype: int, rows: int, d_model: int) -> FloatArray:
    """Raw little-endian bytes -> float32 ``[rows, d_model]`` (bf16 via ``uint16 << 16``)."""
    if dtype == ingest_pb2.DTYPE_FLOAT32:
        flat = np.frombuffer(data, dtype="<f4")
    elif dtype == ingest_pb2.DTYPE_FLOAT16:
        flat = np.frombuffer(data, dtype="<f2").astype(np.float32)
    elif dtype == ingest_pb2.DTYPE_BFLOAT16:
        bits = np.frombuffer(data, dtype="<u2").astype(np.uint32)
        bits <<= 16  # in place: one array, not two
        flat = bits.view(np.float32)
    else:
        raise BadBatch("dtype", f"unsupported dtype {dtype}")
    return flat.reshape(rows, d_model).astype(np.float32, copy=False)


def _as_int_array(values: object) -> IntArray:
    """A repeated (u)int32 field (its length checked by the caller) as int64: ``np.array``
    copies it in C, five times faster than iterating it."""
    return np.array(values, dtype=np.int64)


def decode_batch(
    batch: ingest_pb2.ActivationBatch,
    *,
    expected_d_model: int | None = None,
    producer_id: str = "",
    max_abs: float | None = None,
    max_list: int | None = None,
) -> DecodedBatch:
    """Check a message against the format and decode it; raises ``BadBatch``.

    ``expected_d_model`` is the width the receiver needs for the batch's layer (None:
    any); ``producer_id`` stands in when the message names none (the stream's Hello);
    ``max_abs`` bounds the activations' magnitude and ``max_list`` the started and
    finished request lists (None: unbounded).
    """
    if batch.layer < 0:
        raise BadBatch("layer", f"layer must be >= 0, got {batch.layer}")
    itemsize = ITEMSIZE.get(batch.dtype)
    if itemsize is None:
        try:
            name = ingest_pb2.DType.Name(batch.dtype)
        except ValueError:
            name = str(batch.dtype)
        raise BadBatch("dtype", f"dtype must be FLOAT32, FLOAT16 or BFLOAT16, got {name}")
    shape = list(batch.shape)
    if len(shape) != 2 or shape[0] == 0 or shape[1] == 0:
        shown = shape if len(shape) <= 4 else f"{shape[:4]}... ({len(shape)} entries)"
        raise BadBatch("shape", f"shape must be [rows > 0, d_model > 0], got {shown}")
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
    check_lists(batch, rows, max_list)
    for name, values in (
        ("row_request", batch.row_request),
        ("positions", batch.positions),
        ("token_ids", batch.token_ids),
    ):
        if len(values) != rows:
            raise BadBatch("row_labels", f"{name} has {len(values)} entries, expected {rows}", rows)
    row_request = _as_int_array(batch.row_request)
    n_requests = len(batch.request_ids)
    if int(row_request.max()) >= n_requests:
        raise BadBatch(
            "row_labels",
            f"row_request refers to index {int(row_request.max())}, only {n_requests} request_ids",
            rows,
        )
    data = batch.data
    activations = decode_activations(data, batch.dtype, rows, d_model)
    if not values_in_bounds(data, batch.dtype, max_abs):
        check_values(activations, max_abs)  # raises, naming the rows
    return DecodedBatch(
        model_name=batch.model_name,
        layer=batch.layer,
        producer_id=batch.producer_id or producer_id,
        activations=activations,
        request_ids=tuple(batch.request_ids),
        row_request=row_request,
        positions=_as_int_array(batch.positions),
        token_ids=_as_int_array(batch.token_ids),
        finished_request_ids=tuple(batch.finished_request_ids),
        uncaptured=tuple(Uncaptured(u.request_id, u.count, u.reason) for u in batch.uncaptured),
        started=tuple(
            Started(
                s.request_id,
                np.asarray(s.prompt_token_ids, dtype=np.int64),
                s.tenant if valid_tenant(s.tenant) else "",
            )
            for s in batch.started
        ),
        bad_tenants=sum(1 for s in batch.started if s.tenant and not valid_tenant(s.tenant)),
        step_end_unix_ns=batch.step_end_unix_ns,
    )
