"""Probe fitting on synthetic activations with a known answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from monitor.artifacts.aggregation import make_aggregator
from monitor.artifacts.probe_format import Aggregation, Probe, load_probe, save_probe
from monitor.artifacts.segment_names import Segment
from monitor.sidecar.scoring.probe_set import ProbeSet
from probes.examples import Example
from probes.fit import (
    PLACEHOLDER_THRESHOLD,
    FitReport,
    calibrate_probe,
    fit_probe,
    probe_from_sklearn,
    score_examples,
    token_scores,
)
from probes.metrics import auroc
from probes.sweep import layer_sweep

D = 16
C_GRID = (0.01, 0.1, 1.0)
Data = dict[str, list[Example]]
Fitted = tuple[Probe, FitReport]
CANDIDATES = (
    Aggregation(method="mean"),
    Aggregation(method="max"),
    Aggregation(method="ema", alpha=0.2),
    Aggregation(method="max_rolling_mean", window=4),
)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


@pytest.fixture
def direction(rng: np.random.Generator) -> npt.NDArray[np.float64]:
    u = rng.normal(size=D)
    return u / np.linalg.norm(u)


def make_examples(
    rng: np.random.Generator,
    direction: npt.NDArray[np.float64],
    n: int,
    split: str,
    *,
    shift: float = 1.5,
    d: int = D,
) -> list[Example]:
    """Half positives; every positive token is shifted by ``shift * direction`` on top of
    unit Gaussian noise around a non-zero mean (so the normalisation matters)."""
    offset = np.linspace(-2.0, 3.0, d)
    examples = []
    for i in range(n):
        label = i % 2
        n_tokens = int(rng.integers(8, 24))
        acts = offset + rng.normal(size=(n_tokens, d))
        if label:
            acts = acts + shift * direction
        examples.append(
            Example(
                activations=acts.astype(np.float32),
                label=label,
                family="synthetic-a" if i % 3 else "synthetic-b",
                split=split,
                id=f"{split}-{i}",
                segments=np.full(n_tokens, int(Segment.PROMPT), dtype=np.int8),
                prompt_len=n_tokens,
            )
        )
    return examples


@pytest.fixture
def data(rng: np.random.Generator, direction: npt.NDArray[np.float64]) -> dict[str, list[Example]]:
    return {
        "train": make_examples(rng, direction, 80, "train"),
        "val": make_examples(rng, direction, 40, "validation"),
        "test": make_examples(rng, direction, 60, "test"),
        "benign": [ex for ex in make_examples(rng, direction, 600, "benign") if ex.label == 0],
    }


@pytest.fixture
def fitted(data: Data) -> tuple[Probe, FitReport]:
    return fit_probe(
        data["train"],
        data["val"],
        concept="deception",
        model_name="tiny-model",
        layer=3,
        C_grid=C_GRID,
        aggregation_candidates=CANDIDATES,
        scope=["prompt"],
    )


def folded_direction(probe: Probe) -> npt.NDArray[np.float64]:
    """The probe's direction in raw activation space: ``weights / scale``."""
    w = np.asarray(probe.weights) / np.asarray(probe.normalization.scale)
    return w / np.linalg.norm(w)


def stacked(examples: list[Example]) -> npt.NDArray[np.float64]:
    return np.concatenate([ex.activations for ex in examples]).astype(np.float64)


def test_direction_recovered(fitted: Fitted, direction: npt.NDArray[np.float64]) -> None:
    probe, _ = fitted
    cosine = float(folded_direction(probe) @ direction)
    assert cosine > 0.9


def test_heldout_auroc_near_one(fitted: Fitted, data: Data) -> None:
    probe, report = fitted
    labels = np.array([ex.label for ex in data["test"]])
    assert auroc(score_examples(probe, data["test"]), labels) > 0.98
    assert report.val_auroc > 0.98
    assert report.train_auroc > 0.98


def test_artifact_reproduces_sklearn(fitted: Fitted, data: Data) -> None:
    probe, report = fitted
    x_train = stacked(data["train"])
    y_train = np.concatenate([np.full(len(ex.activations), ex.label) for ex in data["train"]])
    scaler = StandardScaler().fit(x_train)
    model = LogisticRegression(C=report.C, class_weight="balanced", max_iter=2000, random_state=0)
    model.fit(scaler.transform(x_train), y_train)

    x_test = stacked(data["test"])
    expected = model.predict_proba(scaler.transform(x_test))[:, 1]
    # The artifact's formula, in float64.
    mean = np.asarray(probe.normalization.mean)
    scale = np.asarray(probe.normalization.scale)
    z = ((x_test - mean) / scale) @ np.asarray(probe.weights) + probe.bias
    assert np.max(np.abs(1.0 / (1.0 + np.exp(-z)) - expected)) < 1e-5
    # The sidecar's folded float32 path.
    served = ProbeSet([probe]).score(x_test.astype(np.float32))[:, 0]
    assert np.max(np.abs(served - expected)) < 1e-5


def test_probe_from_sklearn_roundtrips_through_json(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    x = rng.normal(loc=5.0, scale=3.0, size=(300, D))
    y = (x[:, 0] + rng.normal(size=300) > 5.0).astype(int)
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=0.5, class_weight="balanced", max_iter=2000).fit(
        scaler.transform(x), y
    )
    probe = probe_from_sklearn(scaler, model, concept="misuse", model_name="m", layer=0)
    path = tmp_path / "misuse.probe.json"
    save_probe(path, probe)
    loaded = load_probe(path)
    assert loaded == probe
    expected = model.predict_proba(scaler.transform(x))[:, 1]
    served = ProbeSet([loaded]).score(x.astype(np.float32))[:, 0]
    assert np.max(np.abs(served - expected)) < 1e-5


