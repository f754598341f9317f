"""The sidecar's probe set: scoring against the formula, grouping by layer.

The probe artifact format itself is tested in ``tests/unit/artifacts/test_probe_format.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from monitor.sidecar.scoring.probe_set import ProbeSet, build_probe_sets

from .helpers import D_MODEL, make_probe, reference_scores


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
