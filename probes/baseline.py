"""A text-only baseline: TF-IDF word 1-2 grams + logistic regression.

It reads what a text classifier would see (the messages' contents and the response)
and is trained on the same training records as the probe, then calibrated and
evaluated with the same functions, so reports can put probe and baseline side by side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from probes.metrics import ONE_PERCENT, as_labels, auroc, calibrate_threshold, evaluate


def record_text(record: Mapping[str, Any] | Any) -> str:
    """The text of a labelled record: every message's content, then the response.

    ``record`` is a decoded JSONL line (a mapping) or an object with ``messages`` (each
    with a ``content``) and ``response`` attributes, such as ``probes.data.records.Record``.
    """

    def get(obj: Any, key: str) -> Any:
        return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)

    parts = [str(get(m, "content") or "") for m in get(record, "messages") or ()]
    response = get(record, "response")
    if response:
        parts.append(str(response))
    return "\n".join(p for p in parts if p)


class TextBaseline:
    """TF-IDF (word 1-2 grams, sublinear tf) + ``LogisticRegression(class_weight="balanced")``.

    ``threshold`` starts as ``None`` and is set by :meth:`calibrate` with the same
    convention as the probes (alert when ``score > threshold``).
    """

    def __init__(
        self,
        *,
        C: float = 1.0,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 1,
        max_features: int | None = 200_000,
        max_iter: int = 2000,
        random_state: int = 0,
    ) -> None:
        if not (C > 0 and math.isfinite(C)):
            raise ValueError(f"C must be finite and > 0, got {C}")
        self.C = C
        self.vectorizer = TfidfVectorizer(
            analyzer="word",
            ngram_range=ngram_range,
            min_df=min_df,
            max_features=max_features,
            sublinear_tf=True,
            lowercase=True,
        )
        self.model = LogisticRegression(
            C=C, class_weight="balanced", max_iter=max_iter, random_state=random_state
        )
        self.threshold: float | None = None
        self._fitted = False

    def fit(self, texts: Sequence[str], labels: npt.ArrayLike) -> TextBaseline:
        """Fit on training texts and their 0/1 labels (both classes required)."""
        y = as_labels(labels, len(texts))
        if len(set(y.tolist())) != 2:
            raise ValueError("TextBaseline.fit needs both classes in the training labels")
        x = self.vectorizer.fit_transform(list(texts))
        self.model.fit(x, y)
        self._fitted = True
        return self

    def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Probability of the concept (label 1) for each text, a float64 array."""
        if not self._fitted:
            raise RuntimeError("TextBaseline is not fitted; call fit() first")
        x = self.vectorizer.transform(list(texts))
        return np.asarray(self.model.predict_proba(x)[:, 1], dtype=np.float64)

    def calibrate(self, benign_texts: Sequence[str], target_fpr: float = ONE_PERCENT) -> float:
        """Set and return the threshold at ``target_fpr`` on benign control texts."""
        self.threshold = calibrate_threshold(self.predict_proba(benign_texts), target_fpr)
        return self.threshold

    def evaluate(
        self, texts: Sequence[str], labels: npt.ArrayLike, threshold: float | None = None
    ) -> dict[str, Any]:
        """:func:`probes.metrics.evaluate` of this baseline (threshold: the calibrated one)."""
        t = self.threshold if threshold is None else threshold
        if t is None:
            raise RuntimeError("TextBaseline has no threshold; call calibrate() or pass one")
        return evaluate(self.predict_proba(texts), labels, t)

    def metadata(self) -> dict[str, Any]:
        """JSON-friendly description for reports."""
        return {
            "kind": "tfidf-logreg",
            "C": self.C,
            "ngram_range": list(self.vectorizer.ngram_range),
            "vocabulary_size": len(self.vectorizer.vocabulary_) if self._fitted else 0,
            "threshold": self.threshold,
            "sklearn_version": sklearn.__version__,
        }


def fit_baseline(
    train_texts: Sequence[str],
    train_labels: npt.ArrayLike,
    val_texts: Sequence[str] | None = None,
    val_labels: npt.ArrayLike | None = None,
    *,
    C_grid: Sequence[float] = (0.1, 1.0, 10.0),
    random_state: int = 0,
) -> TextBaseline:
    """Fit a :class:`TextBaseline`; with a validation set, ``C`` is chosen by its AUROC
    (ties: the smaller ``C``), as for the probes. Without one, ``C = 1``."""
    if val_texts is None or val_labels is None:
        return TextBaseline(random_state=random_state).fit(train_texts, train_labels)
    if not C_grid:
        raise ValueError("C_grid is empty")
    best: tuple[float, TextBaseline] | None = None
    for c in sorted(float(c) for c in C_grid):
        candidate = TextBaseline(C=c, random_state=random_state).fit(train_texts, train_labels)
        score = auroc(candidate.predict_proba(val_texts), val_labels)
        if best is None or score > best[0]:
            best = (score, candidate)
    assert best is not None
    return best[1]


__all__ = ["TextBaseline", "fit_baseline", "record_text"]
