"""Offline aggregation agrees with the sidecar's and is chosen on validation AUROC."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.artifacts.aggregation import make_aggregator
from monitor.artifacts.probe_format import Aggregation
from probes.aggregation import (
    DEFAULT_CANDIDATES,
    aggregate,
    aggregate_many,
    choose_aggregation,
    describe,
)
from probes.metrics import MetricsError

SPECS = (
    Aggregation(method="mean"),
    Aggregation(method="max"),
    Aggregation(method="ema", alpha=0.25),
    Aggregation(method="max_rolling_mean", window=3),
)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_known_values() -> None:
    s = np.array([0.1, 0.9, 0.2, 0.4], dtype=np.float32)
    f = s.tolist()  # the float32 values as the sidecar sees them
    assert aggregate(s, Aggregation(method="mean")) == pytest.approx(sum(f) / 4)
    assert aggregate(s, Aggregation(method="max")) == f[1]
    ema = f[0]
    for x in f[1:]:
        ema = 0.25 * x + 0.75 * ema
    assert aggregate(s, Aggregation(method="ema", alpha=0.25)) == pytest.approx(ema)
    best = max(sum(f[i : i + 3]) / 3 for i in range(2))
    assert aggregate(s, Aggregation(method="max_rolling_mean", window=3)) == pytest.approx(best)
    # Fewer tokens than the window: the mean so far, as in the sidecar.
    assert aggregate(s[:2], Aggregation(method="max_rolling_mean", window=3)) == pytest.approx(
        (f[0] + f[1]) / 2
    )
    for spec in SPECS:
        assert aggregate(np.zeros(0, dtype=np.float32), spec) == 0.0


def test_same_as_streaming_sidecar_aggregators(rng: np.random.Generator) -> None:
    for _ in range(20):
        scores = rng.random(int(rng.integers(1, 40))).astype(np.float32)
        for spec in SPECS:
            agg = make_aggregator(spec)
            for chunk in np.array_split(scores, 3):
                agg.update(chunk.tolist())
            assert aggregate(scores, spec) == agg.value


def test_aggregate_many_and_describe() -> None:
    out = aggregate_many([[0.2, 0.4], [1.0]], Aggregation(method="mean"))
    assert out.dtype == np.float64
    assert out.tolist() == pytest.approx([0.3, 1.0])
    assert [describe(s) for s in SPECS] == [
        "mean",
        "max",
        "ema(alpha=0.25)",
        "max_rolling_mean(window=3)",
    ]
    with pytest.raises(ValueError, match="1-D"):
        aggregate(np.zeros((2, 2)), SPECS[0])


def test_chooses_max_for_a_single_spiking_token(rng: np.random.Generator) -> None:
    """Positives: low noise plus one high token at a random position. Negatives: slightly
    higher background and a sustained run of moderate scores (which fools the mean and
    rolling means) but never a spike. Only ``max`` separates them perfectly."""
    token_scores = []
    labels = []
    for i in range(120):
        label = i % 2
        n = 64
        if label:
            s = rng.uniform(0.0, 0.25, size=n)
            s[rng.integers(n)] = rng.uniform(0.85, 0.99)
        else:
            s = rng.uniform(0.05, 0.3, size=n)
            start = int(rng.integers(0, n - 32))
            s[start : start + 32] = rng.uniform(0.4, 0.6, size=32)
        token_scores.append(s.astype(np.float32))
        labels.append(label)
    choice = choose_aggregation(token_scores, labels, DEFAULT_CANDIDATES)
    assert choice.best == Aggregation(method="max")
    assert choice.best_auroc == 1.0
    by_name = {describe(r.spec): r.auroc for r in choice.results}
    assert by_name["mean"] < 0.5
    others = [r.auroc for r in choice.results if r.spec.method != "max"]
    assert max(others) < 1.0
    assert [r.spec for r in choice.results] == list(DEFAULT_CANDIDATES)
    assert choice.to_dict()["best"] == "max"


def test_chooses_mean_for_a_diffuse_shift(rng: np.random.Generator) -> None:
    """A small shift on every token: averaging over the whole request wins."""
    token_scores = [
        (rng.normal(0.5 + 0.05 * (i % 2), 0.15, size=50)).astype(np.float32) for i in range(80)
    ]
    labels = [i % 2 for i in range(80)]
    choice = choose_aggregation(token_scores, labels, DEFAULT_CANDIDATES)
    assert choice.best == Aggregation(method="mean")


def test_ties_go_to_the_earlier_candidate() -> None:
    token_scores = [[0.1], [0.9]]
    choice = choose_aggregation(token_scores, [0, 1], SPECS)
    assert all(r.auroc == 1.0 for r in choice.results)
    assert choice.best == SPECS[0]


def test_errors() -> None:
    with pytest.raises(MetricsError, match="only negatives"):
        choose_aggregation([[0.1], [0.2]], [0, 0], SPECS)
    with pytest.raises(MetricsError, match="2 scores but 3 labels"):
        choose_aggregation([[0.1], [0.2]], [0, 1, 1], SPECS)
    with pytest.raises(ValueError, match="at least one candidate"):
        choose_aggregation([[0.1], [0.2]], [0, 1], ())
