"""The benchmarks' statistics: bootstrap intervals of a median and of a ratio of
percentiles, percentiles, goals."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.bench.stats import (
    bootstrap_median,
    bootstrap_paired_quantile_ratio,
    bootstrap_quantile_ratio,
    goal,
    histogram_quantile,
    percentiles,
    ratio,
)


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


def test_histogram_quantile_interpolates_within_the_bucket_as_promql_does() -> None:
    buckets = {0.001: 0.0, 0.005: 10.0, 0.01: 60.0, 0.025: 100.0, float("inf"): 100.0}
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.009)  # 40 of 50 into (5, 10] ms
    assert histogram_quantile(0.99, buckets) == pytest.approx(0.024625)
    assert histogram_quantile(0.05, buckets) == pytest.approx(0.003)  # the first bucket from 0 up
    tail = {0.1: 90.0, float("inf"): 100.0}
    assert histogram_quantile(0.99, tail) == 0.1  # in +Inf: the highest finite bound
    assert histogram_quantile(0.5, {0.1: 0.0, float("inf"): 0.0}) is None
    with pytest.raises(ValueError, match="q must be"):
        histogram_quantile(99, buckets)


def test_histogram_quantile_agrees_with_the_samples_to_a_bucket() -> None:
    bounds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, float("inf")]
    lags = np.random.default_rng(3).lognormal(mean=np.log(0.02), sigma=0.8, size=5000)
    buckets = {b: float(np.count_nonzero(lags <= b)) for b in bounds}
    for q in (0.5, 0.9, 0.99):
        exact = float(np.quantile(lags, q))
        upper = min(b for b in bounds if b >= exact)
        lower = max([0.0] + [b for b in bounds if b < exact])
        estimate = histogram_quantile(q, buckets)
        assert estimate is not None and lower <= estimate <= upper


def _requests(n: int, scale: float, seed: int, tokens: int = 40) -> list[list[float]]:
    """``n`` requests' inter-token gaps: a per-request level (its batch) times noise."""
    rng = np.random.default_rng(seed)
    return [list(scale * rng.gamma(20, 1.0) * rng.gamma(8, 1 / 8, tokens)) for _ in range(n)]


def test_a_quantile_ratio_is_the_pooled_one_and_its_interval_covers_the_truth() -> None:
    slow, base = _requests(120, 1.1, seed=1), _requests(120, 1.0, seed=2)
    for q in (50, 99):
        interval = bootstrap_quantile_ratio(slow, base, q, resamples=500)
        pooled = np.percentile(np.concatenate(slow), q) / np.percentile(np.concatenate(base), q)
        assert interval.median == pytest.approx(pooled)
        assert interval.low < interval.median < interval.high
        assert interval.low < 1.1 < interval.high  # the ratio the data were drawn with
        assert interval.n == 120


def test_resampling_requests_not_tokens_keeps_a_requests_tokens_together() -> None:
    """Tokens of one request share its level: the interval must be as wide as the
    number of requests allows, not as narrow as the number of tokens would suggest."""
    few = bootstrap_quantile_ratio(
        _requests(10, 1.0, 3, tokens=400), _requests(10, 1.0, 4, tokens=400), 50, resamples=500
    )
    many = bootstrap_quantile_ratio(
        _requests(400, 1.0, 3, tokens=10), _requests(400, 1.0, 4, tokens=10), 50, resamples=500
    )
    assert few.high - few.low > 2 * (many.high - many.low)


def test_a_quantile_ratio_is_seeded_and_refuses_empty_sides() -> None:
    a, b = _requests(20, 1.0, 5), _requests(20, 1.0, 6)
    assert bootstrap_quantile_ratio(a, b, 99, resamples=200, seed=3) == bootstrap_quantile_ratio(
        a, b, 99, resamples=200, seed=3
    )
    with pytest.raises(ValueError, match="numerator"):
        bootstrap_quantile_ratio([[], []], b, 50)
    with pytest.raises(ValueError, match="denominator"):
        bootstrap_quantile_ratio(a, [], 50)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_quantile_ratio(a, b, 50, confidence=1.0)


def _rounds(levels: np.ndarray, scale: float, seed: int, tokens: int = 300) -> list[list[float]]:
    """Rounds' inter-token gaps: each round's host level (shared by both sides) times noise."""
    rng = np.random.default_rng(seed)
    return [list(scale * level * rng.gamma(8, 1 / 8, tokens)) for level in levels]


def test_paired_rounds_keep_what_both_sides_lived_through_together() -> None:
    """Rounds differ a lot (the host's slow spells) but each hits both sides alike: drawing
    the same rounds on both sides cancels that, drawing them apart does not."""
    levels = np.random.default_rng(7).gamma(3, 1 / 3, 8)
    slow, base = _rounds(levels, 1.1, seed=8), _rounds(levels, 1.0, seed=9)
    paired = bootstrap_paired_quantile_ratio(slow, base, 50, resamples=500)
    apart = bootstrap_quantile_ratio(slow, base, 50, resamples=500)
    pooled = np.percentile(np.concatenate(slow), 50) / np.percentile(np.concatenate(base), 50)
    assert paired.median == pytest.approx(pooled)
    assert paired.low < 1.1 < paired.high
    assert paired.n == 8
    assert paired.high - paired.low < (apart.high - apart.low) / 2


def test_paired_rounds_refuse_unpaired_or_empty_sides() -> None:
    a, b = _requests(4, 1.0, 5), _requests(5, 1.0, 6)
    with pytest.raises(ValueError, match="unpaired"):
        bootstrap_paired_quantile_ratio(a, b, 50)
    with pytest.raises(ValueError, match="numerator"):
        bootstrap_paired_quantile_ratio([[], []], b[:2], 50)
    assert bootstrap_paired_quantile_ratio(a, b[:4], 99, seed=1) == (
        bootstrap_paired_quantile_ratio(a, b[:4], 99, seed=1)
    )
