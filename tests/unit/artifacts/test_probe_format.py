"""The probe artifact format: save/load round trip, the version tag, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from monitor.artifacts.aggregation import AGGREGATION_METHODS
from monitor.artifacts.probe_format import (
    PROBE_FORMAT,
    PROBE_SUFFIX,
    PROBE_VERSION,
    Aggregation,
    AggregationMethod,
    Head,
    Normalization,
    Probe,
    ProbeError,
    check_probes,
    load_probe,
    load_probe_dir,
    parse_probe,
    save_probe,
)

MODEL = "test-model"
D_MODEL = 8


def make_probe(
    rng: np.random.Generator,
    concept: str = "deception",
    *,
    layer: int = 3,
    d_model: int = D_MODEL,
    method: AggregationMethod = "mean",
) -> Probe:
    return Probe(
        concept=concept,
        model_name=MODEL,
        layer=layer,
        d_model=d_model,
        normalization=Normalization(
            mean=rng.normal(size=d_model).tolist(),
            scale=rng.uniform(0.5, 2.0, size=d_model).tolist(),
        ),
        weights=rng.normal(size=d_model).tolist(),
        bias=float(rng.normal()),
        threshold=0.5,
        aggregation=Aggregation(method=method),
        training={"seed": 0},
    )


def _doc(rng: np.random.Generator) -> dict[str, object]:
    return make_probe(rng).model_dump(mode="json")


def _write_dir(directory: Path, probes: list[Probe]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for probe in probes:
        save_probe(directory / f"{probe.concept}{PROBE_SUFFIX}", probe)
    return directory


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.mark.parametrize("method", AGGREGATION_METHODS)
def test_save_load_round_trip(tmp_path: Path, rng: np.random.Generator, method: str) -> None:
    probe = make_probe(rng, method=method)  # type: ignore[arg-type]
    path = tmp_path / "deception.probe.json"
    save_probe(path, probe)
    data = json.loads(path.read_text())
    assert data["format"] == PROBE_FORMAT == "llm-monitor-probe"
    assert data["version"] == PROBE_VERSION == 2
    assert load_probe(path) == probe


def test_round_trip_with_heads_and_reads(tmp_path: Path, rng: np.random.Generator) -> None:
    probe = make_probe(rng, method="max_rolling_mean")
    extra = Head(
        name="reply",
        normalization=probe.normalization,
        weights=rng.normal(size=D_MODEL).tolist(),
        bias=0.25,
        scope=["reply"],
        positions="sentence_end",
        aggregation=Aggregation(method="ema", alpha=0.3),
    )
    probe = probe.model_copy(update={"heads": [extra], "combine": "max", "scope": ["user"]})
    save_probe(tmp_path / "p.probe.json", probe)
    assert load_probe(tmp_path / "p.probe.json") == probe


def test_version_1_files_keep_their_shape(tmp_path: Path, rng: np.random.Generator) -> None:
    probe = make_probe(rng).model_copy(update={"version": 1})
    save_probe(tmp_path / "v1.probe.json", probe)
    data = json.loads((tmp_path / "v1.probe.json").read_text())
    assert data["version"] == 1 and not {"scope", "positions", "heads", "combine"} & set(data)
    assert load_probe(tmp_path / "v1.probe.json") == probe


def test_schema_module_is_light() -> None:
    code = (
        "import sys, monitor.artifacts.probe_format;"
        "bad = [m for m in ('numpy', 'grpc', 'torch', 'prometheus_client') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_wrong_length_names_field(rng: np.random.Generator) -> None:
    doc = _doc(rng)
    doc["weights"] = [0.0] * (D_MODEL - 1)
    with pytest.raises(ProbeError, match=r"^x\.json: .*weights has 7 values, d_model is 8"):
        parse_probe(doc, "x.json")


def test_missing_field_names_it(rng: np.random.Generator) -> None:
    doc = _doc(rng)
    del doc["threshold"]
    with pytest.raises(ProbeError, match=r"x\.json: threshold: Field required"):
        parse_probe(doc, "x.json")


def test_bad_nested_field(rng: np.random.Generator) -> None:
    doc = _doc(rng)
    doc["aggregation"] = {"method": "median"}
    with pytest.raises(ProbeError, match=r"x\.json: aggregation\.method: Input should be"):
        parse_probe(doc, "x.json")
    doc = _doc(rng)
    doc["normalization"]["scale"][2] = 0.0  # type: ignore[index]
    with pytest.raises(ProbeError, match=r"normalization: .*scale\[2\] must be finite and > 0"):
        parse_probe(doc, "x.json")


def test_format_and_version_checked(rng: np.random.Generator) -> None:
    doc = _doc(rng)
    doc["version"] = 3
    with pytest.raises(ProbeError, match="version: unsupported version 3"):
        parse_probe(doc, "x.json")
    doc = _doc(rng)
    doc["format"] = "something-else"
    with pytest.raises(ProbeError, match="format: expected 'llm-monitor-probe'"):
        parse_probe(doc, "x.json")


def test_invalid_json_names_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.probe.json"
    path.write_text("{not json")
    with pytest.raises(ProbeError, match=r"bad\.probe\.json: invalid JSON"):
        load_probe(path)


def test_load_dir_checks_consistency(tmp_path: Path, rng: np.random.Generator) -> None:
    probes = [make_probe(rng, "deception"), make_probe(rng, "misuse", layer=5)]
    _write_dir(tmp_path, probes)
    (tmp_path / "notes.json").write_text("{}")  # ignored: not *.probe.json
    assert [p.concept for p in load_probe_dir(tmp_path, MODEL)] == ["deception", "misuse"]
    with pytest.raises(ProbeError, match="expects 'other'"):
        load_probe_dir(tmp_path, "other")
    with pytest.raises(ProbeError, match="more than one probe"):
        check_probes([probes[0], probes[0]])
    with pytest.raises(ProbeError, match="disagree on d_model"):
        check_probes([make_probe(rng, "a"), make_probe(rng, "b", d_model=4)])
