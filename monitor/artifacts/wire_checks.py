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
