"""Offline aggregation of token scores, with the sidecar's own aggregators.

Training and serving must agree on how token scores become a request score, so this
module does not re-implement anything: it feeds each example's token scores, in
position order, to :func:`monitor.artifacts.aggregation.make_aggregator`, exactly as the
sidecar pipeline does with the scores of a request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.artifacts.aggregation import make_aggregator
from monitor.artifacts.probe_format import Aggregation
from probes.metrics import as_labels, auroc

TokenScores = npt.NDArray[np.floating[Any]]

#: Candidates searched by default: mean, max, EMA with a few smoothing factors and the
#: maximum of rolling means with a few windows. Order matters: on equal validation
#: AUROC the earlier (simpler) candidate wins.
DEFAULT_CANDIDATES: tuple[Aggregation, ...] = (
    Aggregation(method="mean"),
    Aggregation(method="max"),
    *(Aggregation(method="ema", alpha=a) for a in (0.5, 0.2, 0.1, 0.05)),
    *(Aggregation(method="max_rolling_mean", window=w) for w in (4, 8, 16, 32)),
)


def describe(spec: Aggregation) -> str:
    """Short name: ``mean``, ``max``, ``ema(alpha=0.1)``, ``max_rolling_mean(window=16)``."""
    if spec.method == "ema":
        return f"ema(alpha={spec.alpha:g})"
    if spec.method == "max_rolling_mean":
        return f"max_rolling_mean(window={spec.window})"
    return spec.method


def aggregate(
    token_scores: TokenScores | Sequence[float], spec: Aggregation, *, peak: bool = False
) -> float:
    """One request score from its token scores (position order), as the sidecar computes it.

    ``peak``: the largest value the aggregate takes after any token (what an alert rule
    sees as the tokens stream in), instead of its value after the last token. An empty
    sequence gives the sidecar's value before any token, 0.0.
    """
    arr = np.asarray(token_scores)
    if arr.ndim != 1:
        raise ValueError(f"token scores must be 1-D, got shape {list(arr.shape)}")
    # The sidecar hands the aggregator Python floats converted from float32 scores
    # (``scores.T.tolist()``); ``tolist`` converts the same way here.
    agg = make_aggregator(spec)
    if not peak:
        return agg.update(arr.tolist())
    best = 0.0
    for s in arr.tolist():
        best = max(best, agg.update((s,)))
    return best


def aggregate_many(
    token_scores: Sequence[TokenScores | Sequence[float]],
    spec: Aggregation,
    *,
    peak: bool = False,
) -> npt.NDArray[np.float64]:
    """``aggregate`` for each example: a float64 array with one score per example."""
    return np.array([aggregate(s, spec, peak=peak) for s in token_scores], dtype=np.float64)


@dataclass(frozen=True)
class AggregationResult:
    """Validation AUROC of one candidate aggregation."""

    spec: Aggregation
    auroc: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": describe(self.spec), **self.spec.model_dump(), "val_auroc": self.auroc}


@dataclass(frozen=True)
class AggregationChoice:
    """The chosen aggregation and every candidate's validation AUROC (in search order)."""

    best: Aggregation
    best_auroc: float
    results: tuple[AggregationResult, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "best": describe(self.best),
            "best_val_auroc": self.best_auroc,
            "results": [r.to_dict() for r in self.results],
        }


def choose_aggregation(
    val_token_scores: Sequence[TokenScores | Sequence[float]],
    val_labels: npt.ArrayLike,
    candidates: Sequence[Aggregation] = DEFAULT_CANDIDATES,
    *,
    peak: bool = False,
) -> AggregationChoice:
    """The candidate with the best validation AUROC of aggregated scores.

    ``val_token_scores[i]`` are the token scores of validation example ``i`` in position
    order and ``val_labels[i]`` its 0/1 label; both classes are required. Ties go to
    the earlier candidate. ``peak`` as in :func:`aggregate`.
    """
    labels = as_labels(val_labels, len(val_token_scores))
    return choose_aggregation_by(
        lambda spec: aggregate_many(val_token_scores, spec, peak=peak), labels, candidates
    )


def choose_aggregation_by(
    score: Callable[[Aggregation], npt.NDArray[np.float64]],
    val_labels: npt.ArrayLike,
    candidates: Sequence[Aggregation] = DEFAULT_CANDIDATES,
) -> AggregationChoice:
    """The candidate whose validation scores (``score(candidate)``, one per example) have
    the best AUROC; ties go to the earlier candidate."""
    if not candidates:
        raise ValueError("choose_aggregation needs at least one candidate")
    labels = as_labels(val_labels)
    results = tuple(AggregationResult(spec, auroc(score(spec), labels)) for spec in candidates)
    best = results[0]
    for result in results[1:]:
        if result.auroc > best.auroc:
            best = result
    return AggregationChoice(best=best.spec, best_auroc=best.auroc, results=results)


__all__ = [
    "DEFAULT_CANDIDATES",
    "AggregationChoice",
    "AggregationResult",
    "aggregate",
    "aggregate_many",
    "choose_aggregation",
    "choose_aggregation_by",
    "describe",
]
