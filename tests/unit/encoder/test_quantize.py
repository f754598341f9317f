"""The int8 concept encoder: written, measured against float32, recorded, and served."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitor.artifacts.encoder_format import CARD_FILE, INT8_ONNX_FILE
from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import SidecarConfig
from monitor.sidecar.scoring.encoder import EncoderError, OnnxConceptEncoder
from probes.encoder.quantize import measure_agreement, quantize_encoder
from tests.unit.sidecar.helpers import LAYER, MODEL
from tests.unit.sidecar.test_encoder import write_encoder

D, M, K = 64, 256, 8


@pytest.fixture
def encoder_dir(tmp_path: Path, rng: np.random.Generator) -> Path:
    weights = rng.normal(size=(D, M)).astype(np.float32)
    bias = rng.normal(scale=0.1, size=M).astype(np.float32)
    return write_encoder(tmp_path / "enc", weights, bias, K)


@pytest.fixture
def rows(rng: np.random.Generator) -> np.ndarray:
    return rng.normal(size=(3000, D)).astype(np.float32)


class FixedEncoder:
    """Answers every row with the same ids and values."""

    def __init__(self, ids: list[int], values: list[float]) -> None:
        self.ids = np.array([ids], np.int32)
        self.values = np.array([values], np.float32)

    def encode(self, activations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(activations)
        return np.repeat(self.ids, n, axis=0), np.repeat(self.values, n, axis=0)


def test_agreement_counts_shared_concepts_and_value_error() -> None:
    reference = FixedEncoder([0, 1, 2, 3], [4.0, 3.0, 0.0, 0.0])
    candidate = FixedEncoder([0, 1, 9, 8], [4.0, 3.0, 2.0, 1.0])
    agreement = measure_agreement(reference, candidate, np.zeros((10, D), np.float32))  # type: ignore[arg-type]
    assert agreement.rows == 10
    assert agreement.topk_overlap == pytest.approx(0.5)
    assert agreement.topk_overlap_p01 == pytest.approx(0.5)
    assert agreement.top1_same == 1.0
    assert agreement.value_relative_error == pytest.approx(0.0)  # dropped ids had value 0
    swapped = FixedEncoder([1, 0, 2, 3], [2.0, 4.0, 0.0, 0.0])
    other = measure_agreement(reference, swapped, np.zeros((2, D), np.float32))  # type: ignore[arg-type]
    assert other.topk_overlap == 1.0 and other.top1_same == 0.0
    assert other.value_relative_error == pytest.approx(np.hypot(0.0, 1.0) / 5.0)
    with pytest.raises(ValueError, match="no activations"):
        measure_agreement(reference, candidate, np.zeros((0, D), np.float32))  # type: ignore[arg-type]


def test_quantize_writes_the_int8_graph_and_records_its_agreement(
    encoder_dir: Path, rows: np.ndarray
) -> None:
    section = quantize_encoder(encoder_dir, rows, "random rows")
    target = encoder_dir / INT8_ONNX_FILE
    assert target.is_file()
    card = json.loads((encoder_dir / CARD_FILE).read_text())
    assert card["int8"] == section
    assert section["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert section["rows"] == len(rows) and section["activations"] == "random rows"
    assert 0.9 <= section["topk_overlap"] < 1.0 + 1e-9
    assert section["top1_same"] > 0.8 and section["value_relative_error"] < 0.1
    # what the card claims is what the served graph does
    reference = OnnxConceptEncoder(encoder_dir)
    served = OnnxConceptEncoder(encoder_dir, precision="int8")
    assert served.precision == "int8" and served.k == K
    again = measure_agreement(reference, served, rows)
    assert again.topk_overlap == pytest.approx(section["topk_overlap"])


def test_an_int8_graph_under_the_bar_is_refused_and_removed(
    encoder_dir: Path, rows: np.ndarray
) -> None:
    before = (encoder_dir / CARD_FILE).read_text()
    with pytest.raises(ValueError, match=r"keeps .* of the top-k concepts"):
        quantize_encoder(encoder_dir, rows, "random rows", min_overlap=1.01)
    assert not (encoder_dir / INT8_ONNX_FILE).exists()
    assert (encoder_dir / CARD_FILE).read_text() == before


def test_a_missing_int8_graph_names_the_command_that_makes_it(encoder_dir: Path) -> None:
    with pytest.raises(EncoderError, match="llm-monitor encoder quantize --dir"):
        OnnxConceptEncoder(encoder_dir, precision="int8")
    with pytest.raises(EncoderError, match="unknown encoder precision 'int4'"):
        OnnxConceptEncoder(encoder_dir, precision="int4")


def test_the_sidecar_runs_the_precision_its_config_names(
    encoder_dir: Path, rows: np.ndarray, tmp_path: Path
) -> None:
    quantize_encoder(encoder_dir, rows, "random rows")
    config = SidecarConfig(
        model_name=MODEL,
        encoder_dir=encoder_dir,
        encoder_precision="int8",
        grpc_address="127.0.0.1:0",
        metrics_address="127.0.0.1:0",
        storage={"path": str(tmp_path / "traces.sqlite")},
    )
    sidecar = Sidecar(config, registry=CollectorRegistry())
    (encoder,) = sidecar.concept_encoders.values()
    assert encoder.layer == LAYER and encoder.precision == "int8"
    with pytest.raises(ValueError, match="encoder_precision"):
        SidecarConfig(model_name=MODEL, encoder_precision="int4")
