"""Probe scoring: all probes of one layer in one matrix product."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from monitor.artifacts.probe_format import Probe

FloatArray = npt.NDArray[np.float32]


def sigmoid(z: npt.NDArray[np.floating]) -> FloatArray:
    """Logistic function without overflow warnings."""
    return (0.5 * (1.0 + np.tanh(0.5 * z))).astype(np.float32, copy=False)


class ProbeSet:
    """The probes of one layer, folded into one ``[d_model, n_heads]`` matrix: one column
    per head, the heads of each probe contiguous (primary first), probes in order.

    Normalisation is folded into the weights: ``w' = w / scale`` and
    ``b' = b - sum(w * mean / scale)``, so scoring is ``sigmoid(a @ W' + b')``.
    """

    def __init__(self, probes: Sequence[Probe]) -> None:
        if not probes:
            raise ValueError("a ProbeSet needs at least one probe")
        layers = {p.layer for p in probes}
        widths = {p.d_model for p in probes}
        if len(layers) != 1 or len(widths) != 1:
            raise ValueError("all probes of a ProbeSet must share layer and d_model")
        self.probes: tuple[Probe, ...] = tuple(probes)
        self.layer: int = probes[0].layer
        self.d_model: int = probes[0].d_model
        self.concepts: tuple[str, ...] = tuple(p.concept for p in probes)
        heads = [h for p in probes for h in p.all_heads()]
        starts = np.cumsum([0, *(1 + len(p.heads) for p in probes)])
        #: Columns of each probe's heads in the score matrix.
        self.head_columns: tuple[slice, ...] = tuple(
            slice(int(a), int(b)) for a, b in itertools.pairwise(starts)
        )
        weights = np.array([h.weights for h in heads], dtype=np.float64)  # [n, d]
        mean = np.array([h.normalization.mean for h in heads], dtype=np.float64)
        scale = np.array([h.normalization.scale for h in heads], dtype=np.float64)
        bias = np.array([h.bias for h in heads], dtype=np.float64)
        folded = weights / scale
        self._w: FloatArray = np.ascontiguousarray(folded.T, dtype=np.float32)  # [d, n]
        self._b: npt.NDArray[np.float64] = bias - (folded * mean).sum(axis=1)  # [n]

    def __len__(self) -> int:
        return len(self.probes)

    def score(self, activations: FloatArray) -> FloatArray:
        """Scores in [0, 1]: float32 ``[rows, d_model]`` -> float32 ``[rows, n_heads]``
        (for probes with one head each, column j is probe j)."""
        if activations.ndim != 2 or activations.shape[1] != self.d_model:
            raise ValueError(
                f"expected [rows, {self.d_model}] activations, got {list(activations.shape)}"
            )
        logits = activations @ self._w + self._b
        return sigmoid(logits)


def build_probe_sets(probes: Sequence[Probe]) -> dict[int, ProbeSet]:
    """Group probes by layer into one ProbeSet per layer."""
    by_layer: dict[int, list[Probe]] = {}
    for probe in probes:
        by_layer.setdefault(probe.layer, []).append(probe)
    return {layer: ProbeSet(group) for layer, group in sorted(by_layer.items())}
