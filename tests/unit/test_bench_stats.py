"""The benchmarks' statistics: bootstrap interval of a median, percentiles, goals."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.bench.stats import bootstrap_median, goal, percentiles, ratio


def _ratios(n: int, seed: int = 1) -> list[float]:
    return list(np.random.default_rng(seed).normal(0.99, 0.03, size=n))


def test_the_interval_contains_the_median_and_lies_within_the_data() -> None:
    values = _ratios(12)
    interval = bootstrap_median(values)
    assert interval.median == pytest.approx(float(np.median(values)))
    assert min(values) <= interval.low <= interval.median <= interval.high <= max(values)
    assert interval.low < interval.high
    assert interval.n == 12 and interval.confidence == 0.95


def test_the_interval_narrows_with_more_rounds() -> None:
    widths = [(lambda i: i.high - i.low)(bootstrap_median(_ratios(n))) for n in (10, 40, 160)]
    assert widths[0] > widths[1] > widths[2]


def test_the_same_seed_gives_the_same_interval() -> None:
    values = _ratios(15)
    assert bootstrap_median(values, seed=3) == bootstrap_median(values, seed=3)
    assert bootstrap_median(values, seed=3) == bootstrap_median(list(values), seed=3)


def test_a_lower_confidence_gives_a_narrower_interval() -> None:
    values = _ratios(20)
    wide, narrow = bootstrap_median(values, 0.95), bootstrap_median(values, 0.5)
    assert narrow.high - narrow.low < wide.high - wide.low


def test_constant_values_give_a_point_and_bad_input_is_refused() -> None:
    interval = bootstrap_median([1.0] * 10)
    assert (interval.low, interval.median, interval.high) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="at least one"):
        bootstrap_median([])
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_median([1.0, 2.0], confidence=1.0)


def test_percentiles_ratios_and_goals() -> None:
    assert percentiles(list(range(101))) == {"p50": 50.0, "p99": 99.0}
    assert percentiles([]) == {"p50": None, "p99": None}
    assert ratio(1.0, 4.0) == 0.25 and ratio(None, 1.0) is None and ratio(1.0, 0.0) is None
    assert goal(0.995, ">=", 0.99)["met"] is True
    assert goal(1.05, "<=", 1.02) == {"value": 1.05, "goal": "<= 1.02", "met": False}
    assert goal(None, "<=", 1.0)["met"] is None
    with pytest.raises(ValueError, match="op"):
        goal(1.0, "==", 1.0)
