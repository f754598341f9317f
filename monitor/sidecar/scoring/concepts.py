"""The concept-encoder seam: per-token top-k active concepts of one layer's activations."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt


class ConceptEncoder(Protocol):
    """Maps ``[rows, d_model]`` float32 activations of ``layer`` to each row's top-k concepts."""

    layer: int
    d_model: int
    k: int

    def encode(
        self, activations: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """Concept ids ``[rows, k]`` (int32) and their values ``[rows, k]`` (float32), each
        row ordered by value, largest first."""
        ...

    def label(self, concept_id: int) -> str:
        """A short human-readable label of one concept ('' when unknown)."""
        ...
