from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from monitor.artifacts.probe_format import (
    ProbeError,
    check_probes,
    load_probe,
    load_probe_dir,
    parse_probe,
    save_probe,
)
from monitor.sidecar.scoring.probe_set import ProbeSet, build_probe_sets

from .helpers import D_MODEL, MODEL, make_probe, reference_scores, write_probe_dir


def test_save_load_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    probe = make_probe(rng, method="ema")
    path = tmp_path / "deception.probe.json"
    save_probe(path, probe)
    data = json.loads(path.read_text())
    assert data["format"] == "llm-monitor-probe"
    assert data["version"] == 2
    assert load_probe(path) == probe


def test_schema_module_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, monitor.artifacts.probe_format;"
        "bad = [m for m in ('numpy', 'grpc', 'torch', 'prometheus_client') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _doc(rng: np.random.Generator) -> dict[str, object]:
    return make_probe(rng).model_dump(mode="json")


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
    write_probe_dir(tmp_path, probes)
    (tmp_path / "notes.json").write_text("{}")  # ignored: not *.probe.json
    assert [p.concept for p in load_probe_dir(tmp_path, MODEL)] == ["deception", "misuse"]
    with pytest.raises(ProbeError, match="expects 'other'"):
        load_probe_dir(tmp_path, "other")
    with pytest.raises(ProbeError, match="more than one probe"):
        check_probes([probes[0], probes[0]])
    with pytest.raises(ProbeError, match="disagree on d_model"):
        check_probes([make_probe(rng, "a"), make_probe(rng, "b", d_model=4)])


def test_probe_set_matches_reference(rng: np.random.Generator) -> None:
    probes = [make_probe(rng, c) for c in ("deception", "misuse", "eval_awareness")]
    probe_set = ProbeSet(probes)
    acts = rng.normal(size=(50, D_MODEL)).astype(np.float32) * 3
    scores = probe_set.score(acts)
    assert scores.shape == (50, 3)
    assert scores.dtype == np.float32
    for j, probe in enumerate(probes):
        np.testing.assert_allclose(
            scores[:, j], reference_scores(probe, acts), rtol=1e-4, atol=1e-6
        )


def test_probe_set_extremes_and_shape(rng: np.random.Generator) -> None:
    probe_set = ProbeSet([make_probe(rng)])
    acts = np.full((2, D_MODEL), 1e6, dtype=np.float32)
    acts[1] *= -1
    scores = probe_set.score(acts)
    assert np.all((scores >= 0) & (scores <= 1))
    with pytest.raises(ValueError, match="expected"):
        probe_set.score(np.zeros((2, D_MODEL + 1), dtype=np.float32))


def test_build_probe_sets_groups_by_layer(rng: np.random.Generator) -> None:
    sets = build_probe_sets(
        [
            make_probe(rng, "a", layer=1),
            make_probe(rng, "b", layer=2),
            make_probe(rng, "c", layer=1),
        ]
    )
    assert {layer: ps.concepts for layer, ps in sets.items()} == {1: ("a", "c"), 2: ("b",)}
