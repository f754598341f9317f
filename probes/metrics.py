"""Evaluation metrics and threshold calibration for request-level scores.

Threshold convention, used everywhere in the toolkit: a request **alerts when its
score is strictly greater than the threshold** (``score > threshold``). Calibrating
at a target false-positive rate ``f`` on a benign set of ``n`` scores returns the
smallest threshold such that at most ``floor(f * n)`` benign scores are strictly above
it; that threshold is always one of the benign scores (the ``n - floor(f * n)``-th
smallest), so ties at the threshold never alert.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# DESIGN.md names the report key ``recall_at_1pct_fpr``: the rate is fixed at 1%.
ONE_PERCENT = 0.01


class MetricsError(ValueError):
    """Scores or labels cannot be evaluated (wrong shape, one class only, non-finite...)."""


def as_scores(scores: ArrayLike, name: str = "scores") -> FloatArray:
    """Scores as a finite 1-D float64 array."""
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim != 1:
        raise MetricsError(f"{name}: expected a 1-D array, got shape {list(arr.shape)}")
    if not np.all(np.isfinite(arr)):
        raise MetricsError(f"{name}: contains NaN or infinite values")
    return arr


def as_labels(labels: ArrayLike, n: int | None = None) -> IntArray:
    """Labels as a 1-D int64 array of 0/1, optionally checked against ``n`` scores."""
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise MetricsError(f"labels: expected a 1-D array, got shape {list(arr.shape)}")
    if arr.size and not np.all(np.isin(arr, (0, 1))):
        bad = sorted({v.item() for v in np.unique(arr) if v not in (0, 1)})[:5]
        raise MetricsError(f"labels must be 0 or 1, got {bad}")
    out = arr.astype(np.int64)
    if n is not None and out.size != n:
        raise MetricsError(f"{n} scores but {out.size} labels")
    return out


def _require_both_classes(labels: IntArray, what: str) -> None:
    n_pos = int(labels.sum())
    n_neg = int(labels.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        only = "negatives (label 0)" if n_pos == 0 else "positives (label 1)"
        raise MetricsError(
            f"{what} needs both classes, but the set has only {only}"
            f" (n={labels.size}, n_pos={n_pos}, n_neg={n_neg})"
        )


def auroc(scores: ArrayLike, labels: ArrayLike) -> float:
    """Area under the ROC curve (scikit-learn's ``roc_auc_score``)."""
    s = as_scores(scores)
    y = as_labels(labels, s.size)
    _require_both_classes(y, "AUROC")
    return float(roc_auc_score(y, s))


def calibrate_threshold(benign_scores: ArrayLike, target_fpr: float = ONE_PERCENT) -> float:
    """Alert threshold with a false-positive rate of at most ``target_fpr`` on benign scores.

    Returns the smallest ``t`` such that at most ``floor(target_fpr * n)`` of the ``n``
    benign scores are strictly greater than ``t`` (alerts fire on ``score > t``). ``t`` is
    one of the benign scores, so the threshold never decreases when ``target_fpr``
    decreases. With fewer than ``1 / target_fpr`` scores no benign score may alert and
    ``t`` is their maximum.
    """
    s = as_scores(benign_scores, "benign_scores")
    if s.size == 0:
        raise MetricsError("benign_scores: calibration needs at least one score")
    if not (0.0 <= target_fpr < 1.0) or math.isnan(target_fpr):
        raise MetricsError(f"target_fpr must be in [0, 1), got {target_fpr}")
    n = s.size
    # The tiny epsilon keeps e.g. 0.01 * 300 == 3.0000000000000004 from rounding down wrongly.
    allowed = min(n - 1, math.floor(target_fpr * n + 1e-9))
    ordered = np.sort(s)
    return float(ordered[n - 1 - allowed])


def alert_rate(scores: ArrayLike, threshold: float) -> float:
    """Fraction of scores strictly above ``threshold`` (the alert convention)."""
    s = as_scores(scores)
    if s.size == 0:
        raise MetricsError("scores: empty")
    return float(np.mean(s > threshold))


def auroc_interval(
    scores: ArrayLike, labels: ArrayLike, n_boot: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """95% bootstrap interval of the AUROC: positives and negatives resampled separately
    (stratified, so every resample has both classes), percentile method."""
    s = as_scores(scores)
    y = as_labels(labels, s.size)
    _require_both_classes(y, "AUROC interval")
    pos, neg = s[y == 1], s[y == 0]
    rng = np.random.default_rng(seed)
    sample = np.concatenate(
        [
            pos[rng.integers(0, pos.size, size=(n_boot, pos.size))],
            neg[rng.integers(0, neg.size, size=(n_boot, neg.size))],
        ],
        axis=1,
    )
    # Mann-Whitney: AUROC from the positives' mid-ranks (ties count half), per resample.
    ranks = rankdata(sample, axis=1)
    values = (ranks[:, : pos.size].sum(axis=1) - pos.size * (pos.size + 1) / 2) / (
        pos.size * neg.size
    )
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def evaluate(scores: ArrayLike, labels: ArrayLike, threshold: float) -> dict[str, Any]:
    """Metrics of one evaluation set, both classes required.

    Keys: ``n``, ``n_pos``, ``n_neg``, ``auroc``, ``auroc_ci95`` (bootstrap);
    ``threshold_at_1pct_fpr`` (calibrated on
    this set's own negatives), ``recall_at_1pct_fpr`` and ``fpr_at_1pct_fpr_threshold``
    at that threshold; ``calibrated_threshold`` (``threshold``, the one shipped with the
    probe), ``recall_at_calibrated_threshold`` and ``fpr_at_calibrated_threshold``.
    """
    s = as_scores(scores)
    y = as_labels(labels, s.size)
    _require_both_classes(y, "evaluate()")
    if not math.isfinite(threshold):
        raise MetricsError(f"threshold must be finite, got {threshold}")
    pos = s[y == 1]
    neg = s[y == 0]
    own = calibrate_threshold(neg, ONE_PERCENT)
    low, high = auroc_interval(s, y)
    return {
        "n": int(s.size),
        "n_pos": int(pos.size),
        "n_neg": int(neg.size),
        "auroc": float(roc_auc_score(y, s)),
        "auroc_ci95": [low, high],
        "threshold_at_1pct_fpr": own,
        "recall_at_1pct_fpr": float(np.mean(pos > own)),
        "fpr_at_1pct_fpr_threshold": float(np.mean(neg > own)),
        "calibrated_threshold": float(threshold),
        "recall_at_calibrated_threshold": float(np.mean(pos > threshold)),
        "fpr_at_calibrated_threshold": float(np.mean(neg > threshold)),
    }


def evaluate_many(
    sets: dict[str, tuple[ArrayLike, ArrayLike]], threshold: float
) -> dict[str, dict[str, Any]]:
    """``evaluate`` for several named sets: ``{name: (scores, labels)}``."""
    return {name: evaluate(s, y, threshold) for name, (s, y) in sets.items()}


__all__ = [
    "ONE_PERCENT",
    "MetricsError",
    "alert_rate",
    "as_labels",
    "as_scores",
    "auroc",
    "auroc_interval",
    "calibrate_threshold",
    "evaluate",
    "evaluate_many",
]
