"""Labelled activation examples: what a probe is fitted on and judged against.

``Example`` is one labelled request's activations at one layer (with the chat segments
and sentence ends the sidecar's scoring reads); ``ActivationExample`` is what fitting
needs of it, so callers may pass look-alikes. Next to them, the checks and arrays that
fitting (:mod:`probes.fit`) builds from a split's examples: validation with error
messages that name the split and example, the stacked token matrix, labels and family
counts. Kept apart from the fitting so that collecting examples
(:mod:`probes.collection`) does not import scikit-learn's estimators.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt


class ActivationExample(Protocol):
    """What the fitting code reads from an example (``Example`` or any look-alike)."""

    @property
    def activations(self) -> npt.NDArray[np.floating[Any]]:
        """``[n_tokens, d_model]`` activations of the tokens the probe reads, in position order."""
        ...

    @property
    def label(self) -> int:
        """1 when the concept is present, else 0."""
        ...


@dataclass(frozen=True, eq=False)
class Example:
    """One labelled example's activations at one layer.

    ``segments`` / ``sentence_end`` label each token as the sidecar does (None: every
    token ``unknown`` and no sentence ends, which only probes without a scope read).
    """

    activations: npt.NDArray[np.float32]  # [n_tokens, d_model]
    label: int
    family: str = ""
    split: str = ""
    id: str = ""
    segments: npt.NDArray[np.int8] | None = None  # [n_tokens]
    sentence_end: npt.NDArray[np.bool_] | None = None  # [n_tokens]
    prompt_len: int | None = None  # tokens of the prompt (the rest is the model's reply)


def check_examples(
    examples: Sequence[ActivationExample], split: str, d_model: int | None = None
) -> int:
    """Validate shapes, labels and values; return d_model."""
    if not examples:
        raise ValueError(f"{split}: no examples")
    labels = set()
    for i, ex in enumerate(examples):
        acts = np.asarray(ex.activations)
        if acts.ndim != 2:
            raise ValueError(
                f"{split}[{i}]: activations must be [n_tokens, d_model], got {list(acts.shape)}"
            )
        if d_model is None:
            d_model = int(acts.shape[1])
        if acts.shape[1] != d_model:
            raise ValueError(f"{split}[{i}]: d_model {acts.shape[1]}, expected {d_model}")
        if acts.shape[0] == 0:
            raise ValueError(f"{split}[{i}]: example has no tokens")
        if not np.all(np.isfinite(acts)):
            raise ValueError(f"{split}[{i}]: activations contain NaN or infinite values")
        if ex.label not in (0, 1):
            raise ValueError(f"{split}[{i}]: label must be 0 or 1, got {ex.label!r}")
        labels.add(int(ex.label))
    if labels != {0, 1}:
        only = "positives" if labels == {1} else "negatives"
        raise ValueError(f"{split}: needs both classes, has only {only} ({len(examples)} examples)")
    assert d_model is not None
    return d_model


def example_labels(examples: Sequence[ActivationExample]) -> npt.NDArray[np.int64]:
    """Each example's label ``[n]``."""
    return np.array([int(ex.label) for ex in examples], dtype=np.int64)


def token_matrix(
    examples: Sequence[ActivationExample],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """All tokens stacked ``[N, d]`` (float64) and each token's example label ``[N]``."""
    x = np.concatenate([np.asarray(ex.activations, dtype=np.float64) for ex in examples])
    y = np.concatenate(
        [np.full(len(ex.activations), int(ex.label), dtype=np.int64) for ex in examples]
    )
    return x, y


def family_counts(examples: Sequence[ActivationExample]) -> dict[str, int]:
    """Examples per template family ('' for an example without one)."""
    return dict(Counter(str(getattr(ex, "family", "") or "") for ex in examples))
