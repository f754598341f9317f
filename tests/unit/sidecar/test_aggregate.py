from __future__ import annotations

import numpy as np
import pytest

from monitor.artifacts.aggregation import (
    Aggregator,
    EmaAggregator,
    MaxAggregator,
    MaxRollingMeanAggregator,
    MeanAggregator,
    make_aggregator,
)
from monitor.artifacts.probe_format import Aggregation


def ref_ema(scores: list[float], alpha: float) -> float:
    ema = scores[0]
    for s in scores[1:]:
        ema = alpha * s + (1 - alpha) * ema
    return ema


def ref_max_rolling_mean(scores: list[float], window: int) -> float:
    if len(scores) < window:
        return float(np.mean(scores))
    return max(float(np.mean(scores[i : i + window])) for i in range(len(scores) - window + 1))


def _chunks(values: list[float], rng: np.random.Generator) -> list[list[float]]:
    """Split into random-size chunks, as batches would deliver them."""
    out, i = [], 0
    while i < len(values):
        n = int(rng.integers(1, 7))
        out.append(values[i : i + n])
        i += n
    return out


@pytest.mark.parametrize("n", [1, 2, 5, 16, 17, 100])
def test_aggregators_match_reference(rng: np.random.Generator, n: int) -> None:
    scores = rng.uniform(size=n).tolist()
    aggs: dict[str, tuple[Aggregator, float]] = {
        "mean": (MeanAggregator(), float(np.mean(scores))),
        "max": (MaxAggregator(), max(scores)),
        "ema": (EmaAggregator(0.2), ref_ema(scores, 0.2)),
        "mrm": (MaxRollingMeanAggregator(5), ref_max_rolling_mean(scores, 5)),
    }
    chunks = _chunks(scores, rng)
    for name, (agg, expected) in aggs.items():
        for chunk in chunks:
            agg.update(chunk)
        assert agg.count == n, name
        assert agg.value == pytest.approx(expected, rel=1e-9, abs=1e-12), name


def test_streaming_values_match_prefix_reference(rng: np.random.Generator) -> None:
    scores = rng.uniform(size=40).tolist()
    agg = MaxRollingMeanAggregator(4)
    ema = EmaAggregator(0.5)
    for i, s in enumerate(scores, start=1):
        assert agg.update([s]) == pytest.approx(ref_max_rolling_mean(scores[:i], 4))
        assert ema.update([s]) == pytest.approx(ref_ema(scores[:i], 0.5))


def test_empty_and_invalid() -> None:
    assert MeanAggregator().value == 0.0
    assert MaxRollingMeanAggregator(3).value == 0.0
    with pytest.raises(ValueError):
        EmaAggregator(0.0)
    with pytest.raises(ValueError):
        MaxRollingMeanAggregator(0)


def test_make_aggregator_from_spec() -> None:
    assert isinstance(make_aggregator(Aggregation(method="mean")), MeanAggregator)
    assert isinstance(make_aggregator(Aggregation(method="max")), MaxAggregator)
    ema = make_aggregator(Aggregation(method="ema", alpha=0.5))
    assert ema.update([1.0, 0.0]) == pytest.approx(0.5)
    mrm = make_aggregator(Aggregation(method="max_rolling_mean", window=2))
    assert mrm.update([0.0, 1.0, 1.0, 0.0]) == pytest.approx(1.0)
