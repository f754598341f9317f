"""The onnxruntime concept encoder: loading, checks, encoding, and the sidecar wiring."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from prometheus_client import CollectorRegistry

from monitor.artifacts.encoder_format import CARD_FILE, CONCEPTS_FILE, ONNX_FILE
from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import SidecarConfig
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.scoring.encoder import EncoderError, OnnxConceptEncoder, load_concept_encoders
from monitor.sidecar.scoring.probe_set import build_probe_sets
from monitor.sidecar.scoring.scorer import Pipeline

from .helpers import D_MODEL, LAYER, MODEL, make_batch, make_probe, write_probe_dir
from .recording import RecordingSink

M, K = 32, 4


def write_encoder(
    directory: Path,
    weights: np.ndarray,
    bias: np.ndarray,
    k: int = K,
    *,
    card: dict[str, object] | None = None,
    labels: list[str] | None = None,
) -> Path:
    """An encoder directory whose ONNX graph is TopK(a @ W + c), ReLU, int32 ids."""
    d, m = weights.shape
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["activations", "W"], ["xw"]),
            helper.make_node("Add", ["xw", "c"], ["pre"]),
            helper.make_node("TopK", ["pre", "k"], ["top", "ids64"], axis=-1, largest=1, sorted=1),
            helper.make_node("Relu", ["top"], ["concept_values"]),
            helper.make_node("Cast", ["ids64"], ["concept_ids"], to=TensorProto.INT32),
        ],
        "encoder",
        [helper.make_tensor_value_info("activations", TensorProto.FLOAT, ["rows", d])],
        [
            helper.make_tensor_value_info("concept_ids", TensorProto.INT32, ["rows", k]),
            helper.make_tensor_value_info("concept_values", TensorProto.FLOAT, ["rows", k]),
        ],
        initializer=[
            numpy_helper.from_array(weights.astype(np.float32), "W"),
            numpy_helper.from_array(bias.astype(np.float32), "c"),
            numpy_helper.from_array(np.array([k], np.int64), "k"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)
    directory.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(directory / ONNX_FILE))
    (directory / CARD_FILE).write_text(
        json.dumps(
            card
            or {"model_name": MODEL, "layer": LAYER, "d_model": d, "m": m, "k": k, "figures": {}}
        )
    )
    names = labels if labels is not None else [f"concept {i}" for i in range(m)]
    (directory / CONCEPTS_FILE).write_text(
        json.dumps({"concepts": [{"id": i, "label": n} for i, n in enumerate(names)]})
    )
    return directory


@pytest.fixture
def weights(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=(D_MODEL, M)).astype(np.float32), rng.normal(size=M).astype(np.float32)


def test_encode_matches_a_numpy_reference(
    tmp_path: Path, rng: np.random.Generator, weights: tuple[np.ndarray, np.ndarray]
) -> None:
    w, c = weights
    enc = OnnxConceptEncoder(write_encoder(tmp_path, w, c), expected_model=MODEL)
    assert (enc.layer, enc.d_model, enc.k, enc.m) == (LAYER, D_MODEL, K, M)
    acts = rng.normal(size=(50, D_MODEL)).astype(np.float32)
    ids, values = enc.encode(acts)
    pre = acts @ w + c
    expected = np.argsort(-pre, axis=1)[:, :K]
    assert ids.dtype == np.int32 and values.dtype == np.float32
    np.testing.assert_array_equal(ids, expected)
    np.testing.assert_allclose(
        values, np.maximum(np.take_along_axis(pre, expected, axis=1), 0), atol=1e-5
    )
    assert enc.label(3) == "concept 3" and enc.label(M) == "" and enc.label(-1) == ""


def test_empty_batch_and_bad_shapes(tmp_path: Path, weights: tuple[np.ndarray, np.ndarray]) -> None:
    enc = OnnxConceptEncoder(write_encoder(tmp_path, *weights))
    ids, values = enc.encode(np.zeros((0, D_MODEL), np.float32))
    assert ids.shape == values.shape == (0, K)
    with pytest.raises(ValueError, match=rf"\[rows, {D_MODEL}\]"):
        enc.encode(np.zeros((3, D_MODEL + 1), np.float32))


def test_model_mismatch_fails_with_the_file_named(
    tmp_path: Path, weights: tuple[np.ndarray, np.ndarray]
) -> None:
    write_encoder(tmp_path, *weights)
    with pytest.raises(EncoderError, match=r"card\.json.*'test-model'.*'other'"):
        OnnxConceptEncoder(tmp_path, expected_model="other")


@pytest.mark.parametrize(
    ("card", "message"),
    [
        (
            {"model_name": MODEL, "layer": LAYER, "d_model": D_MODEL + 1, "m": M, "k": K},
            r"input must be float32 \[rows, 9\]",
        ),
        (
            {"model_name": MODEL, "layer": LAYER, "d_model": D_MODEL, "m": M, "k": K + 1},
            "card says k=5",
        ),
        (
            {"model_name": MODEL, "layer": LAYER, "d_model": D_MODEL, "m": M, "k": 0},
            "'k' must be a positive integer",
        ),
        ({"model_name": "", "layer": LAYER, "d_model": D_MODEL, "m": M, "k": K}, "'model_name'"),
    ],
)
def test_card_that_does_not_match_the_graph_is_rejected(
    tmp_path: Path, weights: tuple[np.ndarray, np.ndarray], card: dict[str, object], message: str
) -> None:
    write_encoder(tmp_path, *weights, card=card)
    with pytest.raises(EncoderError, match=message):
        OnnxConceptEncoder(tmp_path)


def test_missing_files_and_wrong_label_count(
    tmp_path: Path, weights: tuple[np.ndarray, np.ndarray]
) -> None:
    with pytest.raises(EncoderError, match="not a directory"):
        OnnxConceptEncoder(tmp_path / "nope")
    write_encoder(tmp_path / "a", *weights, labels=["x"] * (M - 1))
    with pytest.raises(EncoderError, match=r"concepts\.json.*must list 32 concepts, got 31"):
        OnnxConceptEncoder(tmp_path / "a")
    write_encoder(tmp_path / "b", *weights)
    (tmp_path / "b" / ONNX_FILE).unlink()
    with pytest.raises(EncoderError, match=r"missing .*encoder\.onnx"):
        OnnxConceptEncoder(tmp_path / "b")
    write_encoder(tmp_path / "c", *weights)
    (tmp_path / "c" / ONNX_FILE).write_bytes(b"not onnx")
    with pytest.raises(EncoderError, match="cannot load"):
        OnnxConceptEncoder(tmp_path / "c")


def test_load_concept_encoders_keys_by_layer(
    tmp_path: Path, weights: tuple[np.ndarray, np.ndarray]
) -> None:
    assert load_concept_encoders(None) == {}
    encoders = load_concept_encoders(write_encoder(tmp_path, *weights), MODEL, 2)
    assert list(encoders) == [LAYER]


def test_pipeline_emits_the_encoders_concepts(
    tmp_path: Path,
    registry: CollectorRegistry,
    rng: np.random.Generator,
    weights: tuple[np.ndarray, np.ndarray],
) -> None:
    from monitor.sidecar.ingest.batches import decode_batch

    enc = OnnxConceptEncoder(write_encoder(tmp_path, *weights))
    sink = RecordingSink()
    pipeline = Pipeline(
        SidecarMetrics(registry),
        build_probe_sets([make_probe(rng)]),
        [sink],
        concept_encoders={LAYER: enc},
        queue_size=8,
        request_ttl_s=30.0,
    )
    acts = rng.normal(size=(3, D_MODEL)).astype(np.float32)
    batch = make_batch(acts)
    pipeline.process(decode_batch(batch, message_bytes=batch.ByteSize(), max_batch_bytes=1 << 30))
    ids, _ = enc.encode(acts)
    assert len(sink.tokens) == 1 and sink.tokens[0].concept_ids is not None
    np.testing.assert_array_equal(sink.tokens[0].concept_ids, ids)


def test_sidecar_loads_the_configured_encoder(
    tmp_path: Path, rng: np.random.Generator, weights: tuple[np.ndarray, np.ndarray]
) -> None:
    probes = write_probe_dir(tmp_path / "probes", [make_probe(rng)])
    config = SidecarConfig(
        model_name=MODEL,
        probe_dir=probes,
        encoder_dir=write_encoder(tmp_path / "enc", *weights),
        grpc_address="127.0.0.1:0",
        metrics_address="127.0.0.1:0",
    )
    sidecar = Sidecar(config, registry=CollectorRegistry())
    assert list(sidecar.concept_encoders) == [LAYER]
    card = {"model_name": "other", "layer": LAYER, "d_model": D_MODEL, "m": M, "k": K}
    other = write_encoder(tmp_path / "other", *weights, card=card)
    with pytest.raises(EncoderError, match="for model 'other', expected 'test-model'"):
        Sidecar(config.model_copy(update={"encoder_dir": other}), registry=CollectorRegistry())
    narrow = write_encoder(
        tmp_path / "narrow", weights[0][: D_MODEL - 1], weights[1]
    )  # reads one dimension fewer than the probes of its layer
    with pytest.raises(EncoderError, match=f"reads d_model {D_MODEL - 1}, the probes"):
        Sidecar(config.model_copy(update={"encoder_dir": narrow}), registry=CollectorRegistry())


def test_run_exits_on_a_bad_encoder(tmp_path: Path, rng: np.random.Generator) -> None:
    from monitor.cli.commands.serve_up import run_sidecar as run
    from monitor.cli.exit_codes import ExitCode

    probes = write_probe_dir(tmp_path / "probes", [make_probe(rng)])
    (tmp_path / "enc").mkdir()
    config = SidecarConfig(
        model_name=MODEL,
        probe_dir=probes,
        encoder_dir=tmp_path / "enc",
        grpc_address="127.0.0.1:0",
        metrics_address="127.0.0.1:0",
    )
    assert run(config) == ExitCode.ARTIFACTS
