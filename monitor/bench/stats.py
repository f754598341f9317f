"""Small statistics the benchmarks report: a bootstrap interval of a median, percentiles,
and goals checked against them. Pure functions of their inputs (and a seed)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
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


def rounded_percentiles(values: Sequence[float], digits: int = 2) -> dict[str, float | None]:
    """:func:`percentiles`, rounded (as the benchmarks print them)."""
    return {k: None if v is None else round(v, digits) for k, v in percentiles(values).items()}


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


def bootstrap_quantile_ratio(
    numerator: Sequence[Sequence[float]],
    denominator: Sequence[Sequence[float]],
    q: float,
    confidence: float = 0.95,
    resamples: int = 2_000,
    seed: int = 0,
) -> Interval:
    """The ratio of the ``q`` percentile (0-100) of two pooled samples, with a
    percentile-bootstrap interval that resamples whole groups (requests) with
    replacement on each side: values of one request (its inter-token gaps) are not
    independent, so resampling them one by one would make the interval too narrow.
    ``median`` is the ratio of the pooled samples themselves, ``n`` the groups of the
    smaller side. The same groups and seed give the same interval."""
    _check_confidence(confidence)
    sides = [_groups(numerator, "numerator"), _groups(denominator, "denominator")]

    def draw(rng: np.random.Generator) -> list[np.ndarray]:
        return [rng.integers(0, b.size - 1, size=b.size - 1) for _, b in sides]

    groups = min(bounds.size - 1 for _, bounds in sides)
    return _ratio_interval(sides, draw, q, confidence, resamples, seed, int(groups))


def _groups(groups: Sequence[Sequence[float]], side: str) -> tuple[np.ndarray, np.ndarray]:
    """The groups' values concatenated, and where each group starts (plus the end)."""
    kept = [np.asarray(g, dtype=np.float64) for g in groups if len(g)]
    if not kept:
        raise ValueError(f"the {side} has no values")
    sizes = np.array([g.size for g in kept])
    return np.concatenate(kept), np.concatenate([[0], np.cumsum(sizes)])


def bootstrap_paired_quantile_ratio(
    numerator: Sequence[Sequence[float]],
    denominator: Sequence[Sequence[float]],
    q: float,
    confidence: float = 0.95,
    resamples: int = 2_000,
    seed: int = 0,
) -> Interval:
    """As :func:`bootstrap_quantile_ratio`, but the groups come in pairs (group ``i`` of
    each side measured at the same time, e.g. a benchmark's rounds) and each resample
    draws the same pairs on both sides, so what both sides lived through together (a
    slow spell of the host) stays together. ValueError when the sides differ in length
    or a side has no values."""
    _check_confidence(confidence)
    if len(numerator) != len(denominator):
        raise ValueError(f"unpaired groups: {len(numerator)} and {len(denominator)}")
    pairs = [(a, b) for a, b in zip(numerator, denominator, strict=True) if len(a) and len(b)]
    sides = [
        _groups([a for a, _ in pairs], "numerator"),
        _groups([b for _, b in pairs], "denominator"),
    ]

    def draw(rng: np.random.Generator) -> list[np.ndarray]:
        picks = rng.integers(0, len(pairs), size=len(pairs))
        return [picks, picks]

    return _ratio_interval(sides, draw, q, confidence, resamples, seed, len(pairs))


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")


def _ratio_interval(
    sides: list[tuple[np.ndarray, np.ndarray]],
    draw: Callable[[np.random.Generator], list[np.ndarray]],
    q: float,
    confidence: float,
    resamples: int,
    seed: int,
    n: int,
) -> Interval:
    """The pooled ``q`` percentile ratio of two sides (values, group bounds) and its
    percentile-bootstrap interval, each resample taking the groups ``draw`` picks per side."""
    point = [float(np.percentile(values, q)) for values, _ in sides]
    if point[1] == 0:
        raise ValueError("the denominator's percentile is 0")
    rng = np.random.default_rng(seed)
    ratios = np.empty(resamples)
    for i in range(resamples):
        num, den = (
            float(np.percentile(_take(values, bounds, picks), q))
            for (values, bounds), picks in zip(sides, draw(rng), strict=True)
        )
        ratios[i] = num / den if den else np.inf
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(ratios, [tail, 1.0 - tail])
    return Interval(point[0] / point[1], float(low), float(high), confidence, n)


def _take(values: np.ndarray, bounds: np.ndarray, picks: np.ndarray) -> np.ndarray:
    """The values of groups ``picks`` (indices, repeats allowed), concatenated."""
    starts, sizes = bounds[picks], bounds[picks + 1] - bounds[picks]
    # index of each value: its group's start plus its place within the group
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)
    return values[offsets + np.arange(sizes.sum())]
