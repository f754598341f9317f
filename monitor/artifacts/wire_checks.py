"""What a decoded ``ActivationBatch`` is checked against, and how a bad one is reported.

A malformed message raises ``BadBatch``, whose ``reason`` is a short metric label from
a fixed set; its text names the field and echoes producer strings only through
``quote`` (truncated, escaped), so an error never carries unbounded input. Decoding
also bounds what a message may ask the receiver to hold: at most one request id per row,
at most one uncaptured note per row or request id, ``max_list`` started and finished
requests, and activations of magnitude ``max_abs`` at most (larger finite values would
overflow a probe's float32 dot product into NaN).
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt

from monitor.v1 import ingest_pb2

#: Characters of a producer string that ``quote`` keeps.
QUOTE_LIMIT = 100


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``value`` as a quoted, escaped literal of at most ``limit`` characters (plus a
    note of what was cut): safe in a log line or a status message whatever it holds."""
    text = str(value)
    cut = len(text) - limit
    shown = repr(text[:limit]) if cut > 0 else repr(text)
    return f"{shown}...(+{cut} chars)" if cut > 0 else shown


class BadBatch(Exception):
    """A malformed ingest message; ``reason`` is a short metric label.

    ``rows`` is how many activation rows the message really carried (its data matched
    its shape), 0 when that is not known: only those count as dropped by the sidecar.
    """

    def __init__(self, reason: str, message: str, rows: int = 0) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.rows = rows

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


def check_lists(batch: ingest_pb2.ActivationBatch, rows: int, max_list: int | None) -> None:
    """The per-message list bounds (see the module docstring); raises ``BadBatch``."""
    n_requests = len(batch.request_ids)
    limits = [
        ("request_ids", n_requests, rows, "rows"),
        ("uncaptured", len(batch.uncaptured), rows + n_requests, "rows + request_ids"),
    ]
    if max_list is not None:
        limits += [
            ("started", len(batch.started), max_list, "the limit"),
            ("finished_request_ids", len(batch.finished_request_ids), max_list, "the limit"),
        ]
    for name, count, limit, what in limits:
        if count > limit:
            raise BadBatch(
                "list_length", f"{name} has {count} entries, more than {what} ({limit})", rows
            )


#: Per wire dtype: the unsigned type of its bits, the mask of the magnitude bits, and the
#: float type whose values it holds (bfloat16: the upper half of a float32).
_BITS: dict[int, tuple[type[np.unsignedinteger], int, type[np.floating]]] = {
    ingest_pb2.DTYPE_FLOAT32: (np.uint32, 0x7FFF_FFFF, np.float32),
    ingest_pb2.DTYPE_FLOAT16: (np.uint16, 0x7FFF, np.float16),
    ingest_pb2.DTYPE_BFLOAT16: (np.uint16, 0x7FFF, np.float32),
}


@functools.cache
def magnitude_limit(dtype: int, max_abs: float | None) -> int:
    """The magnitude bits of the largest finite value of wire ``dtype`` that passes
    ``check_values`` (which compares float32 values with ``max_abs`` as a float32; any
    finite value when None). IEEE magnitudes order like their bit patterns (infinities
    and NaNs above every finite value), so an element passes exactly when its magnitude
    bits are at most this."""
    _, _, floats = _BITS[dtype]
    if max_abs is not None and max_abs < 0:
        return -1  # nothing passes
    top = np.finfo(np.float32).max
    bound = top if max_abs is None else np.float32(min(max_abs, float(top)))
    if floats is np.float16:
        limit = np.float16(min(float(bound), float(np.finfo(np.float16).max)))
        if float(limit) > float(bound):  # rounded up
            limit = np.nextafter(limit, np.float16(0))
        return int(np.asarray(limit).view(np.uint16))
    value = int(np.asarray(bound).view(np.uint32))
    if dtype == ingest_pb2.DTYPE_BFLOAT16:
        value >>= 16  # truncated toward zero: the largest bfloat16 not above it
    return value


def values_in_bounds(data: bytes, dtype: int, max_abs: float | None) -> bool:
    """``check_values`` on the raw little-endian bits of a message's activations, in one
    pass over them and without decoding: True when every element is finite and of
    magnitude at most ``max_abs``. A False is explained by ``check_values``."""
    bits, mask, _ = _BITS[dtype]
    raw = np.frombuffer(data, dtype=np.dtype(bits).newbyteorder("<"))
    return raw.size == 0 or int((raw & mask).max()) <= magnitude_limit(dtype, max_abs)


def check_values(activations: npt.NDArray[np.float32], max_abs: float | None) -> None:
    """Every element finite and, with ``max_abs``, of magnitude at most ``max_abs``."""
    rows = activations.shape[0]
    peak = np.abs(activations).max(axis=1)  # NaN propagates
    finite = np.isfinite(peak)
    if not finite.all():
        bad = int(rows - np.count_nonzero(finite))
        raise BadBatch("non_finite", f"{bad} of {rows} rows contain NaN or infinite values", rows)
    if max_abs is not None:
        big = int(np.count_nonzero(peak > max_abs))
        if big:
            raise BadBatch(
                "magnitude",
                f"{big} of {rows} rows hold values beyond +-{max_abs:g}"
                f" (largest {float(peak.max()):.3g})",
                rows,
            )
