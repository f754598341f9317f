"""ROC plot and markdown report."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from monitor.artifacts.probe_format import Aggregation, Normalization, Probe
from probes.metrics import evaluate
from probes.report import MATPLOTLIB_MISSING, markdown_report, metrics_table, roc_plot


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(11)


@pytest.fixture
def probe() -> Probe:
    return Probe(
        concept="deception",
        model_name="SmolLM2-135M-Instruct",
        layer=15,
        d_model=4,
        normalization=Normalization(mean=[0.0] * 4, scale=[1.0] * 4),
        weights=[0.1, -0.2, 0.3, 0.0],
        bias=-0.5,
        threshold=0.8125,
        aggregation=Aggregation(method="ema", alpha=0.1),
        training={
            "C": 0.1,
            "val_auroc": 0.97,
            "calibrated": True,
            "calibration": {"target_fpr": 0.01, "n_benign": 2000},
        },
    )


def curves(rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    labels = rng.integers(0, 2, size=200)
    return {
        "probe": (rng.normal(size=200) + 2.0 * labels, labels),
        "baseline": (rng.normal(size=200) + 0.7 * labels, labels),
    }


def test_roc_plot_writes_png(rng: np.random.Generator, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = roc_plot(curves(rng), tmp_path / "plots" / "roc.png", title="deception")
    data = path.read_bytes()
    assert len(data) > 1000
    assert data[:8] == b"\x89PNG\r\n\x1a\n"


def test_roc_plot_without_matplotlib_explains(
    rng: np.random.Generator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes any matplotlib import fail
    with pytest.raises(ImportError, match="roc_plot needs matplotlib") as info:
        roc_plot(curves(rng), tmp_path / "roc.png")
    assert str(info.value) == MATPLOTLIB_MISSING
    assert not (tmp_path / "roc.png").exists()


def test_markdown_report(probe: Probe, rng: np.random.Generator) -> None:
    c = curves(rng)
    results = {
        "held-out": {
            "probe": evaluate(*c["probe"], threshold=1.0),
            "baseline": evaluate(*c["baseline"], threshold=1.0),
        }
    }
    text = markdown_report(probe, results, plot_path="deception_roc.png", baseline_threshold=0.6)
    probe_auroc = results["held-out"]["probe"]["auroc"]
    baseline_auroc = results["held-out"]["baseline"]["auroc"]
    assert probe_auroc > baseline_auroc
    for expected in (
        "# Probe report: deception",
        "SmolLM2-135M-Instruct",
        "layer: 15",
        "ema(alpha=0.1)",
        "0.8125",
        "calibrated at 1% FPR on 2000 benign requests",
        "AUROC",
        "recall @1% FPR",
        f"{probe_auroc:.3f}",
        f"{baseline_auroc:.3f}",
        "| held-out | probe | 200 |",
        "| held-out | baseline | 200 |",
        "![ROC curves](deception_roc.png)",
        "C = 0.1",
    ):
        assert expected in text, expected
    assert "## ROC" not in markdown_report(probe, results)


def test_metrics_table_shape_and_missing_values() -> None:
    table = metrics_table({"s": {"probe": {"n": 10, "n_pos": 4, "n_neg": 6, "auroc": 0.91234}}})
    lines = table.splitlines()
    assert len(lines) == 3
    assert lines[0].count("|") == lines[2].count("|")
    assert lines[2] == "| s | probe | 10 | 4 | 6 | 0.912 | - | - | - |"


def test_uncalibrated_probe_is_flagged(probe: Probe) -> None:
    raw = probe.model_copy(update={"training": {"calibrated": False}})
    assert "NOT calibrated" in markdown_report(raw, {})
