"""Several engine steps in one message per layer: the sidecar's work is per message.

On vLLM's CPU backend a decode step of a small model takes ~16 ms and carries a few rows,
one per running request. The sidecar's cost of a message hardly depends on its rows
(``llm-monitor bench sidecar`` on a 2-core host, shipped rules and trace store, 240
tokens/s: 495 us of CPU per token in 4-row messages, 283 in 12-row ones), and that CPU
is taken beside vLLM's scheduler. So the shipper gathers the steps that end within
``gather_s`` of the first one it holds (and whatever is already queued behind them) and
sends each layer's rows of consecutive steps as one batch.

Only rows that continue each other are joined: the same model and layer, the next batch
starting at the row offset where the previous one ends, no rows left out in between
(the sidecar reads row offsets to tell lost rows from sent ones). With several layers
captured a step's layers interleave in the offset space, so their batches stay apart.
A request whose positions go back (vLLM preempted it and computes it again) starts a new
batch: the sidecar orders a batch's rows by position, which would interleave the two
passes, where separate batches keep them one after the other as they ran.
A joined batch keeps the earliest step's times (its ``capture_to_score`` lag is that of
its oldest row), every request's rows in step order, and the finishes after all rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from monitor.plugin.batch import FINISHED_PER_BATCH, CapturedBatch

#: Steps gathered into one send at most.
MAX_STEPS = 64
#: Rows (all layers) held while gathering, at most: gathered steps keep their host buffers
#: until sent, and the pool holds a few full steps. A step reaching it ends the gather.
MAX_ROWS = 1024
#: Prompt tokens of started requests a joined batch carries at most: they all travel in
#: its first message, which must stay within the message size limit.
MAX_PROMPT_TOKENS = 1 << 16
#: Request ids, finishes, uncaptured notes and prompts a joined batch carries at most
#: (each list well below the sidecar's ``ingest.max_request_list``).
MAX_LABELS = FINISHED_PER_BATCH


@dataclass(frozen=True)
class Gather:
    """How long the shipper waits for more steps after the first it holds."""

    gather_s: float
    max_steps: int = MAX_STEPS
    max_rows: int = MAX_ROWS

    def __post_init__(self) -> None:
        if self.gather_s < 0:
            raise ValueError(f"gather_s must be >= 0, got {self.gather_s}")
        if self.max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {self.max_steps}")
        if self.max_rows < 1:
            raise ValueError(f"max_rows must be >= 1, got {self.max_rows}")

    def remaining_s(self, first_end_unix_ns: int, now_unix_s: float) -> float:
        """Seconds still to wait for more steps at ``now_unix_s``, counted from the first
        step's end (from now when unknown); never more than ``gather_s``."""
        if self.gather_s <= 0:
            return 0.0
        if first_end_unix_ns <= 0:
            return self.gather_s
        left = first_end_unix_ns / 1e9 + self.gather_s - now_unix_s
        return max(0.0, min(self.gather_s, left))


def carried(batch: CapturedBatch) -> tuple[int, int]:
    """What a batch carries beside its rows: (labels, prompt tokens of started requests)."""
    labels = (
        len(batch.request_ids)
        + len(batch.finished_request_ids)
        + len(batch.uncaptured)
        + len(batch.started)
    )
    return labels, sum(len(entry[1]) for entry in batch.started)


def continues(previous: CapturedBatch, batch: CapturedBatch) -> bool:
    """Whether ``batch``'s rows continue ``previous``'s (same model, layer and row shape,
    the next row offset, no rows left out between them)."""
    a, b = previous.activations, batch.activations
    return (
        batch.model_name == previous.model_name
        and batch.layer == previous.layer
        and batch.opted_out_rows == 0
        and batch.row_offset == previous.row_offset + previous.rows
        and a.dtype == b.dtype
        and a.device == b.device
        and a.shape[1:] == b.shape[1:]
    )


def position_bounds(batch: CapturedBatch) -> tuple[dict[str, int], dict[str, int]]:
    """Each request's lowest and highest position among the batch's rows."""
    index = np.asarray(batch.row_request, dtype=np.intp)
    positions = np.asarray(batch.positions, dtype=np.int64)
    n = len(batch.request_ids)
    lowest = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    highest = np.full(n, -1, dtype=np.int64)
    np.minimum.at(lowest, index, positions)
    np.maximum.at(highest, index, positions)
    present = [i for i in range(n) if highest[i] >= 0]
    ids = batch.request_ids
    return (
        {ids[i]: int(lowest[i]) for i in present},
        {ids[i]: int(highest[i]) for i in present},
    )


def goes_forward(reached: dict[str, int], lowest: dict[str, int]) -> bool:
    """Whether every request's rows start past the highest position it ``reached``."""
    return all(position > reached.get(request, -1) for request, position in lowest.items())


def runs(batches: Sequence[CapturedBatch]) -> list[list[CapturedBatch]]:
    """The batches cut into runs that may be joined, in their order: each continuing
    the one before, every request's positions going forward, within ``MAX_LABELS``
    labels and ``MAX_PROMPT_TOKENS`` prompt tokens."""
    out: list[list[CapturedBatch]] = []
    held = (0, 0)
    reached: dict[str, int] = {}
    for batch in batches:
        labels, prompts = carried(batch)
        lowest, highest = position_bounds(batch)
        if (
            out
            and continues(out[-1][-1], batch)
            and goes_forward(reached, lowest)
            and held[0] + labels <= MAX_LABELS
            and held[1] + prompts <= MAX_PROMPT_TOKENS
        ):
            out[-1].append(batch)
            held = (held[0] + labels, held[1] + prompts)
            reached.update(highest)
        else:
            out.append([batch])
            held = (labels, prompts)
            reached = highest
    return out


def join(run: Sequence[CapturedBatch]) -> CapturedBatch:
    """One batch with the rows and labels of a run (see ``runs``), in order."""
    if len(run) == 1:
        return run[0]
    index: dict[str, int] = {}
    row_request = []
    for batch in run:
        local = np.fromiter(
            (index.setdefault(r, len(index)) for r in batch.request_ids),
            dtype=np.uint32,
            count=len(batch.request_ids),
        )
        row_request.append(local[np.asarray(batch.row_request, dtype=np.intp)])
    first = run[0]
    return CapturedBatch(
        model_name=first.model_name,
        layer=first.layer,
        activations=torch.cat([b.activations for b in run]),
        row_offset=first.row_offset,
        request_ids=list(index),
        row_request=np.concatenate(row_request),
        positions=np.concatenate([b.positions for b in run]),
        token_ids=np.concatenate([b.token_ids for b in run]),
        finished_request_ids=list(
            itertools.chain.from_iterable(b.finished_request_ids for b in run)
        ),
        uncaptured=list(itertools.chain.from_iterable(b.uncaptured for b in run)),
        started=list(itertools.chain.from_iterable(b.started for b in run)),
        step_end_unix_ns=first.step_end_unix_ns,
        step_start_unix_ns=first.step_start_unix_ns,
        opted_out_rows=first.opted_out_rows,
    )


def coalesce(batches: Sequence[CapturedBatch]) -> list[CapturedBatch]:
    """The batches with every run of continuing ones joined into one."""
    return [join(run) for run in runs(batches)]
