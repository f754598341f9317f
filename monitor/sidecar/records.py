"""Plain records shared by the sidecar's wings (bottom floor: no sidecar imports).

``Firing`` is what the rule engine produces: an alert as plain values. The query-API
``Alert`` message is built from it at the edge (``monitor.sidecar.protos.alert_message``),
by the WatchAlerts hub and by the trace store's repository.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.request_ids import external_request_id
from monitor.sidecar.severity import Severity

RequestKey = tuple[str, str]
"""(model_name, request_id): one request of one served model."""


@dataclass(frozen=True)
class Firing:
    """A rule fired for a request: at most one per request and rule."""

    alert_id: str
    request_id: str
    model_name: str
    concept: str
    rule: str
    severity: Severity
    score: float  # the request score that reached the threshold
    threshold: float
    position: int  # token position (0-based, in the request's sequence) where it fired
    fired_at: float  # seconds since the epoch
    #: Fired within the rule's cooldown for this model: stored with the trace and counted in
    #: alerts_total; not streamed (nor counted in alert_notifications_total).
    suppressed: bool = False
    top_concept_ids: tuple[int, ...] = ()  # the encoder's top-k at that token (negative = none)
    top_concept_values: tuple[float, ...] = ()
    tenant: str = ""  # the request's tenant tag ('' when none)

    @property
    def key(self) -> RequestKey:
        return (self.model_name, self.request_id)

    @property
    def external_request_id(self) -> str:
        """The id the API client saw (``request_id`` without vLLM's internal suffix)."""
        return external_request_id(self.request_id)
