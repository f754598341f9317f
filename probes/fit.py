"""Fitting linear probes on token activations (examples: :mod:`probes.examples`;
calibration: :mod:`probes.calibration`).

A probe head is token-level logistic regression: every token an example contributes is
labelled with the example's label, features are standardised (the mean and scale go
into the artifact's ``normalization``), and the request score is what the sidecar
computes at serving time (:mod:`monitor.sidecar.scoring.reading`): the head's in-scope token
probabilities folded by its aggregation, taken at its peak over the request (an alert
rule fires as soon as the running score crosses its threshold). The regularisation
strength ``C`` and the aggregation are chosen on the validation split by AUROC of
those scores; the final probe is the one trained on the training split with the
chosen ``C``. The artifact reproduces scikit-learn's ``predict_proba``::

    sigmoid(weights . ((a - mean) / scale) + bias) == LogisticRegression.predict_proba(
        StandardScaler.transform(a))[:, 1]
"""

from __future__ import annotations

import datetime as _dt
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from monitor.artifacts.probe_format import Aggregation, Normalization, Positions, Probe
from monitor.artifacts.segment_names import SegmentName
from monitor.sidecar.scoring.probe_set import ProbeSet
from monitor.sidecar.scoring.reading import score_request
from probes.aggregation import (
    DEFAULT_CANDIDATES,
    AggregationChoice,
    aggregate,
    choose_aggregation_by,
    describe,
)
from probes.calibration import calibrate_probe as calibrate_probe
from probes.examples import (
    ActivationExample,
    check_examples,
    example_labels,
    family_counts,
    token_matrix,
)
from probes.metrics import auroc, calibrate_threshold

#: Threshold written into a freshly fitted probe; :func:`calibrate_probe` replaces it.
PLACEHOLDER_THRESHOLD = 0.5
DEFAULT_C_GRID: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0, 10.0)


@dataclass(frozen=True)
class CResult:
    """Validation result of one regularisation strength."""

    C: float
    val_auroc: float
    aggregation: Aggregation
    converged: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "C": self.C,
            "val_auroc": self.val_auroc,
            "aggregation": describe(self.aggregation),
            "converged": self.converged,
        }


@dataclass(frozen=True)
class FitReport:
    """What ``fit_probe`` tried and chose."""

    concept: str
    layer: int
    C: float
    aggregation: Aggregation
    val_auroc: float
    train_auroc: float
    c_search: tuple[CResult, ...]
    aggregation_search: AggregationChoice
    n_examples: dict[str, int]
    n_pos: dict[str, int]
    n_tokens: dict[str, int]
    families: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "concept": self.concept,
            "layer": self.layer,
            "C": self.C,
            "aggregation": describe(self.aggregation),
            "val_auroc": self.val_auroc,
            "train_auroc": self.train_auroc,
            "C_search": [r.to_dict() for r in self.c_search],
            "aggregation_search": self.aggregation_search.to_dict(),
            "n_examples": dict(self.n_examples),
            "n_pos": dict(self.n_pos),
            "n_tokens": dict(self.n_tokens),
            "families": {k: dict(v) for k, v in self.families.items()},
        }


def probe_from_sklearn(
    scaler: StandardScaler,
    model: LogisticRegression,
    *,
    concept: str,
    model_name: str,
    layer: int,
    threshold: float = PLACEHOLDER_THRESHOLD,
    aggregation: Aggregation | None = None,
    training: Mapping[str, Any] | None = None,
) -> Probe:
    """The artifact for a fitted ``StandardScaler`` + binary ``LogisticRegression``.

    ``scaler.mean_``/``scaler.scale_`` become the normalisation and ``coef_``/``intercept_``
    the weights and bias, so the artifact's ``sigmoid(w . ((a - mean) / scale) + b)`` is
    ``model.predict_proba(scaler.transform(a))[:, 1]``.
    """
    coef = np.asarray(model.coef_, dtype=np.float64)
    if coef.shape[0] != 1 or list(model.classes_) != [0, 1]:
        raise ValueError("expected a binary LogisticRegression fitted on labels 0/1")
    d = coef.shape[1]
    mean = np.zeros(d) if scaler.mean_ is None else np.asarray(scaler.mean_, dtype=np.float64)
    scale = np.ones(d) if scaler.scale_ is None else np.asarray(scaler.scale_, dtype=np.float64)
    return Probe(
        concept=concept,
        model_name=model_name,
        layer=layer,
        d_model=d,
        normalization=Normalization(mean=mean.tolist(), scale=scale.tolist()),
        weights=coef[0].tolist(),
        bias=float(model.intercept_[0]),
        threshold=threshold,
        aggregation=aggregation or Aggregation(),
        training=dict(training or {}),
    )


