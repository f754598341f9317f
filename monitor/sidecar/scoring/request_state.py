"""What the scoring worker keeps per in-flight request, and the per-batch helpers it uses."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from monitor.artifacts.segments import Segment, SegmentArray

IndexArray = npt.NDArray[np.intp]


@dataclass(eq=False)  # identity: a batch's states are searched for None by ``in``
class RequestState:
    """What the pipeline keeps per in-flight request (its probe readings live in the
    layers' :class:`~monitor.sidecar.scoring.table.ReadingTable`, at ``slots[layer]``)."""

    last_seen: float
    rows: int = 0
    slots: dict[int, int] = field(default_factory=dict)  # layer -> slot in its table
    uncaptured: dict[str, int] = field(default_factory=dict)
    prompt: SegmentArray | None = None  # segments of the prompt, once the request started
    prompt_length: int = -1  # the prompt's tokens; -1 while it has none
    tenant: str = ""  # the tenant tag its start carried ('' when none)

    def set_prompt(self, prompt: SegmentArray) -> None:
        """The segments of the request's prompt (once it started)."""
        self.prompt = prompt
        self.prompt_length = int(prompt.shape[0])


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


@dataclass(frozen=True)
class RowGroups:
    """A batch's rows grouped by request: ``order`` sorts the rows by request index, then
    position (stable); group ``g`` is sorted rows ``starts[g] : starts[g] + lengths[g]``,
    of request index ``request[g]``. Groups come in request index order."""

    order: IndexArray
    starts: IndexArray
    lengths: IndexArray
    request: IndexArray

    def __len__(self) -> int:
        return int(self.starts.shape[0])


def group_rows(row_request: npt.NDArray[np.int64], positions: npt.NDArray[np.int64]) -> RowGroups:
    """The batch's rows grouped by request, each group in position order."""
    rows = int(row_request.shape[0])
    order = np.lexsort((positions, row_request)).astype(np.intp, copy=False)
    requests = row_request[order]
    cuts = np.flatnonzero(requests[1:] != requests[:-1]) + 1
    starts = np.concatenate(([0], cuts)).astype(np.intp) if rows else cuts.astype(np.intp)
    lengths = np.diff(np.append(starts, rows)).astype(np.intp)
    return RowGroups(order, starts, lengths, requests[starts].astype(np.intp))


def prompt_segments(
    states: list[RequestState | None],
    groups: RowGroups,
    positions: npt.NDArray[np.int64],
) -> tuple[SegmentArray, npt.NDArray[np.bool_]]:
    """The segment of each sorted row, and whether its request's prompt is complete there
    (True for requests without a known prompt, whose segments are unknown; a request's
    own tokens after its prompt are its reply)."""
    rows = int(positions.shape[0])
    lengths = np.array([-1 if s is None else s.prompt_length for s in states], dtype=np.int64)
    segments = np.full(rows, int(Segment.UNKNOWN), dtype=np.int8)
    done = np.ones(rows, dtype=np.bool_)
    if not (lengths >= 0).any():
        return segments, done
    per_row = np.repeat(lengths, groups.lengths)
    known = per_row >= 0
    segments[known] = int(Segment.REPLY)
    done[known] = positions[known] >= per_row[known] - 1
    inside = known & (positions < per_row)
    if inside.any():
        owners = np.repeat(np.arange(len(groups)), groups.lengths)
        for g in np.unique(owners[inside]).tolist():
            state = states[g]
            prompt = state.prompt if state is not None else None
            assert prompt is not None
            a = int(groups.starts[g])
            b = a + int(groups.lengths[g])
            pos = positions[a:b]
            within = pos < prompt.shape[0]
            segments[a:b][within] = prompt[pos[within]]
    return segments, done
