"""``llm-monitor train`` and ``llm-monitor eval`` through real vLLM and the plugin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.artifacts.probe_format import load_probe

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def _run(args: list[str], log: Path) -> None:
    with log.open("wb") as out:
        proc = subprocess.run(
            [sys.executable, "-m", "monitor.cli", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=1500,
        )
    assert proc.returncode == 0, log.read_text(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def trained(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A misuse probe trained on a small subset of the project's data."""
    out = tmp_path_factory.mktemp("trained")
    _run(
        [
            "train",
            "--model",
            str(model_dir),
            "--concepts",
            "misuse",
            "--layers",
            "15",
            "--limit",
            "60",
            "--reply-tokens",
            "16",
            "--out",
            str(out),
        ],
        out / "train.log",
    )
    return out


def test_train_end_to_end_beats_chance_on_held_out_templates(trained: Path) -> None:
    probe = load_probe(trained / "misuse.probe.json")
    assert probe.layer == 15 and probe.concept == "misuse"
    assert probe.training.get("calibrated") is True
    # the misuse probe reads the user's request, never the system prompt or the reply
    for head in probe.all_heads():
        assert head.scope is not None and "reply" not in head.scope
        assert "system" not in head.scope
    summary = json.loads((trained / "training-summary.json").read_text())
    test = summary["misuse"]["evaluations"]["held-out test split"]["probe"]
    assert test["n"] >= 40
    assert test["auroc"] >= 0.75, test
    assert 0.0 <= test["auroc_ci95"][0] <= test["auroc"] <= test["auroc_ci95"][1] <= 1.0
    assert summary["misuse"]["search"] and any(row["best"] for row in summary["misuse"]["search"])
    report = (trained / "REPORT.md").read_text()
    assert "misuse" in report and "baseline" in report and "length AUROC" in report


def test_eval_on_a_shared_development_set(trained: Path, model_dir: Path, tmp_path: Path) -> None:
    data = SHARED / "misuse_xstest.jsonl"
    assert data.is_file(), f"{data} is missing (the shared development sets sit beside the repo)"
    out = tmp_path / "xstest.json"
    _run(
        [
            "eval",
            "--concept",
            "misuse",
            "--data",
            str(data),
            "--probe",
            str(trained / "misuse.probe.json"),
            "--model",
            str(model_dir),
            "--reply-tokens",
            "16",
            "--json",
            str(out),
        ],
        tmp_path / "eval.log",
    )
    result = json.loads(out.read_text())
    assert result["n"] == 450 and result["n_pos"] == 200
    for key in ("auroc", "recall_at_1pct_fpr", "recall_at_calibrated_threshold"):
        assert 0.0 <= result[key] <= 1.0
    assert 0.0 <= result["baseline"]["auroc"] <= 1.0
    assert 0.0 <= result["length_auroc"] <= 1.0
    assert result["reply_tokens"] == 0  # a probe that reads the request never generates
    assert out.with_suffix(".roc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "AUROC" in out.with_suffix(".md").read_text()
