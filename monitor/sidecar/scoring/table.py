"""Every in-flight request's reading of one layer's probes, as arrays updated per batch.

:class:`~monitor.sidecar.scoring.reading.ProbeReader` reads one request under one probe
token by token; the scoring worker would call it once per request, probe and batch. A
``ReadingTable`` keeps the same state for all requests of a layer in arrays (one row per
request *slot*, one column per probe head) and reads a whole batch with a few numpy
operations: requests with one new token (decode steps) in one vectorised step, requests
with several (prompt chunks) one cumulative pass each.

The results are bit for bit those of ``ProbeReader``: every sum, maximum, EMA and rolling
mean is computed in float64 in the same order as the per-token loop (``np.cumsum`` and
``np.maximum.accumulate`` are sequential), so a threshold crossing never moves. Token
scores must lie in [0, 1] (the probes' sigmoid; ``finite_scores`` replaces the rest).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from monitor.sidecar.scoring.head_state import (
    BoolArray,
    FloatArray,
    HeadAggregation,
    IndexArray,
    IntArray,
    grown,
)
from monitor.sidecar.scoring.reading import ReadPlan

MIN_SLOTS = 64  # rows allocated at first; doubled when full


class ReadingTable:
    """The readings of every in-flight request under ``plans`` (one per probe, heads in
    the order of the layer's ``ProbeSet`` columns). Not thread-safe: the scoring worker
    owns it."""

    def __init__(self, plans: Sequence[ReadPlan]) -> None:
        self.plans = tuple(plans)
        heads = [(p, h) for p, plan in enumerate(self.plans) for h in range(len(plan.masks))]
        self.heads = len(heads)
        #: the first column (primary head) and the column after the last of each probe
        bounds = np.cumsum([0, *(len(plan.masks) for plan in self.plans)])
        self.first = tuple(int(b) for b in bounds[:-1])
        self._ends = tuple(int(b) for b in bounds[1:])
        self._single = all(b - a == 1 for a, b in zip(self.first, self._ends, strict=True))
        self._by_segment: BoolArray = np.ascontiguousarray(
            np.stack([self.plans[p].masks[h] for p, h in heads], axis=1)
        )  # [segments, heads]
        self._sentence_end: BoolArray = np.array(
            [self.plans[p].sentence_end[h] for p, h in heads], dtype=np.bool_
        )
        self._any_sentence_end = bool(self._sentence_end.any())
        self._waits: BoolArray = np.array([self.plans[p].waits[h] for p, h in heads], np.bool_)
        self._any_waits = bool(self._waits.any())
        settings: dict[tuple[str, float, int], list[int]] = {}
        for column, (p, h) in enumerate(heads):
            agg = self.plans[p].aggregations[h]
            alpha = agg.alpha if agg.method == "ema" else 0.0
            window = agg.window if agg.method == "max_rolling_mean" else 0
            settings.setdefault((agg.method, alpha, window), []).append(column)
        slots = MIN_SLOTS
        self._aggs = [
            HeadAggregation(method, columns, alpha, window, slots)
            for (method, alpha, window), columns in settings.items()
        ]
        self._count: IntArray = np.zeros((slots, self.heads), dtype=np.int64)  # per head
        # tokens read per probe (by any head); with one head per probe, ``_count`` itself
        self._read: IntArray = np.zeros((slots, 0 if self._single else len(self.plans)), np.int64)
        self._done: BoolArray = np.zeros(slots, dtype=np.bool_)
        self._free: list[int] = []
        self._used = 0

    def __len__(self) -> int:
        """Slots in use."""
        return self._used - len(self._free)

    # -- slots -----------------------------------------------------------------------

    def add(self) -> int:
        """A fresh slot (a request that has read nothing yet)."""
        if self._free:
            slot = self._free.pop()
        else:
            slot = self._used
            self._used += 1
            self.reserve(self._used)
        self.clear(np.array([slot], dtype=np.intp))
        return slot

    def reserve(self, slots: int) -> None:
        """Room for slots ``0 .. slots - 1`` (for callers that number slots themselves)."""
        size = self._done.shape[0]
        if slots > size:
            while size < slots:
                size *= 2
            self._grow(size)

    def clear(self, slots: IndexArray) -> None:
        """Reset slots to a request that has read nothing yet."""
        self._count[slots] = 0
        self._read[slots] = 0
        self._done[slots] = False
        for agg in self._aggs:
            agg.reset(slots)

    def remove(self, slot: int) -> None:
        """Give a slot back (its request ended)."""
        self._free.append(slot)

    def _grow(self, slots: int) -> None:
        self._count = grown(self._count, slots)
        self._read = grown(self._read, slots)
        self._done = grown(self._done, slots)
        for agg in self._aggs:
            agg.grow(slots)

    # -- per request -----------------------------------------------------------------

    def values(self, slot: int) -> list[float]:
        """Each probe's request score so far (``ProbeReader.value``)."""
        heads = [0.0] * self.heads
        done = bool(self._done[slot])
        for agg in self._aggs:
            for j, column in enumerate(agg.columns.tolist()):
                n = int(self._count[slot, column])
                if n and (done or not self._waits[column]):
                    heads[column] = agg.value_of(slot, j, n)
        out = []
        for p, plan in enumerate(self.plans):
            own = heads[self.first[p] : self._ends[p]]
            out.append(max(own) if plan.combine_max else sum(own) / len(own))
        return out

    def counts(self, slot: int) -> list[int]:
        """Tokens each probe has read (by any head) so far (``ProbeReader.count``)."""
        return [int(c) for c in (self._count if self._single else self._read)[slot]]

    # -- per batch -------------------------------------------------------------------

    def in_scope(self, segments: npt.NDArray[np.int8], sentence_end: BoolArray) -> BoolArray:
        """``[rows, heads]``: which head reads which token."""
        mask: BoolArray = self._by_segment[segments]
        if self._any_sentence_end:
            mask &= sentence_end[:, None] | ~self._sentence_end
        return mask

    def read(
        self,
        slots: IndexArray,
        starts: IndexArray,
        lengths: IndexArray,
        scores: npt.NDArray[np.float32],
        mask: BoolArray,
        prompt_done: BoolArray,
        running: FloatArray,
        counts: IntArray,
    ) -> None:
        """Feed the tokens of some requests: request ``i`` (slot ``slots[i]``, each slot at
        most once) owns rows ``starts[i] : starts[i] + lengths[i]``, in position order.
        ``scores`` are ``[rows, heads]``, ``mask`` is :meth:`in_scope`, ``prompt_done[r]``
        says the prompt is complete at row r. Each probe's request score and read count
        after each of those rows go to ``running`` / ``counts`` (``[probes, rows]``)."""
        one = lengths == 1
        if one.all():
            rows = starts
            self._step(slots, rows, scores, mask, prompt_done, running, counts)
            return
        if one.any():
            self._step(slots[one], starts[one], scores, mask, prompt_done, running, counts)
        for slot, start, length in zip(
            slots[~one].tolist(), starts[~one].tolist(), lengths[~one].tolist(), strict=True
        ):
            if length:
                self._run(slot, start, start + length, scores, mask, prompt_done, running, counts)

    def _step(
        self,
        slots: IndexArray,
        rows: IndexArray,
        scores: npt.NDArray[np.float32],
        mask: BoolArray,
        prompt_done: BoolArray,
        running: FloatArray,
        counts: IntArray,
    ) -> None:
        """One token each for distinct slots."""
        take: slice | IndexArray = slice(None) if rows.shape[0] == scores.shape[0] else rows
        x = scores[take].astype(np.float64)
        m = mask[take]
        before = self._count[slots]
        after = before + m
        self._count[slots] = after
        if len(self._aggs) == 1:
            heads = self._aggs[0].step(slots, x, m, before, after)
        else:
            heads = np.empty_like(x)
            for agg in self._aggs:
                c = agg.take
                heads[:, c] = agg.step(slots, x[:, c], m[:, c], before[:, c], after[:, c])
        done = self._done[slots] | prompt_done[take]
        self._done[slots] = done
        gate = after > 0
        if self._any_waits:
            gate &= done[:, None] | ~self._waits
        heads = np.where(gate, heads, 0.0)
        if self._single:
            total = after
        else:
            total = self._read[slots] + self._probe_reads(m)
            self._read[slots] = total
        running[:, take] = self._combine(heads).T
        counts[:, take] = total.T

    def _run(
        self,
        slot: int,
        start: int,
        stop: int,
        scores: npt.NDArray[np.float32],
        mask: BoolArray,
        prompt_done: BoolArray,
        running: FloatArray,
        counts: IntArray,
    ) -> None:
        """Several tokens of one slot, each aggregate one cumulative pass."""
        x = scores[start:stop].astype(np.float64)
        m = mask[start:stop]
        before = self._count[slot].copy()
        after = before + np.cumsum(m, axis=0)
        self._count[slot] = after[-1]
        heads = np.empty_like(x)
        for agg in self._aggs:
            c = agg.take
            heads[:, c] = agg.run(slot, x[:, c], m[:, c], before[c], after[:, c])
        done = self._done[slot] | np.logical_or.accumulate(prompt_done[start:stop])
        self._done[slot] = done[-1]
        heads = np.where((after > 0) & (done[:, None] | ~self._waits), heads, 0.0)
        if self._single:
            total = after
        else:
            total = self._read[slot] + np.cumsum(self._probe_reads(m), axis=0)
            self._read[slot] = total[-1]
        running[:, start:stop] = self._combine(heads).T
        counts[:, start:stop] = total.T

    def _probe_reads(self, mask: BoolArray) -> IntArray:
        """``[rows, probes]``: whether any head of the probe read the token."""
        if self._single:
            return mask.astype(np.int64)
        return np.stack(
            [mask[:, a:b].any(axis=1) for a, b in zip(self.first, self._ends, strict=True)],
            axis=1,
        ).astype(np.int64)

    def _combine(self, heads: FloatArray) -> FloatArray:
        """``[rows, probes]`` request scores from ``[rows, heads]`` head values."""
        if self._single:
            return heads
        out = np.empty((heads.shape[0], len(self.plans)))
        for p, plan in enumerate(self.plans):
            a, b = self.first[p], self._ends[p]
            if plan.combine_max:
                out[:, p] = heads[:, a:b].max(axis=1)
            else:
                total = heads[:, a]
                for column in range(a + 1, b):
                    total = total + heads[:, column]
                out[:, p] = total / (b - a)
        return out