def test_score_examples_equals_sidecar_path(
    fitted: Fitted, data: Data, rng: np.random.Generator
) -> None:
    probe, _ = fitted
    for spec in (
        probe.aggregation,
        Aggregation(method="max"),
        Aggregation(method="ema", alpha=0.3),
        Aggregation(method="max_rolling_mean", window=5),
    ):
        p = probe.model_copy(update={"aggregation": spec})
        probe_set = ProbeSet([p])
        whole, streamed = [], []
        for ex in data["test"]:
            # One batch per request: bit-for-bit the same computation.
            agg = make_aggregator(spec)
            agg.update(probe_set.score(ex.activations).T.tolist()[0])
            whole.append(agg.value)
            # The sidecar usually gets a request's tokens over several batches; the
            # matrix product may then round differently in the last float32 bit.
            agg = make_aggregator(spec)
            cuts = np.sort(rng.choice(np.arange(1, len(ex.activations)), size=2, replace=False))
            for chunk in np.split(ex.activations, cuts):
                agg.update(probe_set.score(chunk).T.tolist()[0])
            streamed.append(agg.value)
        got = score_examples(p, data["test"])
        assert got.tolist() == whole
        np.testing.assert_allclose(got, streamed, rtol=0, atol=1e-6)


def test_token_scores_and_empty_example(fitted: Fitted) -> None:
    probe, _ = fitted
    empty = Example(activations=np.zeros((0, D), dtype=np.float32), label=0)
    [scores] = token_scores(probe, [empty])
    assert scores.shape == (0,)
    assert score_examples(probe, [empty]).tolist() == [0.0]


def test_training_metadata(fitted: Fitted, data: Data) -> None:
    probe, report = fitted
    assert probe.concept == "deception"
    assert probe.model_name == "tiny-model"
    assert probe.layer == 3
    assert probe.d_model == D
    assert probe.threshold == PLACEHOLDER_THRESHOLD
    t = probe.training
    assert t["calibrated"] is False
    assert t["n_examples"] == {"train": 80, "validation": 40}
    assert t["n_pos"] == {"train": 40, "validation": 20}
    assert t["n_tokens"]["train"] == sum(len(ex.activations) for ex in data["train"])
    assert t["C"] == report.C and report.C in C_GRID
    assert [row["C"] for row in t["C_search"]] == sorted(C_GRID)
    assert len(t["aggregation_search"]["results"]) == len(CANDIDATES)
    assert t["sklearn_version"] == sklearn.__version__
    assert t["date"].startswith("20")
    assert sum(t["families"]["train"].values()) == 80
    # The chosen aggregation is the best of the search for the chosen C.
    best = max(r.auroc for r in report.aggregation_search.results)
    assert report.val_auroc == best
    assert probe.aggregation == report.aggregation


def test_fit_rejects_bad_input(data: Data) -> None:
    negatives = [ex for ex in data["train"] if ex.label == 0]
    with pytest.raises(ValueError, match="train: needs both classes"):
        fit_probe(negatives, data["val"], concept="c", model_name="m", layer=0)
    wide = [
        Example(activations=np.zeros((3, D + 1), dtype=np.float32), label=i % 2) for i in range(4)
    ]
    with pytest.raises(ValueError, match="d_model"):
        fit_probe(data["train"], wide, concept="c", model_name="m", layer=0)
    with pytest.raises(ValueError, match="C must be"):
        fit_probe(data["train"], data["val"], concept="c", model_name="m", layer=0, C_grid=(0.0,))


def test_layer_sweep_picks_the_informative_layer(
    rng: np.random.Generator, direction: npt.NDArray[np.float64]
) -> None:
    by_layer = {
        0: make_examples(rng, direction, 40, "train", shift=0.0)
        + make_examples(rng, direction, 30, "validation", shift=0.0),
        5: make_examples(rng, direction, 40, "train", shift=1.5)
        + make_examples(rng, direction, 30, "validation", shift=1.5)
        + make_examples(rng, direction, 10, "test", shift=1.5),
    }
    sweep = layer_sweep(
        by_layer, concept="c", model_name="m", C_grid=(0.1,), aggregation_candidates=CANDIDATES
    )
    assert sweep.best_layer == 5
    table = sweep.table()
    assert [row["layer"] for row in table] == [0, 5]
    assert [row["best"] for row in table] == [False, True]
    assert table[1]["val_auroc"] > 0.98 > table[0]["val_auroc"]
    probe, report = sweep.best
    assert probe.layer == 5
    assert report.n_examples == {"train": 40, "validation": 30}  # the test split is left out


def test_calibrate_probe(fitted: Fitted, data: Data, tmp_path: Path) -> None:
    probe, _ = fitted
    benign = score_examples(probe, data["benign"])
    calibrated = calibrate_probe(probe, benign, target_fpr=0.01)
    t = calibrated.threshold
    assert 0.0 <= t <= 1.0
    assert np.mean(benign > t) <= 0.01
    # rules fire on score >= threshold: the threshold sits just above a benign score
    assert np.mean(benign >= t) <= 0.01
    assert np.nextafter(t, -np.inf) in benign.tolist()
    assert calibrated.training["calibrated"] is True
    assert calibrated.training["calibration"]["n_benign"] == len(benign)
    assert calibrated.training["calibration"]["observed_fpr"] <= 0.01
    assert probe.threshold == PLACEHOLDER_THRESHOLD  # the original is untouched
    looser = calibrate_probe(probe, benign, target_fpr=0.1)
    assert looser.threshold <= t
    path = tmp_path / "deception.probe.json"
    save_probe(path, calibrated)
    assert load_probe(path).threshold == t
