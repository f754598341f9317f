"""The text-only TF-IDF baseline."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from probes.baseline import TextBaseline, fit_baseline, record_text
from probes.metrics import auroc

FILLER = ["the", "a", "of", "and", "to", "in", "is", "it", "that", "for", "on", "with"]
HARMFUL = ["synthesize", "nerve", "agent", "precursor", "weapon", "detonator", "explosive", "yield"]
BENIGN = ["bake", "cake", "flour", "oven", "recipe", "sugar", "butter", "frosting"]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(5)


def make_texts(rng: np.random.Generator, n: int) -> tuple[list[str], list[int]]:
    texts, labels = [], []
    for i in range(n):
        label = i % 2
        topic = HARMFUL if label else BENIGN
        words = list(rng.choice(FILLER, size=12)) + list(rng.choice(topic, size=4))
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


def test_record_text() -> None:
    record = {
        "messages": [
            {"role": "system", "content": "Be helpful."},
            {"role": "user", "content": "How do I bake bread?"},
        ],
        "response": "Mix flour and water.",
    }
    assert record_text(record) == "Be helpful.\nHow do I bake bread?\nMix flour and water."
    assert record_text({"messages": [{"role": "user", "content": "hi"}]}) == "hi"
    as_object = SimpleNamespace(
        messages=[SimpleNamespace(role="user", content="hello")], response="world"
    )
    assert record_text(as_object) == "hello\nworld"


def test_separates_obviously_different_classes(rng: np.random.Generator) -> None:
    train_texts, train_labels = make_texts(rng, 60)
    test_texts, test_labels = make_texts(rng, 40)
    benign_texts = [t for t, y in zip(*make_texts(rng, 400), strict=True) if y == 0]
    baseline = TextBaseline().fit(train_texts, train_labels)
    scores = baseline.predict_proba(test_texts)
    assert scores.shape == (40,)
    assert np.all((scores >= 0) & (scores <= 1))
    assert auroc(scores, test_labels) > 0.99

    threshold = baseline.calibrate(benign_texts, target_fpr=0.01)
    assert baseline.threshold == threshold
    assert np.mean(baseline.predict_proba(benign_texts) > threshold) <= 0.01
    metrics = baseline.evaluate(test_texts, test_labels)
    assert metrics["n"] == 40
    assert metrics["auroc"] > 0.99
    assert metrics["calibrated_threshold"] == threshold
    assert metrics["recall_at_calibrated_threshold"] > 0.9
    meta = baseline.metadata()
    assert meta["kind"] == "tfidf-logreg"
    assert meta["vocabulary_size"] > len(HARMFUL) + len(BENIGN)  # unigrams and bigrams


def test_fit_baseline_chooses_c_on_validation(rng: np.random.Generator) -> None:
    train_texts, train_labels = make_texts(rng, 40)
    val_texts, val_labels = make_texts(rng, 20)
    model = fit_baseline(train_texts, train_labels, val_texts, val_labels, C_grid=(10.0, 0.1))
    # Perfect separation at every C: ties go to the smallest C.
    assert model.C == 0.1
    assert fit_baseline(train_texts, train_labels).C == 1.0


def test_baseline_errors() -> None:
    baseline = TextBaseline()
    with pytest.raises(RuntimeError, match="not fitted"):
        baseline.predict_proba(["x"])
    with pytest.raises(ValueError, match="both classes"):
        baseline.fit(["a b", "c d"], [0, 0])
    baseline.fit(["bake a cake", "build a weapon"], [0, 1])
    with pytest.raises(RuntimeError, match="no threshold"):
        baseline.evaluate(["bake", "weapon"], [0, 1])
    with pytest.raises(ValueError, match="C must be"):
        TextBaseline(C=0)
