"""What the scoring worker keeps per in-flight request, and the per-batch helpers it uses."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from monitor.artifacts.segments import Segment, SegmentArray
from monitor.sidecar.scoring.reading import ProbeReader, ReadPlan


@dataclass
class RequestState:
    """What the pipeline keeps per in-flight request."""

    last_seen: float
    rows: int = 0
    readers: dict[str, ProbeReader] = field(default_factory=dict)
    uncaptured: dict[str, int] = field(default_factory=dict)
    prompt: SegmentArray | None = None  # segments of the prompt, once the request started
    tenant: str = ""  # the tenant tag its start carried ('' when none)

    def reader(self, concept: str, plan: ReadPlan) -> ProbeReader:
        reader = self.readers.get(concept)
        if reader is None:
            reader = self.readers[concept] = ProbeReader(plan)
        return reader

    def prompt_done(self, positions: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_] | None:
        """Whether the prompt is complete at each position (None without the prompt)."""
        if self.prompt is None:
            return None
        return positions >= self.prompt.shape[0] - 1

    def segments(self, positions: npt.NDArray[np.int64]) -> SegmentArray:
        """The segment of each position (unknown without the request's prompt)."""
        if self.prompt is None:
            return np.full(positions.shape[0], int(Segment.UNKNOWN), dtype=np.int8)
        n = self.prompt.shape[0]
        inside = positions < n
        out = np.full(positions.shape[0], int(Segment.REPLY), dtype=np.int8)
        out[inside] = self.prompt[positions[inside]]
        return out


NON_FINITE_SCORE = 1.0
"""The score a NaN or infinite token score is read as."""


def finite_scores(
    scores: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_] | None]:
    """``scores`` with every NaN or infinite entry replaced by ``NON_FINITE_SCORE`` (1.0),
    and the mask of the replaced entries (None when all were finite).

    The ingest rejects activations that are not finite or beyond a magnitude bound, so
    this should not happen; it is the last line of defence. A non-finite score must not
    reach the aggregates: NaN compares false against every threshold, so a request with
    one NaN token score could never fire a rule (an evasion), and one NaN observed into a
    histogram makes its ``_sum`` NaN for the life of the process. The maximum score is
    the conservative reading: a request that breaks the probe arithmetic is treated as
    the most suspicious one, alerts if a rule watches it, and is counted in
    ``llm_monitor_non_finite_scores_total{concept}``.
    """
    bad = ~np.isfinite(scores)
    if not bad.any():
        return scores, None
    return np.where(bad, np.float32(NON_FINITE_SCORE), scores).astype(np.float32), bad


def group_rows(row_request: npt.NDArray[np.int64]) -> list[npt.NDArray[np.intp]]:
    """Row indices grouped by request index, each group in original row order."""
    order = np.argsort(row_request, kind="stable")
    cuts = np.flatnonzero(np.diff(row_request[order])) + 1
    return np.split(order, cuts)
