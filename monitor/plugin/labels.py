"""Label the flat rows of one engine step with their requests (pure logic).

vLLM lays the tokens of a step out as one flat batch: the scheduled tokens of each
request, contiguous, in the model runner's batch order. Given that order, the number
of tokens scheduled per request and how many each had computed before, every row's
request and position follow. The positions the capture itself recorded are checked
against them, so a wrong order or a stale sink is caught instead of mislabelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


class LabelMismatch(Exception):
    """The captured positions disagree with the scheduler's view of the step."""


@dataclass(frozen=True)
class StepLabels:
    """Per-row labels of one step."""

    request_ids: list[str]  # the step's requests, in row order
    row_request: np.ndarray  # [n] uint32 index into request_ids
    positions: np.ndarray  # [n] uint32


def label_rows(
    order: Sequence[str],
    num_scheduled: Mapping[str, int],
    num_computed: Mapping[str, int],
    captured_positions: np.ndarray,
) -> StepLabels:
    """Label ``len(captured_positions)`` rows; raise LabelMismatch if they disagree."""
    request_ids = [r for r in order if num_scheduled.get(r, 0) > 0]
    counts = np.fromiter((num_scheduled[r] for r in request_ids), dtype=np.int64)
    total = int(counts.sum()) if counts.size else 0
    n = int(captured_positions.shape[0])
    if total != n:
        raise LabelMismatch(f"scheduler has {total} tokens for the step, capture has {n}")
    missing = [r for r in request_ids if r not in num_computed]
    if missing:
        raise LabelMismatch(f"no computed-token count for request {missing[0]!r}")
    starts = np.fromiter((num_computed[r] for r in request_ids), dtype=np.int64)
    row_request = np.repeat(np.arange(len(request_ids), dtype=np.uint32), counts)
    segment_start = np.repeat(np.cumsum(counts) - counts, counts)
    expected = np.repeat(starts, counts) + (np.arange(n, dtype=np.int64) - segment_start)
    if not np.array_equal(expected, captured_positions.astype(np.int64)):
        bad = int(np.argmax(expected != captured_positions))
        raise LabelMismatch(
            f"row {bad}: scheduler expects position {int(expected[bad])}, "
            f"capture recorded {int(captured_positions[bad])}"
        )
    return StepLabels(
        request_ids=request_ids,
        row_request=row_request,
        positions=expected.astype(np.uint32),
    )
