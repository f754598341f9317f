"""Builders of ``RequestTokens`` for the rule, sink and store tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from monitor.sidecar.scoring.sinks import RequestTokens

from .helpers import LAYER, MODEL


def request_tokens(
    scores: Mapping[str, Sequence[float]],
    *,
    start: int = 0,
    request_id: str = "req-1",
    model_name: str = MODEL,
    layer: int = LAYER,
    concept_ids: Sequence[Sequence[int]] | None = None,
    concept_values: Sequence[Sequence[float]] | None = None,
    aggregates: Mapping[str, float] | None = None,
) -> RequestTokens:
    """Consecutive tokens from position ``start``; token id = 1000 + position."""
    n = len(next(iter(scores.values())))
    positions = np.arange(start, start + n, dtype=np.int64)
    return RequestTokens(
        model_name=model_name,
        request_id=request_id,
        layer=layer,
        positions=positions,
        token_ids=positions + 1000,
        scores={c: np.asarray(v, dtype=np.float32) for c, v in scores.items()},
        aggregates=dict(aggregates or {c: float(max(v)) for c, v in scores.items()}),
        thresholds={c: 0.5 for c in scores},
        concept_ids=np.asarray(concept_ids, dtype=np.int32) if concept_ids is not None else None,
        concept_values=(
            np.asarray(concept_values, dtype=np.float32) if concept_values is not None else None
        ),
    )
