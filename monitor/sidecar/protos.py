"""Query-API messages built from plain values, at the edge where they leave the sidecar.

Bottom floor: the rule engine, the alert hub and the trace store all build their protos here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from monitor.sidecar.records import Firing
from monitor.v1 import query_pb2


def concept_activations(
    ids: Sequence[int], values: Sequence[float], label: Callable[[int], str] | None = None
) -> list[query_pb2.ConceptActivation]:
    """One token's top-k as proto messages (negative ids, i.e. padding, are skipped)."""
    out = []
    for concept_id, value in zip(ids, values, strict=True):
        if concept_id < 0:
            continue
        out.append(
            query_pb2.ConceptActivation(
                id=int(concept_id), value=float(value), label=_safe_label(label, int(concept_id))
            )
        )
    return out


def _safe_label(label: Callable[[int], str] | None, concept_id: int) -> str:
    """The concept's label, or '' without a labeller or when it fails."""
    if label is None:
        return ""
    try:
        return str(label(concept_id))
    except Exception:
        return ""


def alert_message(
    firing: Firing, label: Callable[[int], str] | None = None, *, trace_stored: bool = False
) -> query_pb2.Alert:
    """The query API's ``Alert`` for a rule firing (top concepts labelled by ``label``)."""
    alert = query_pb2.Alert(
        alert_id=firing.alert_id,
        request_id=firing.request_id,
        model_name=firing.model_name,
        concept=firing.concept,
        rule=firing.rule,
        severity=firing.severity,
        score=firing.score,
        threshold=firing.threshold,
        position=firing.position,
        top_concepts=concept_activations(firing.top_concept_ids, firing.top_concept_values, label),
        suppressed=firing.suppressed,
        trace_stored=trace_stored,
        external_request_id=firing.external_request_id,
        tenant=firing.tenant,
    )
    alert.fired_at.FromNanoseconds(int(firing.fired_at * 1e9))
    return alert
