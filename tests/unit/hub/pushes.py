"""Builders of trace updates and pushes as a sidecar in hub mode sends them.

Times are seconds after ``T0`` (an hour before the tests started), within any retention.
"""

from __future__ import annotations

import time

import numpy as np

from monitor.sidecar.records import Firing
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.traces.labels import ConceptLabels, concept_labels
from monitor.sidecar.traces.snapshots import Snapshots
from monitor.sidecar.traces.wire import push_request
from monitor.sidecar.traces.writer import TraceUpdate
from monitor.v1 import fleet_pb2

MODEL = "fleet-model"
LAYER = 3
K = 4
LABELS: ConceptLabels = concept_labels([f"concept {i}" for i in range(16)])
T0 = float(int(time.time()) - 3600)


def firing(
    request_id: str,
    alert_id: str,
    fired_at: float,
    *,
    model: str = MODEL,
    concept: str = "misuse",
    severity: str = "warning",
    suppressed: bool = False,
) -> Firing:
    return Firing(
        alert_id=alert_id,
        request_id=request_id,
        model_name=model,
        concept=concept,
        rule=f"{concept}-rule",
        severity=severity,  # type: ignore[arg-type]
        score=0.9,
        threshold=0.5,
        position=1,
        fired_at=T0 + fired_at,
        suppressed=suppressed,
        top_concept_ids=(2, 5),
        top_concept_values=(1.5, 0.25),
    )


def chunk(request_id: str, start: int, n: int, *, model: str = MODEL) -> RequestTokens:
    """``n`` tokens from position ``start``: token id 1000 + position, scores position / 100."""
    positions = np.arange(start, start + n, dtype=np.int64)
    ids = (positions[:, None] + np.arange(K)[None, :]) % len(LABELS.labels)
    return RequestTokens(
        model_name=model,
        request_id=request_id,
        layer=LAYER,
        positions=positions,
        token_ids=positions + 1000,
        scores={"misuse": (positions / 100.0).astype(np.float32)},
        aggregates={},
        thresholds={},
        concept_ids=ids.astype(np.int32),
        concept_values=np.linspace(2.0, 1.0, K, dtype=np.float32)[None, :].repeat(n, axis=0),
    )


class Sidecar:
    """One sidecar's updates: running snapshots per request, as the real one keeps."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._snapshots = Snapshots()
        self.seq = 0

    def update(
        self,
        request_id: str,
        start: int,
        n: int,
        *,
        alerts: tuple[Firing, ...] = (),
        model: str = MODEL,
        seen: float = 1000.0,
    ) -> TraceUpdate:
        """The next update of ``request_id``: tokens ``start..start+n-1`` and ``alerts``."""
        update = TraceUpdate(
            model_name=model,
            request_id=request_id,
            first_seen=T0 + seen,
            last_seen=T0 + seen + start + n,
            tokens=[chunk(request_id, start, n, model=model)] if n else [],
            alerts=alerts,
            max_scores={"misuse": (start + n - 1) / 100.0} if n else {},
            source=self.source,
            encoder=LABELS.encoder,
        )
        return self._snapshots.add(update)

    def flagged(
        self, request_id: str, fired_at: float, n: int = 5, *, model: str = MODEL
    ) -> TraceUpdate:
        """The flagging update of a new trace: ``n`` tokens and one alert."""
        alert = firing(request_id, f"{self.source}/{request_id}/a1", fired_at, model=model)
        return self.update(request_id, 0, n, alerts=(alert,), model=model, seen=fired_at - 1)

    def push(self, updates: list[TraceUpdate], *, labels: bool = False) -> fleet_pb2.PushRequest:
        """The next push of ``updates`` (seq counts up), with the label table if asked."""
        self.seq += 1
        return push_request(
            self.source,
            self.seq,
            updates,
            encoder=LABELS.encoder,
            labels=LABELS if labels else None,
        )
