"""Concept labels as stores keep them: once per encoder, not in every token row.

A stored token or alert carries concept ids and the identity of the encoder that produced
them; a reader resolves the ids to labels from the encoder's label table. The identity is
derived from the labels themselves (``encoder_identity``), so two sidecars that load the
same encoder name it the same way without coordinating, and a changed label set is a new
encoder.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.sidecar.scoring.concepts import ConceptEncoder

MAX_CONCEPTS = 1 << 20  # label tables larger than this are refused (ids are UInt32)


@dataclass(frozen=True)
class ConceptLabels:
    """The labels of one encoder's concepts: ``labels[i]`` names concept id ``i``."""

    encoder: str
    labels: tuple[str, ...]

    def label(self, concept_id: int) -> str:
        """The concept's label ('' when the id is outside the table)."""
        return self.labels[concept_id] if 0 <= concept_id < len(self.labels) else ""


def encoder_identity(labels: Sequence[str]) -> str:
    """A short stable name for an encoder's label table (``sha256:`` + 16 hex digits)."""
    digest = hashlib.sha256(json.dumps(list(labels), ensure_ascii=False).encode()).hexdigest()
    return f"sha256:{digest[:16]}"


def concept_labels(labels: Sequence[str]) -> ConceptLabels:
    """The label table of ``labels`` under its identity."""
    return ConceptLabels(encoder=encoder_identity(labels), labels=tuple(labels))


def encoder_labels(encoder: ConceptEncoder, concepts: int) -> ConceptLabels:
    """The label table of a loaded encoder with ``concepts`` concepts (ids 0..concepts-1)."""
    if not 0 < concepts <= MAX_CONCEPTS:
        raise ValueError(f"an encoder must have 1..{MAX_CONCEPTS} concepts, got {concepts}")
    return concept_labels([encoder.label(i) for i in range(concepts)])
