"""Trace updates as sidecars send them, for the trace-store tests.

Times are relative to the wall clock (a ClickHouse store expires rows by TTL against it):
``T0`` is six hours ago, so the newest-first pages of a fleet store need more than its
first one-hour window.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np

from monitor.sidecar.records import Firing
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.severity import Severity
from monitor.sidecar.traces.labels import concept_labels
from monitor.sidecar.traces.snapshots import Snapshots
from monitor.sidecar.traces.writer import TraceUpdate

HOUR = 3600.0
DAY = 24 * HOUR
T0 = float(int(time.time() - 6 * HOUR))
MODEL = "test-model"
SOURCE = "pod-a"
LABELS = concept_labels([f"concept {i}" for i in range(16)])


def tokens(
    scores: Mapping[str, Sequence[float]],
    *,
    start: int = 0,
    layer: int = 3,
    request_id: str = "req",
    model_name: str = MODEL,
    concept_ids: Sequence[Sequence[int]] | None = None,
    concept_values: Sequence[Sequence[float]] | None = None,
    segments: Sequence[int] | None = None,
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
        aggregates={c: float(max(v)) for c, v in scores.items()},
        thresholds={c: 0.5 for c in scores},
        concept_ids=np.asarray(concept_ids, dtype=np.int32) if concept_ids is not None else None,
        concept_values=(
            np.asarray(concept_values, dtype=np.float32) if concept_values is not None else None
        ),
        segments=np.asarray(segments, dtype=np.int8) if segments is not None else None,
    )


class Sidecar:
    """One replica: builds its updates with the summary it computes (``Snapshots``)."""

    def __init__(self, source: str = SOURCE) -> None:
        self.source = source
        self._snapshots = Snapshots()

    def alert(
        self,
        request_id: str,
        *,
        model_name: str = MODEL,
        rule: str = "r",
        concept: str = "deception",
        severity: Severity = "warning",
        fired_at: float = T0,
        score: float = 0.9,
        tenant: str = "",
    ) -> Firing:
        return Firing(
            alert_id=f"{self.source}/{model_name}/{request_id}/{rule}",
            request_id=request_id,
            model_name=model_name,
            concept=concept,
            rule=rule,
            severity=severity,
            score=score,
            threshold=0.5,
            position=1,
            fired_at=fired_at,
            top_concept_ids=(4, 2),
            top_concept_values=(1.5, 0.5),
            tenant=tenant,
        )

    def update(
        self,
        request_id: str,
        *,
        at: float,
        first_seen: float | None = None,
        model_name: str = MODEL,
        chunks: Sequence[RequestTokens] = (),
        alerts: Sequence[Firing] = (),
        max_scores: Mapping[str, float] | None = None,
        tenant: str = "",
        texts: Sequence[Sequence[str]] | None = None,
        encoder: str = "",
    ) -> TraceUpdate:
        """An update of a request seen since ``first_seen`` (default ``at - 1``)."""
        update = TraceUpdate(
            model_name=model_name,
            request_id=request_id,
            first_seen=at - 1.0 if first_seen is None else first_seen,
            last_seen=at,
            tokens=chunks,
            alerts=alerts,
            max_scores=dict(max_scores or {}),
            tenant=tenant,
            source=self.source,
            encoder=encoder,
            texts=texts,
        )
        return self._snapshots.add(update)

    def flagged(
        self,
        request_id: str,
        *,
        at: float = T0,
        model_name: str = MODEL,
        chunks: Sequence[RequestTokens] = (),
        max_scores: Mapping[str, float] | None = None,
        tenant: str = "",
        texts: Sequence[Sequence[str]] | None = None,
        concept: str = "deception",
        severity: Severity = "warning",
    ) -> TraceUpdate:
        """The flagging (first) update of a request: one alert fired at ``at``."""
        firing = self.alert(
            request_id,
            model_name=model_name,
            fired_at=at,
            concept=concept,
            severity=severity,
            tenant=tenant,
        )
        return self.update(
            request_id,
            at=at,
            model_name=model_name,
            chunks=chunks,
            alerts=[firing],
            max_scores=max_scores if max_scores is not None else {concept: 0.9},
            tenant=tenant,
            texts=texts,
        )