def token_scores(
    probe: Probe, examples: Iterable[ActivationExample]
) -> list[npt.NDArray[np.float32]]:
    """Per-example token scores, computed by the sidecar's ``ProbeSet`` (float32)."""
    probe_set = ProbeSet([probe])
    out = []
    for ex in examples:
        acts = np.ascontiguousarray(ex.activations, dtype=np.float32)
        if acts.ndim == 2 and acts.shape[0] == 0:
            out.append(np.zeros(0, dtype=np.float32))
            continue
        out.append(probe_set.score(acts)[:, 0])
    return out


def score_examples(probe: Probe, examples: Iterable[ActivationExample]) -> npt.NDArray[np.float64]:
    """Request scores as the sidecar's alert rules see them: every head's ``ProbeSet`` token
    scores, read on its segments by :class:`ProbeReader`, at the peak of the running
    request score (an example without tokens scores 0.0)."""
    probe_set = ProbeSet([probe])
    scores = []
    for ex in examples:
        acts = np.ascontiguousarray(ex.activations, dtype=np.float32)
        n = acts.shape[0] if acts.ndim == 2 else 0
        if n == 0:
            scores.append(0.0)
            continue
        segments = getattr(ex, "segments", None)
        ends = getattr(ex, "sentence_end", None)
        scores.append(
            score_request(
                probe,
                probe_set.score(acts),
                segments if segments is not None else np.zeros(n, dtype=np.int8),
                ends if ends is not None else np.zeros(n, dtype=np.bool_),
                prompt_len=getattr(ex, "prompt_len", None),
            )
        )
    return np.array(scores, dtype=np.float64)


# --------------------------------------------------------------------------- fitting


def _scorer(
    probe: Probe, examples: Sequence[ActivationExample]
) -> Callable[[Aggregation], npt.NDArray[np.float64]]:
    """Request scores of ``examples`` under ``probe`` with a given aggregation."""

    def score(spec: Aggregation) -> npt.NDArray[np.float64]:
        return score_examples(probe.model_copy(update={"aggregation": spec}), examples)

    return score


