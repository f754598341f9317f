"""What the hot path hands to the shipper, and its encoding into gRPC messages."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from monitor.v1 import ingest_pb2

DTYPES = {
    torch.float32: ingest_pb2.DTYPE_FLOAT32,
    torch.float16: ingest_pb2.DTYPE_FLOAT16,
    torch.bfloat16: ingest_pb2.DTYPE_BFLOAT16,
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


def encode(
    batch: CapturedBatch,
    producer_id: str,
    first_sequence: int,
    dropped: dict[str, int],
    max_message_bytes: int,
) -> Iterator[ingest_pb2.IngestMessage]:
    """Encode a batch as one or more messages, splitting rows to respect the size limit."""
    acts = batch.activations
    if acts.dtype not in DTYPES:
        acts = acts.float()
    acts = acts.detach().cpu().contiguous()
    n, d = acts.shape
    row_bytes = max(1, d * acts.element_size())
    per_message = max(1, max_message_bytes // row_bytes)
    raw = acts.view(torch.uint8).numpy() if n else np.zeros((0, 0), np.uint8)
    counters = [ingest_pb2.DropCounter(reason=k, rows=v) for k, v in sorted(dropped.items())]
    # The first message also carries the started requests' prompts (~5 bytes a token).
    started_bytes = sum(5 * len(ids) + len(r) + 8 for r, ids in batch.started)
    first = max(1, (max_message_bytes - started_bytes) // row_bytes)
    cuts = [0, *range(min(first, n), n, per_message), n] if n else [0, 0]
    sequence = first_sequence
    for start, stop in itertools.pairwise(dict.fromkeys(cuts)) if n else [(0, 0)]:
        last = stop >= n
        idx = batch.row_request[start:stop]
        used = np.unique(idx)
        remap = np.zeros(len(batch.request_ids) + 1, dtype=np.uint32)
        remap[used] = np.arange(len(used), dtype=np.uint32)
        msg = ingest_pb2.ActivationBatch(
            model_name=batch.model_name,
            layer=batch.layer,
            dtype=DTYPES.get(batch.activations.dtype, ingest_pb2.DTYPE_FLOAT32),
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
            started=[
                ingest_pb2.RequestStart(request_id=r, prompt_token_ids=ids)
                for r, ids in batch.started
            ]
            if start == 0
            else [],
        )
        sequence += 1
        yield ingest_pb2.IngestMessage(batch=msg)
