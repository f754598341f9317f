"""ONNX export: torch vs onnxruntime parity, for a random encoder and the shipped one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from probes.encoder.export import check_parity, export_onnx, onnx_encode
from probes.encoder.topk import EncoderConfig, TopKEncoder

SHIPPED = Path(__file__).resolve().parents[3] / "probes/artifacts/SmolLM2-135M-Instruct/encoder"


def random_encoder(d: int = 576, m: int = 1024, k: int = 16) -> TopKEncoder:
    enc = TopKEncoder(EncoderConfig(d_model=d, m=m, k=k, layer=15, model_name="t"))
    with torch.no_grad():
        enc.b_pre.normal_(0.0, 2.0)
        enc.b_enc.normal_(0.0, 0.1)
        enc.scale.fill_(0.2)
    return enc.eval()


def test_random_encoder_exports_with_parity(tmp_path: Path, rng: np.random.Generator) -> None:
    enc = random_encoder()
    path = export_onnx(enc, tmp_path / "encoder.onnx")
    assert onnx.load(str(path)).opset_import[0].version >= 17
    x = (rng.normal(size=(3000, 576)) * 5 + enc.b_pre.detach().numpy()).astype(np.float32)
    parity = check_parity(enc, path, x)
    assert parity.rows_different_beyond_ties == 0, parity
    assert parity.rows_with_different_sets <= 3, parity  # exact ties at the k-th place only
    assert parity.max_abs_diff <= 1e-4, parity
    ids, values = onnx_encode(path, x[:5])
    assert ids.dtype == np.int32 and values.dtype == np.float32
    assert ids.shape == values.shape == (5, 16)
    assert (np.diff(values, axis=1) <= 0).all()  # largest first


def test_parity_detects_a_different_model(tmp_path: Path, rng: np.random.Generator) -> None:
    path = export_onnx(random_encoder(), tmp_path / "encoder.onnx")
    other = random_encoder()  # different random weights
    x = rng.normal(size=(50, 576)).astype(np.float32)
    parity = check_parity(other, path, x)
    assert not parity.ok()
    assert parity.rows_different_beyond_ties > 0


def test_exported_graph_handles_any_row_count(tmp_path: Path, rng: np.random.Generator) -> None:
    path = export_onnx(random_encoder(d=32, m=64, k=4), tmp_path / "encoder.onnx")
    for rows in (1, 7, 513):
        ids, _ = onnx_encode(path, rng.normal(size=(rows, 32)).astype(np.float32))
        assert ids.shape == (rows, 4)


def test_shipped_encoder_matches_its_torch_weights(tmp_path: Path) -> None:
    card = json.loads((SHIPPED / "card.json").read_text())
    enc = TopKEncoder.load(SHIPPED)
    assert (enc.config.m, enc.config.k) == (card["m"], card["k"])
    rng = np.random.default_rng(0)
    x = (
        rng.normal(size=(2000, enc.config.d_model)) / float(enc.scale) + enc.b_pre.detach().numpy()
    ).astype(np.float32)
    parity = check_parity(enc, SHIPPED / "encoder.onnx", x)
    assert parity.ok(), parity
    assert parity.rows_with_different_sets <= 2, parity
    assert card["onnx_parity"]["rows_different_beyond_ties"] == 0
    assert card["onnx_parity"]["max_abs_diff"] <= 1e-4


@pytest.mark.parametrize("rows", [0])
def test_empty_input_is_fine(tmp_path: Path, rows: int) -> None:
    path = export_onnx(random_encoder(d=8, m=16, k=2), tmp_path / "e.onnx")
    ids, _ = onnx_encode(path, np.zeros((rows, 8), np.float32))
    assert ids.shape == (0, 2)


def test_export_command_writes_onnx_and_records_parity(tmp_path: Path) -> None:
    from monitor.cli import main

    enc = random_encoder(d=16, m=64, k=4)
    enc.save(tmp_path / "enc")
    card = {"model_name": "t", "layer": 15, "d_model": 16, "m": 64, "k": 4}
    (tmp_path / "enc" / "card.json").write_text(json.dumps(card))
    argv = ["encoder", "export", "--dir", str(tmp_path / "enc")]
    assert main([*argv, "--cache-dir", str(tmp_path / "no-cache")]) == 0
    written = json.loads((tmp_path / "enc" / "card.json").read_text())
    assert written["onnx_parity"]["rows_different_beyond_ties"] == 0
    assert (tmp_path / "enc" / "encoder.onnx").is_file()
