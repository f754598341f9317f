"""What the hot path hands to the shipper, and its encoding into gRPC messages.

The encoding itself is :mod:`monitor.artifacts.wire` (shared with the sidecar's decoder);
this module only moves a batch's tensor to host memory and hands the wire encoder a
numpy view of it, on the shipper thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from monitor.artifacts.wire import WireBatch, encode_batch
from monitor.v1 import ingest_pb2

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
    # (request id, prompt token ids) of the requests that started at this step
    started: list[tuple[str, list[int]]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Number of captured rows."""
        return int(self.activations.shape[0])


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
    )
    for message in encode_batch(wire, producer_id, first_sequence, dropped, max_message_bytes):
        yield ingest_pb2.IngestMessage(batch=message)
