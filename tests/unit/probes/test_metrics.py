"""Metrics and threshold calibration."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from probes.metrics import (
    MetricsError,
    alert_rate,
    auroc,
    calibrate_threshold,
    evaluate,
    evaluate_many,
)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(99)


def test_evaluate_tiny_hand_computed() -> None:
    # negatives 0.1, 0.5, 0.3; positives 0.4, 0.8, 0.2
    scores = [0.1, 0.4, 0.5, 0.8, 0.3, 0.2]
    labels = [0, 1, 0, 1, 0, 1]
    m = evaluate(scores, labels, threshold=0.25)
    assert (m["n"], m["n_pos"], m["n_neg"]) == (6, 3, 3)
    # pairs (pos > neg): 0.4 beats 2, 0.8 beats 3, 0.2 beats 1 -> 6 of 9
    assert m["auroc"] == pytest.approx(6 / 9)
    # 1% of 3 negatives is 0 alerts allowed: the threshold is the largest negative.
    assert m["threshold_at_1pct_fpr"] == 0.5
    assert m["recall_at_1pct_fpr"] == pytest.approx(1 / 3)
    assert m["fpr_at_1pct_fpr_threshold"] == 0.0
    # calibrated threshold 0.25: positives 0.4 and 0.8 alert; negatives 0.5 and 0.3 alert
    assert m["calibrated_threshold"] == 0.25
    assert m["recall_at_calibrated_threshold"] == pytest.approx(2 / 3)
    assert m["fpr_at_calibrated_threshold"] == pytest.approx(2 / 3)


def test_threshold_is_strict() -> None:
    # A score equal to the threshold does not alert.
    m = evaluate([0.2, 0.5, 0.5, 0.9], [0, 0, 1, 1], threshold=0.5)
    assert m["recall_at_calibrated_threshold"] == 0.5
    assert m["fpr_at_calibrated_threshold"] == 0.0
    assert auroc([0.5, 0.5], [0, 1]) == 0.5  # ties count half


def test_evaluate_agrees_with_sklearn(rng: np.random.Generator) -> None:
    labels = rng.integers(0, 2, size=500)
    scores = rng.normal(size=500) + labels
    m = evaluate(scores, labels, threshold=1.0)
    assert m["auroc"] == pytest.approx(roc_auc_score(labels, scores))
    neg = scores[labels == 0]
    pos = scores[labels == 1]
    t = calibrate_threshold(neg, 0.01)
    assert m["threshold_at_1pct_fpr"] == t
    assert m["recall_at_1pct_fpr"] == pytest.approx(np.mean(pos > t))
    assert m["fpr_at_1pct_fpr_threshold"] <= 0.01
    assert m["recall_at_calibrated_threshold"] == pytest.approx(np.mean(pos > 1.0))
    assert m["fpr_at_calibrated_threshold"] == pytest.approx(np.mean(neg > 1.0))
    assert evaluate_many({"a": (scores, labels)}, 1.0) == {"a": m}


def test_calibration_at_one_percent(rng: np.random.Generator) -> None:
    benign = rng.beta(2, 5, size=1000)
    t = calibrate_threshold(benign, 0.01)
    assert int(np.sum(benign > t)) == 10  # exactly floor(1% of 1000) above
    assert alert_rate(benign, t) <= 0.01
    # The smallest such threshold: any lower benign score lets 11 through.
    below = np.max(benign[benign < t])
    assert np.mean(benign > below) > 0.01
    assert t in benign


def test_calibration_is_monotone(rng: np.random.Generator) -> None:
    benign = rng.random(777)
    fprs = [0.0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 0.9]
    thresholds = [calibrate_threshold(benign, f) for f in fprs]
    assert thresholds == sorted(thresholds, reverse=True)
    assert thresholds[0] == benign.max()
    for f, t in zip(fprs, thresholds, strict=True):
        assert np.mean(benign > t) <= f


def test_calibration_small_and_tied_sets() -> None:
    # 50 scores: 1% allows no alert, so the threshold is the maximum.
    scores = np.linspace(0.0, 0.49, 50)
    assert calibrate_threshold(scores, 0.01) == pytest.approx(0.49)
    # Floating-point products such as 0.01 * 300 still allow 3 alerts.
    scores = np.arange(300) / 300
    assert int(np.sum(scores > calibrate_threshold(scores, 0.01))) == 3
    assert calibrate_threshold([0.3] * 20, 0.1) == 0.3


def test_calibration_errors() -> None:
    with pytest.raises(MetricsError, match="at least one score"):
        calibrate_threshold([], 0.01)
    with pytest.raises(MetricsError, match="target_fpr"):
        calibrate_threshold([0.1, 0.2], 1.0)
    with pytest.raises(MetricsError, match="target_fpr"):
        calibrate_threshold([0.1, 0.2], -0.1)
    with pytest.raises(MetricsError, match="NaN"):
        calibrate_threshold([0.1, float("nan")], 0.01)


def test_one_class_sets_fail_clearly() -> None:
    with pytest.raises(MetricsError, match="only negatives"):
        evaluate([0.1, 0.2], [0, 0], 0.5)
    with pytest.raises(MetricsError, match="only positives"):
        evaluate([0.1, 0.2], [1, 1], 0.5)
    with pytest.raises(MetricsError, match="only negatives"):
        auroc([0.1], [0])


def test_bad_inputs() -> None:
    with pytest.raises(MetricsError, match="3 scores but 2 labels"):
        evaluate([0.1, 0.2, 0.3], [0, 1], 0.5)
    with pytest.raises(MetricsError, match="0 or 1"):
        evaluate([0.1, 0.2], [0, 2], 0.5)
    with pytest.raises(MetricsError, match="1-D"):
        evaluate([[0.1, 0.2]], [0, 1], 0.5)
    with pytest.raises(MetricsError, match="threshold"):
        evaluate([0.1, 0.2], [0, 1], float("nan"))
