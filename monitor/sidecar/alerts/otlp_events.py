"""Alerts and request scores as OpenTelemetry ``gen_ai.evaluation.result`` events (plain
values; the SDK wiring is in :mod:`monitor.sidecar.alerts.otlp`).

Follows the GenAI semantic conventions' event ``gen_ai.evaluation.result``
(open-telemetry/semantic-conventions-genai, ``model/gen-ai/events.yaml``; the attribute
names as in ``opentelemetry.semconv._incubating.attributes.gen_ai_attributes``, 0.66b2):

- ``gen_ai.evaluation.name`` (required): the probe's concept, e.g. ``deception``;
- ``gen_ai.evaluation.score.value``: the aggregated request score in [0, 1];
- ``gen_ai.evaluation.score.label``: ``flagged`` (a rule fired, or the score reached the
  probe's calibrated threshold) or ``pass`` (a request score below it);
- ``gen_ai.evaluation.explanation``: one line saying what crossed what;
- ``gen_ai.response.id``: the id the API client saw (vLLM's request id without its internal
  suffix), since the event has no parent span;
- ``gen_ai.request.model`` and ``gen_ai.response.model``: the served model name.

llm-monitor's own attributes use the ``llm_monitor.`` prefix: ``kind`` (``alert`` or
``request_score``), ``request_id`` (vLLM's internal id), ``tenant`` (when set), and for
alerts ``alert_id``, ``rule``, ``severity``, ``threshold``, ``position``, ``suppressed``,
``trace_stored`` and the encoder's ``top_concepts`` / ``top_concept_ids`` /
``top_concept_values``; for request scores ``threshold`` and ``tokens_scored``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.request_ids import external_request_id
from monitor.sidecar.scoring.sinks import RequestResult
from monitor.v1 import query_pb2

EVENT_NAME = "gen_ai.evaluation.result"
EVALUATION_NAME = "gen_ai.evaluation.name"
SCORE_VALUE = "gen_ai.evaluation.score.value"
SCORE_LABEL = "gen_ai.evaluation.score.label"
EXPLANATION = "gen_ai.evaluation.explanation"
RESPONSE_ID = "gen_ai.response.id"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
PREFIX = "llm_monitor."

FLAGGED = "flagged"
PASS = "pass"
KIND_ALERT = "alert"
KIND_REQUEST_SCORE = "request_score"

#: OpenTelemetry log severity numbers (INFO, WARN, ERROR) of the alert severities.
SEVERITY_NUMBERS: Mapping[str, int] = {"info": 9, "warning": 13, "critical": 17}
INFO = 9

AttributeValue = str | bool | int | float | Sequence[str] | Sequence[int] | Sequence[float]


@dataclass(frozen=True)
class EvaluationEvent:
    """One ``gen_ai.evaluation.result`` log record, as plain values."""

    timestamp_ns: int
    severity_text: str
    severity_number: int  # OpenTelemetry SeverityNumber
    attributes: dict[str, AttributeValue]


def _common(
    concept: str, request_id: str, external_id: str, model_name: str, tenant: str, kind: str
) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {
        EVALUATION_NAME: concept,
        RESPONSE_ID: external_id or external_request_id(request_id),
        PREFIX + "kind": kind,
        PREFIX + "request_id": request_id,
    }
    if model_name:
        attributes[REQUEST_MODEL] = attributes[RESPONSE_MODEL] = model_name
    if tenant:
        attributes[PREFIX + "tenant"] = tenant
    return attributes


def alert_event(alert: query_pb2.Alert) -> EvaluationEvent:
    """The event of one alert (as streamed by WatchAlerts)."""
    attributes = _common(
        alert.concept,
        alert.request_id,
        str(getattr(alert, "external_request_id", "")),
        alert.model_name,
        str(getattr(alert, "tenant", "")),
        KIND_ALERT,
    )
    attributes.update(
        {
            SCORE_VALUE: float(alert.score),
            SCORE_LABEL: FLAGGED,
            EXPLANATION: (
                f"rule {alert.rule} ({alert.severity}): {alert.concept} score "
                f"{alert.score:.3f} reached {alert.threshold:.3f} at token {alert.position}"
            ),
            PREFIX + "alert_id": alert.alert_id,
            PREFIX + "rule": alert.rule,
            PREFIX + "severity": alert.severity,
            PREFIX + "threshold": float(alert.threshold),
            PREFIX + "position": int(alert.position),
            PREFIX + "suppressed": bool(alert.suppressed),
            PREFIX + "trace_stored": bool(alert.trace_stored),
        }
    )
    if alert.top_concepts:
        top = alert.top_concepts
        attributes[PREFIX + "top_concepts"] = [c.label or str(c.id) for c in top]
        attributes[PREFIX + "top_concept_ids"] = [int(c.id) for c in top]
        attributes[PREFIX + "top_concept_values"] = [float(c.value) for c in top]
    fired = alert.fired_at.ToNanoseconds() if alert.HasField("fired_at") else time.time_ns()
    return EvaluationEvent(
        timestamp_ns=fired,
        severity_text=alert.severity.upper(),
        severity_number=SEVERITY_NUMBERS.get(alert.severity, INFO),
        attributes=attributes,
    )


def request_score_events(
    result: RequestResult, thresholds: Mapping[str, float], now_ns: int | None = None
) -> list[EvaluationEvent]:
    """One event per concept of a finished request (none for expired or shut-down ones);
    labelled against the probe's calibrated threshold (``thresholds``, by concept)."""
    if result.end != "finished":
        return []
    stamp = time.time_ns() if now_ns is None else now_ns
    tenant = str(getattr(result, "tenant", ""))
    external = str(getattr(result, "external_request_id", ""))
    events = []
    for concept, score in sorted(result.scores.items()):
        attributes = _common(
            concept, result.request_id, external, result.model_name, tenant, KIND_REQUEST_SCORE
        )
        attributes[SCORE_VALUE] = float(score)
        tokens = result.tokens_scored.get(concept)
        if tokens is not None:
            attributes[PREFIX + "tokens_scored"] = int(tokens)
        threshold = thresholds.get(concept)
        if threshold is not None:
            flagged = score >= threshold
            attributes[SCORE_LABEL] = FLAGGED if flagged else PASS
            attributes[PREFIX + "threshold"] = float(threshold)
            attributes[EXPLANATION] = (
                f"{concept} request score {score:.3f} {'>=' if flagged else '<'} "
                f"calibrated threshold {threshold:.3f}"
                + (f" over {tokens} tokens" if tokens is not None else "")
            )
        events.append(EvaluationEvent(stamp, "INFO", INFO, attributes))
    return events
