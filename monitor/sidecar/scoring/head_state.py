"""The aggregation state of many requests' probe heads, as arrays (``[slots, heads]``).

Each method of :mod:`monitor.artifacts.aggregation` again, for a column block of a
:class:`~monitor.sidecar.scoring.table.ReadingTable`: :meth:`HeadAggregation.step` feeds
one token to each of many slots, :meth:`HeadAggregation.run` several tokens to one slot.
Both compute what the aggregator's ``update`` computes, in the same float64 operations in
the same order, so the values are identical to the per-token loop's.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
IndexArray = npt.NDArray[np.intp]

_T = TypeVar("_T", bound=np.generic)


def grown(array: npt.NDArray[_T], slots: int) -> npt.NDArray[_T]:
    """``array`` with ``slots`` rows (the new ones zero)."""
    out = np.zeros((slots, *array.shape[1:]), dtype=array.dtype)
    out[: array.shape[0]] = array
    return out


def _contiguous(columns: list[int]) -> slice | IndexArray:
    """``columns`` as a slice when they are a contiguous ascending run."""
    if columns == list(range(columns[0], columns[0] + len(columns))):
        return slice(columns[0], columns[0] + len(columns))
    return np.asarray(columns, dtype=np.intp)


class HeadAggregation:
    """The heads (table ``columns``) sharing one aggregation setting, and their state.

    ``value`` is the running sum (mean), maximum (max), EMA (ema) or window sum
    (max_rolling_mean); the rolling mean also keeps its best window mean and a ring of
    its last ``window`` scores. How many tokens each head has read is the table's.
    """

    def __init__(
        self, method: str, columns: list[int], alpha: float, window: int, slots: int
    ) -> None:
        self.method = method
        self.columns: IndexArray = np.asarray(columns, dtype=np.intp)
        self.take = _contiguous(columns)  # the columns, as a slice when contiguous
        self.alpha = alpha
        self.window = window
        heads = len(columns)
        self.value: FloatArray = np.zeros((slots, heads))
        rolling = method == "max_rolling_mean"
        self.best: FloatArray = np.zeros((slots, heads) if rolling else (0, heads))
        self.recent: FloatArray = np.zeros((slots, heads, window) if rolling else (0, heads, 0))

    def grow(self, slots: int) -> None:
        self.value = grown(self.value, slots)
        if self.method == "max_rolling_mean":
            self.best = grown(self.best, slots)
            self.recent = grown(self.recent, slots)

    def reset(self, slots: IndexArray) -> None:
        self.value[slots] = 0.0
        if self.method == "max_rolling_mean":
            self.best[slots] = 0.0

    def value_of(self, slot: int, j: int, n: int) -> float:
        """Head ``j``'s aggregate in ``slot`` after ``n`` > 0 tokens (``Aggregator.value``)."""
        total = float(self.value[slot, j])
        if self.method == "mean":
            return total / n
        if self.method == "max_rolling_mean":
            return total / n if n < self.window else float(self.best[slot, j])
        return total

    def step(
        self, slots: IndexArray, xc: FloatArray, mc: BoolArray, n0: IntArray, n1: IntArray
    ) -> FloatArray:
        """One token per slot (``xc`` scores, ``mc`` read or not, ``n0`` / ``n1`` tokens
        read before / after): the heads' values after it."""
        state = self.value[slots]
        if self.method == "mean":
            new = np.where(mc, state + xc, state)
            value = new / np.maximum(n1, 1)
        elif self.method == "max":
            new = value = np.where(mc & ((n0 == 0) | (xc > state)), xc, state)
        elif self.method == "ema":
            a = self.alpha
            new = value = np.where(mc, np.where(n0 == 0, xc, a * xc + (1.0 - a) * state), state)
        else:
            new, value = self._rolling_step(slots, xc, mc, n0, n1, state)
        self.value[slots] = new
        return value

    def _rolling_step(
        self,
        slots: IndexArray,
        xc: FloatArray,
        mc: BoolArray,
        n0: IntArray,
        n1: IntArray,
        state: FloatArray,
    ) -> tuple[FloatArray, FloatArray]:
        """``MaxRollingMeanAggregator.update`` of one token per slot."""
        w = self.window
        where = n0 % w
        cols = np.arange(xc.shape[1])[None, :]
        old = self.recent[slots[:, None], cols, where]
        added = state + xc
        new = np.where(mc, np.where(n0 >= w, added - old, added), state)
        hit = np.nonzero(mc)
        self.recent[slots[hit[0]], hit[1], where[hit]] = xc[hit]
        mean = new / w
        best = self.best[slots]
        best = np.where(mc & (n1 >= w) & ((n1 == w) | (mean > best)), mean, best)
        self.best[slots] = best
        return new, np.where(n1 < w, new / np.maximum(n1, 1), best)

    def run(
        self, slot: int, xc: FloatArray, mc: BoolArray, before: IntArray, n1: IntArray
    ) -> FloatArray:
        """Several tokens of one slot (``before``: tokens read until then, ``n1`` after
        each token): the heads' values after each token. Mean and max in one cumulative
        pass (sequential, as the loop adds), EMA and rolling mean in the loop itself."""
        state = self.value[slot].copy()
        if self.method == "mean":
            seq = np.concatenate([state[None, :], np.where(mc, xc, 0.0)])
            sums = np.cumsum(seq, axis=0)[1:]
            self.value[slot] = sums[-1]
            out: FloatArray = sums / np.maximum(n1, 1)
            return out
        if self.method == "max":
            first = np.where(before > 0, state, -np.inf)
            seq = np.concatenate([first[None, :], np.where(mc, xc, -np.inf)])
            peak: FloatArray = np.maximum.accumulate(seq, axis=0)[1:]
            self.value[slot] = np.where(n1[-1] > 0, peak[-1], state)
            return peak
        return self._run_loop(slot, xc, mc, before)

    def _run_loop(self, slot: int, xc: FloatArray, mc: BoolArray, before: IntArray) -> FloatArray:
        """EMA or rolling-mean heads over several tokens: the aggregators' own loop."""
        out = np.zeros_like(xc)
        for j in range(xc.shape[1]):
            n = int(before[j])
            value = float(self.value[slot, j])
            if self.method == "ema":
                a = self.alpha
                for i in range(xc.shape[0]):
                    if mc[i, j]:
                        s = float(xc[i, j])
                        value = s if n == 0 else a * s + (1.0 - a) * value
                        n += 1
                    out[i, j] = value
            else:
                w = self.window
                best = float(self.best[slot, j])
                ring = self.recent[slot, j]
                for i in range(xc.shape[0]):
                    if mc[i, j]:
                        s = float(xc[i, j])
                        value += s
                        if n >= w:
                            value -= float(ring[n % w])
                        ring[n % w] = s
                        n += 1
                        if n >= w:
                            mean = value / w
                            if n == w or mean > best:
                                best = mean
                    out[i, j] = (value / n if n < w else best) if n else 0.0
                self.best[slot, j] = best
            self.value[slot, j] = value
        return out
