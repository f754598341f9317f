"""What the hot path hands to the shipper, and its encoding into gRPC messages.

The ring between them holds :class:`Outgoing` items: a step staged in host buffers
(:mod:`monitor.plugin.staged`) or a ready :class:`CapturedBatch`. The shipper asks each
for its batches (which may wait for a copy and check labels, off the step path), encodes
them, then releases the item's buffers.

The encoding itself is :mod:`monitor.artifacts.wire` (shared with the sidecar's decoder);
this module only hands the wire encoder a numpy view of a batch's host rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch

from monitor.artifacts.wire import WireBatch, encode_batch
from monitor.plugin.request_control import StartedRequest
from monitor.v1 import ingest_pb2

#: Most finished request ids a step adds to one batch, and most carried from dropped
#: steps: together well below the sidecar's per-message limit (ingest.max_request_list,
#: 16384 by default); the rest wait for the next batch.
FINISHED_PER_BATCH = 4096

# torch dtype -> (the same-size dtype its host copy is viewed as for numpy, wire dtype).
# numpy has no bfloat16: its 16-bit patterns travel as they are.
CARRIERS: dict[torch.dtype, tuple[torch.dtype, ingest_pb2.DType]] = {
    torch.float32: (torch.float32, ingest_pb2.DTYPE_FLOAT32),
    torch.float16: (torch.float16, ingest_pb2.DTYPE_FLOAT16),
    torch.bfloat16: (torch.int16, ingest_pb2.DTYPE_BFLOAT16),
}


@dataclass
class CapturedBatch:
    """One layer's rows of one step, labelled; cheap to build on the hot path."""

    model_name: str
    layer: int
    activations: torch.Tensor  # [n, d_model]; may still live on the accelerator
    row_offset: int
    request_ids: list[str]
    row_request: np.ndarray
    positions: np.ndarray
    token_ids: np.ndarray
    finished_request_ids: list[str] = field(default_factory=list)
    uncaptured: list[tuple[str, int, str]] = field(default_factory=list)
    # (request id, prompt token ids, tenant) of the requests that started at this step
    started: list[StartedRequest] = field(default_factory=list)
    step_end_unix_ns: int = 0  # when the engine step that computed the rows returned
    step_start_unix_ns: int = 0  # when it started (with the end: when to send, ShipDelay)
    # rows of this layer left out because their request opted out of capture: the
    # shipper counts them (``opted_out``) just before it sends the batch
    opted_out_rows: int = 0

    @property
    def rows(self) -> int:
        """Number of captured rows."""
        return int(self.activations.shape[0])

    def batches(self) -> list[CapturedBatch]:
        """Already labelled: itself."""
        return [self]

    def release(self) -> None:
        """Holds no pooled buffer."""


class Unshippable(Exception):
    """An item's rows cannot be sent; ``reason`` is the drop counter they count under."""

    def __init__(self, reason: str, rows: int, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.rows = rows


class Outgoing(Protocol):
    """What the ring carries from the step thread to the shipper."""

    @property
    def rows(self) -> int:
        """Activation rows it stands for (all layers), counted when it is dropped."""
        ...

    @property
    def row_offset(self) -> int:
        """The offset of its first row (drops after it are not reported with it)."""
        ...

    @property
    def finished_request_ids(self) -> list[str]:
        """Requests that finished by this step; delivered even if the rows are dropped."""
        ...

    @property
    def started(self) -> list[StartedRequest]:
        """Prompts of requests that started; delivered even if the rows are dropped."""
        ...

    @property
    def step_start_unix_ns(self) -> int:
        """When the engine step that computed its rows started (wall clock; 0: unknown)."""
        ...

    @property
    def step_end_unix_ns(self) -> int:
        """When that step returned (wall clock; 0: unknown)."""
        ...

    @property
    def opted_out_rows(self) -> int:
        """Rows of opted-out requests left out that no batch carries the count of: a
        step whose every row was left out (set by ``batches()``)."""
        ...

    def batches(self) -> list[CapturedBatch]:
        """The labelled batches to send (may wait for a copy); raises Unshippable."""
        ...

    def release(self) -> None:
        """Return its host buffers (idempotent); called once it is encoded or dropped."""
        ...


def host_activations(activations: torch.Tensor) -> tuple[np.ndarray, ingest_pb2.DType]:
    """Copy ``activations`` to host memory (other dtypes as float32) and view them as a
    numpy array of their wire carrier; returns ``(array, wire dtype)``."""
    if activations.dtype not in CARRIERS:
        activations = activations.float()
    view_as, wire = CARRIERS[activations.dtype]
    host = activations.detach().cpu().contiguous()
    return host.view(view_as).numpy(), wire


def encode(
    batch: CapturedBatch,
    producer_id: str,
    first_sequence: int,
    dropped: dict[str, int],
    max_message_bytes: int,
) -> Iterator[ingest_pb2.IngestMessage]:
    """Encode a batch as one or more messages, splitting rows to respect the size limit."""
    activations, dtype = host_activations(batch.activations)
    wire = WireBatch(
        model_name=batch.model_name,
        layer=batch.layer,
        activations=activations,
        dtype=dtype,
        row_offset=batch.row_offset,
        request_ids=batch.request_ids,
        row_request=batch.row_request,
        positions=batch.positions,
        token_ids=batch.token_ids,
        finished_request_ids=batch.finished_request_ids,
        uncaptured=batch.uncaptured,
        started=batch.started,
        step_end_unix_ns=batch.step_end_unix_ns,
    )
    for message in encode_batch(wire, producer_id, first_sequence, dropped, max_message_bytes):
        yield ingest_pb2.IngestMessage(batch=message)