def fit_probe(
    train_examples: Sequence[ActivationExample],
    val_examples: Sequence[ActivationExample],
    *,
    concept: str,
    model_name: str,
    layer: int,
    C_grid: Sequence[float] = DEFAULT_C_GRID,
    aggregation_candidates: Sequence[Aggregation] = DEFAULT_CANDIDATES,
    max_iter: int = 2000,
    random_state: int = 0,
    scope: Sequence[SegmentName] | None = None,
    positions: Positions = "all",
) -> tuple[Probe, FitReport]:
    """Fit a token-level logistic-regression probe; choose ``C`` and aggregation on validation.

    ``train_examples`` hold only the tokens the probe reads (its ``scope`` and
    ``positions``, written into the artifact); ``val_examples`` are whole requests with
    their segments, scored by :func:`score_examples` as alert rules see them.

    For each ``C`` in ``C_grid`` (tried in ascending order), a ``LogisticRegression``
    (L2, ``class_weight="balanced"``, lbfgs) is fitted on the standardised training
    tokens; validation token scores are computed through the artifact (as the sidecar
    would) and the best aggregation among ``aggregation_candidates`` is found by
    validation AUROC. The ``C`` with the best aggregated validation AUROC wins (ties:
    the smaller ``C``, i.e. the stronger regularisation). The returned probe carries the
    placeholder threshold :data:`PLACEHOLDER_THRESHOLD` until :func:`calibrate_probe`.
    """
    if not C_grid:
        raise ValueError("C_grid is empty")
    for c in C_grid:
        if not (c > 0 and math.isfinite(c)):
            raise ValueError(f"C must be finite and > 0, got {c}")
    d_model = check_examples(train_examples, "train")
    check_examples(val_examples, "validation", d_model)

    read: dict[str, Any] = {
        "scope": list(scope) if scope is not None else None,
        "positions": positions,
    }
    x_train, y_train = token_matrix(train_examples)
    scaler = StandardScaler().fit(x_train)
    z_train = scaler.transform(x_train)
    val_labels = example_labels(val_examples)

    best: tuple[CResult, LogisticRegression, AggregationChoice] | None = None
    c_results: list[CResult] = []
    for c in sorted(float(c) for c in C_grid):
        model = LogisticRegression(
            C=c, class_weight="balanced", max_iter=max_iter, random_state=random_state
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(z_train, y_train)
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        candidate = probe_from_sklearn(
            scaler, model, concept=concept, model_name=model_name, layer=layer
        )
        candidate = candidate.model_copy(update=read)
        choice = choose_aggregation_by(
            _scorer(candidate, val_examples), val_labels, aggregation_candidates
        )
        result = CResult(
            C=c, val_auroc=choice.best_auroc, aggregation=choice.best, converged=converged
        )
        c_results.append(result)
        if best is None or result.val_auroc > best[0].val_auroc:
            best = (result, model, choice)
    assert best is not None
    chosen, model, choice = best

    splits = {"train": train_examples, "validation": val_examples}
    n_examples = {k: len(v) for k, v in splits.items()}
    n_pos = {k: int(example_labels(v).sum()) for k, v in splits.items()}
    n_tokens = {k: int(sum(len(ex.activations) for ex in v)) for k, v in splits.items()}
    families = {k: family_counts(v) for k, v in splits.items()}

    training: dict[str, Any] = {
        "method": "token-level logistic regression (L2, class_weight=balanced), standardised",
        "n_examples": n_examples,
        "n_pos": n_pos,
        "n_tokens": n_tokens,
        "families": families,
        "C": chosen.C,
        "C_search": [r.to_dict() for r in c_results],
        "aggregation_search": choice.to_dict(),
        "val_auroc": chosen.val_auroc,
        "converged": chosen.converged,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "calibrated": False,
    }
    probe = probe_from_sklearn(
        scaler,
        model,
        concept=concept,
        model_name=model_name,
        layer=layer,
        aggregation=chosen.aggregation,
    ).model_copy(update=read)
    # Training examples hold only the tokens read: each is scored as one whole read.
    train_auroc = auroc(
        [aggregate(s, chosen.aggregation) for s in token_scores(probe, train_examples)],
        example_labels(train_examples),
    )
    training["train_auroc"] = train_auroc
    probe = probe.model_copy(update={"training": training})
    report = FitReport(
        concept=concept,
        layer=layer,
        C=chosen.C,
        aggregation=chosen.aggregation,
        val_auroc=chosen.val_auroc,
        train_auroc=train_auroc,
        c_search=tuple(c_results),
        aggregation_search=choice,
        n_examples=n_examples,
        n_pos=n_pos,
        n_tokens=n_tokens,
        families=families,
    )
    return probe, report


__all__ = [
    "DEFAULT_C_GRID",
    "PLACEHOLDER_THRESHOLD",
    "CResult",
    "FitReport",
    "calibrate_probe",
    "calibrate_threshold",
    "fit_probe",
    "probe_from_sklearn",
    "score_examples",
    "token_scores",
]
