"""The sidecar's acceptance of ``ActivationBatch`` messages: its limits, then the format.

The wire format and its checks are :mod:`monitor.artifacts.wire` (shared with the
plugin's encoder); this module adds what only the receiver knows, the message size
limit and the model it serves, checked first. The decoded types are re-exported so
the sidecar imports them from one place.
"""

from __future__ import annotations

from monitor.artifacts import wire
from monitor.artifacts.wire import (
    DecodedBatch,
    FloatArray,
    IntArray,
    Started,
    Uncaptured,
    decode_activations,
)
from monitor.artifacts.wire_checks import BadBatch, quote
from monitor.v1 import ingest_pb2

__all__ = [
    "BadBatch",
    "DecodedBatch",
    "FloatArray",
    "IntArray",
    "Started",
    "Uncaptured",
    "decode_activations",
    "decode_batch",
    "quote",
]


def decode_batch(
    batch: ingest_pb2.ActivationBatch,
    *,
    message_bytes: int,
    max_batch_bytes: int,
    expected_model: str | None = None,
    expected_d_model: int | None = None,
    producer_id: str = "",
    max_abs: float | None = None,
    max_list: int | None = None,
) -> DecodedBatch:
    """Check a batch against the contract and decode it; raises ``BadBatch``.

    ``message_bytes`` is the size of the message on the wire, ``expected_d_model`` the
    width of the probes loaded for the batch's layer (None when there are none);
    ``max_abs`` and ``max_list`` are passed to ``wire.decode_batch``.
    """
    if message_bytes > max_batch_bytes:
        raise BadBatch(
            "oversized", f"message is {message_bytes} bytes, the limit is {max_batch_bytes}"
        )
    if expected_model is not None and batch.model_name != expected_model:
        raise BadBatch(
            "model_name",
            f"batch is for model {quote(batch.model_name)}, expected {quote(expected_model)}",
        )
    return wire.decode_batch(
        batch,
        expected_d_model=expected_d_model,
        producer_id=producer_id,
        max_abs=max_abs,
        max_list=max_list,
    )
