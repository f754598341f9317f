"""Small statistics the benchmarks report: a bootstrap interval of a median, percentiles,
and goals checked against them. Pure functions of their inputs (and a seed)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

#: Resamples of the bootstrap (a percentile interval's ends settle well before this).
RESAMPLES = 10_000


@dataclass(frozen=True)
class Interval:
    """A median and its bootstrap confidence interval."""

    median: float
    low: float
    high: float
    confidence: float
    n: int

    def as_dict(self, digits: int = 4) -> dict[str, float | int]:
        return {
            "median": round(self.median, digits),
            "low": round(self.low, digits),
            "high": round(self.high, digits),
            "confidence": self.confidence,
            "n": self.n,
        }


def bootstrap_median(
    values: Sequence[float], confidence: float = 0.95, resamples: int = RESAMPLES, seed: int = 0
) -> Interval:
    """The median of ``values`` with a percentile-bootstrap interval: the medians of
    ``resamples`` resamples with replacement, cut at ``(1 - confidence) / 2`` on each side.
    The same values and seed give the same interval."""
    data = np.asarray(values, dtype=np.float64)
    if data.ndim != 1 or data.size == 0:
        raise ValueError("need at least one value")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, data.size, size=(resamples, data.size))
    medians = np.median(data[picks], axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(medians, [tail, 1.0 - tail])
    return Interval(float(np.median(data)), float(low), float(high), confidence, int(data.size))


def percentiles(values: Sequence[float], qs: Sequence[float] = (50, 99)) -> dict[str, float | None]:
    """``{"p50": ..., "p99": ...}`` (linear interpolation); None for no values."""
    data = np.asarray(values, dtype=np.float64)
    return {f"p{q:g}": (float(np.percentile(data, q)) if data.size else None) for q in qs}


def histogram_quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """The ``q`` quantile (0-1) of a Prometheus histogram from its cumulative bucket
    counts by upper bound (``inf`` included), interpolated linearly within the bucket it
    falls in, as PromQL's ``histogram_quantile`` does; the highest finite bound when it
    falls in the ``+Inf`` bucket; None for no observations."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be within [0, 1], got {q}")
    bounds = sorted(buckets)
    total = buckets[bounds[-1]] if bounds else 0.0
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower
            if count == below:
                return bound
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return lower


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator`` rounded to 4 places; None when either is missing or the
    denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return round(numerator / denominator, 4)


def goal(value: float | None, op: str, target: float) -> dict[str, object]:
    """A goal and whether ``value`` meets it (``op``: ``>=`` or ``<=``); ``met`` is None
    when the value could not be measured."""
    if op not in (">=", "<="):
        raise ValueError(f"op must be >= or <=, got {op!r}")
    met = None if value is None else (value >= target if op == ">=" else value <= target)
    return {"value": value, "goal": f"{op} {target:g}", "met": met}
