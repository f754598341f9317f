"""``llm-monitor bench encoder`` on a small encoder directory."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from monitor.bench.encoder import EncoderBenchSettings, run_encoder_bench
from monitor.cli import main
from tests.unit.sidecar.test_encoder import write_encoder


@pytest.fixture
def encoder_dir(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    card = {
        "model_name": "m",
        "layer": 3,
        "d_model": 8,
        "m": 32,
        "k": 4,
        "figures": {"ce_loss_recovered": 0.93, "dead_fraction": 0.02},
    }
    return write_encoder(tmp_path / "enc", rng.normal(size=(8, 32)), rng.normal(size=32), card=card)


def test_bench_reports_throughput_and_the_cards_figures(encoder_dir: Path) -> None:
    result = run_encoder_bench(
        EncoderBenchSettings(encoder_dir=encoder_dir, batch_rows=64, seconds=0.2)
    )
    assert result["tokens"] == 64 * result["batches"] > 0
    assert result["tokens_per_s"] > 0
    assert result["ce_loss_recovered"] == 0.93 and result["dead_fraction"] == 0.02
    assert (result["m"], result["k"], result["d_model"]) == (32, 4, 8)


def test_cli_writes_the_json_file(encoder_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "bench.json"
    argv = ["bench", "encoder", "--encoder-dir", str(encoder_dir), "--seconds", "0.1"]
    assert main([*argv, "--json", str(out)]) == 0
    assert json.loads(out.read_text())["batch_rows"] == 256


def test_bad_settings_are_rejected(encoder_dir: Path) -> None:
    with pytest.raises(ValueError, match="positive"):
        run_encoder_bench(EncoderBenchSettings(encoder_dir=encoder_dir, batch_rows=0))
    with pytest.raises(SystemExit):
        main(["bench", "encoder", "--encoder-dir", str(encoder_dir), "--seconds", "-1"])
