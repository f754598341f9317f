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
    assert result["int8"] is None  # no int8 graph in the directory


def test_an_int8_graph_is_measured_in_the_same_run(encoder_dir: Path) -> None:
    from probes.encoder.quantize import quantize_encoder

    rows = np.random.default_rng(1).normal(size=(500, 8)).astype(np.float32)
    quantize_encoder(encoder_dir, rows, "random rows", min_overlap=0.5)
    result = run_encoder_bench(
        EncoderBenchSettings(encoder_dir=encoder_dir, batch_rows=64, seconds=0.2)
    )
    int8 = result["int8"]
    assert int8["tokens"] == 64 * int8["batches"] > 0
    assert int8["speedup_x"] == pytest.approx(int8["tokens_per_s"] / result["tokens_per_s"], 1e-2)
    assert int8["agreement"]["activations"] == "random rows"


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
