"""Trace updates on the wire to the fleet hub (``monitor.v1.fleet``): encode and decode.

A sidecar in hub mode encodes each ``TraceUpdate`` (with its ``TraceSnapshot``) into a
``TraceUpdateMsg`` of packed columns, without concept labels (the encoder's label table
travels once, as ``ConceptLabels``). The hub decodes them back into ``TraceUpdate``s for
its repository, checking everything it reads: a malformed message raises ``WireError``
naming the update and the field, and nothing of that push is stored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from monitor.sidecar.protos import alert_message
from monitor.sidecar.records import Firing
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.severity import SEVERITIES, Severity
from monitor.sidecar.traces.labels import ConceptLabels
from monitor.sidecar.traces.writer import TraceSnapshot, TraceUpdate
from monitor.v1 import fleet_pb2, query_pb2

MAX_ID_CHARS = 1024  # model names, request ids, tenants, sources, concepts
MAX_LAYER = 65535
MAX_K = 1024
MAX_CHUNK_TOKENS = 1 << 20


class WireError(ValueError):
    """A push the hub refuses; the message names the update and field."""


def update_message(update: TraceUpdate) -> fleet_pb2.TraceUpdateMsg:
    """The wire form of an update; ``update.snapshot`` must be set."""
    snapshot = update.snapshot
    if snapshot is None:
        raise ValueError(f"update of {update.request_id!r} has no snapshot")
    msg = fleet_pb2.TraceUpdateMsg(
        model_name=update.model_name,
        request_id=update.request_id,
        tenant=update.tenant,
        first_seen=update.first_seen,
        last_seen=update.last_seen,
        first_alert=snapshot.first_alert,
        severity=snapshot.severity,
        max_scores=dict(snapshot.max_scores),
        max_score=snapshot.max_score,
        alert_concepts=list(snapshot.alert_concepts),
        token_count=snapshot.token_count,
        version=snapshot.version,
    )
    for i, chunk in enumerate(update.tokens):
        out = msg.chunks.add(layer=chunk.layer)
        out.positions.extend(chunk.positions.tolist())
        out.token_ids.extend(chunk.token_ids.tolist())
        for concept, values in chunk.scores.items():
            out.scores.add(concept=concept, values=np.asarray(values, np.float32).tolist())
        if chunk.concept_ids is not None and chunk.concept_values is not None:
            out.k = int(chunk.concept_ids.shape[1]) if chunk.concept_ids.ndim == 2 else 0
            out.concept_ids.extend(chunk.concept_ids.reshape(-1).tolist())
            out.concept_values.extend(chunk.concept_values.reshape(-1).tolist())
        if chunk.segments is not None:
            out.segments.extend(chunk.segments.tolist())
        if update.texts is not None and i < len(update.texts):
            out.text.extend(update.texts[i])
    for firing in update.alerts:
        alert = alert_message(firing)
        alert.source = update.source
        msg.alerts.append(alert)
    return msg


def push_request(
    source: str,
    seq: int,
    updates: Sequence[TraceUpdate],
    encoder: str = "",
    labels: ConceptLabels | None = None,
) -> fleet_pb2.PushRequest:
    """One push of ``updates`` (each with a snapshot) up to outbox sequence ``seq``."""
    request = fleet_pb2.PushRequest(source=source, seq=seq, encoder=encoder)
    request.updates.extend(update_message(update) for update in updates)
    if labels is not None:
        request.labels.encoder = labels.encoder
        request.labels.labels.extend(labels.labels)
    return request


def updates_from_push(request: fleet_pb2.PushRequest) -> list[TraceUpdate]:
    """The updates of a push, checked; ``WireError`` for anything malformed."""
    source = _text("source", request.source)
    encoder = _text("encoder", request.encoder)
    return [
        update_from_message(msg, source=source, encoder=encoder, index=i)
        for i, msg in enumerate(request.updates)
    ]


def labels_from_push(request: fleet_pb2.PushRequest) -> ConceptLabels | None:
    """The encoder label table a push carries, or None."""
    if not request.HasField("labels") or not request.labels.encoder:
        return None
    return ConceptLabels(
        encoder=_text("labels.encoder", request.labels.encoder), labels=tuple(request.labels.labels)
    )


def update_from_message(
    msg: fleet_pb2.TraceUpdateMsg, *, source: str, encoder: str, index: int = 0
) -> TraceUpdate:
    """A checked ``TraceUpdate`` (with its snapshot) from the wire."""
    where = f"updates[{index}]"
    model = _text(f"{where}.model_name", msg.model_name, required=True)
    request_id = _text(f"{where}.request_id", msg.request_id, required=True)
    tenant = _text(f"{where}.tenant", msg.tenant)
    for name in ("first_seen", "last_seen", "first_alert", "max_score"):
        _finite(f"{where}.{name}", getattr(msg, name))
    if msg.version < 1:
        raise WireError(f"{where}.version must be >= 1, got {msg.version}")
    for concept, score in msg.max_scores.items():
        _text(f"{where}.max_scores key", concept, required=True)
        _finite(f"{where}.max_scores[{concept!r}]", score)
    chunks: list[RequestTokens] = []
    texts: list[list[str]] = []
    for c, chunk in enumerate(msg.chunks):
        tokens, text = _chunk(f"{where}.chunks[{c}]", chunk, model, request_id, tenant)
        chunks.append(tokens)
        texts.append(text)
    alerts = [
        _firing(f"{where}.alerts[{a}]", alert, model, request_id)
        for a, alert in enumerate(msg.alerts)
    ]
    snapshot = TraceSnapshot(
        first_alert=msg.first_alert,
        severity=_severity(f"{where}.severity", msg.severity),
        max_scores=dict(msg.max_scores),
        max_score=msg.max_score,
        alert_concepts=tuple(
            _text(f"{where}.alert_concepts", c, required=True) for c in msg.alert_concepts
        ),
        token_count=msg.token_count,
        version=msg.version,
    )
    return TraceUpdate(
        model_name=model,
        request_id=request_id,
        first_seen=msg.first_seen,
        last_seen=msg.last_seen,
        tokens=chunks,
        alerts=alerts,
        max_scores=dict(msg.max_scores),
        tenant=tenant,
        source=source,
        encoder=encoder,
        snapshot=snapshot,
        texts=texts if any(texts) else None,
    )


def _chunk(
    where: str, chunk: fleet_pb2.TokenChunk, model: str, request_id: str, tenant: str
) -> tuple[RequestTokens, list[str]]:
    n = len(chunk.positions)
    if n > MAX_CHUNK_TOKENS:
        raise WireError(f"{where}: {n} tokens, more than {MAX_CHUNK_TOKENS}")
    if chunk.layer > MAX_LAYER:
        raise WireError(f"{where}.layer {chunk.layer} is above {MAX_LAYER}")
    if len(chunk.token_ids) != n:
        raise WireError(f"{where}.token_ids has {len(chunk.token_ids)} values for {n} positions")
    positions = np.asarray(chunk.positions, dtype=np.int64)
    if n > 1 and bool(np.any(np.diff(positions) <= 0)):
        raise WireError(f"{where}.positions must be strictly ascending")
    scores: dict[str, np.ndarray] = {}
    for s in chunk.scores:
        concept = _text(f"{where}.scores.concept", s.concept, required=True)
        values = np.asarray(s.values, dtype=np.float32)
        if values.shape[0] != n:
            raise WireError(f"{where}.scores[{concept!r}] has {values.shape[0]} values for {n}")
        if not bool(np.all(np.isfinite(values))):
            raise WireError(f"{where}.scores[{concept!r}] has a value that is not finite")
        scores[concept] = values
    ids = values_k = None
    if chunk.k:
        if chunk.k > MAX_K:
            raise WireError(f"{where}.k {chunk.k} is above {MAX_K}")
        if len(chunk.concept_ids) != n * chunk.k or len(chunk.concept_values) != n * chunk.k:
            raise WireError(f"{where}: concept_ids and concept_values need {n} x {chunk.k} values")
        ids = np.asarray(chunk.concept_ids, dtype=np.int32).reshape(n, chunk.k)
        values_k = np.asarray(chunk.concept_values, dtype=np.float32).reshape(n, chunk.k)
        if not bool(np.all(np.isfinite(values_k))):
            raise WireError(f"{where}.concept_values has a value that is not finite")
    elif chunk.concept_ids or chunk.concept_values:
        raise WireError(f"{where}: concept ids or values without k")
    segments = None
    if len(chunk.segments):
        if len(chunk.segments) != n:
            raise WireError(f"{where}.segments has {len(chunk.segments)} values for {n}")
        segments = np.asarray(chunk.segments, dtype=np.int8)
    text = list(chunk.text)
    if text and len(text) != n:
        raise WireError(f"{where}.text has {len(text)} values for {n}")
    tokens = RequestTokens(
        model_name=model,
        request_id=request_id,
        layer=chunk.layer,
        positions=positions,
        token_ids=np.asarray(chunk.token_ids, dtype=np.int64),
        scores=scores,
        aggregates={},
        thresholds={},
        concept_ids=ids,
        concept_values=values_k,
        segments=segments,
        tenant=tenant,
    )
    return tokens, text


def _firing(where: str, alert: query_pb2.Alert, model: str, request_id: str) -> Firing:
    if alert.model_name != model or alert.request_id != request_id:
        raise WireError(f"{where}: the alert is for another request than its update")
    for name in ("score", "threshold"):
        _finite(f"{where}.{name}", getattr(alert, name))
    if not 0 <= alert.fired_at.nanos < 1_000_000_000:
        raise WireError(f"{where}.fired_at.nanos out of range")
    return Firing(
        alert_id=_text(f"{where}.alert_id", alert.alert_id, required=True),
        request_id=request_id,
        model_name=model,
        concept=_text(f"{where}.concept", alert.concept, required=True),
        rule=_text(f"{where}.rule", alert.rule),
        severity=_severity(f"{where}.severity", alert.severity),
        score=alert.score,
        threshold=alert.threshold,
        position=alert.position,
        fired_at=alert.fired_at.seconds + alert.fired_at.nanos / 1e9,
        suppressed=alert.suppressed,
        top_concept_ids=tuple(c.id for c in alert.top_concepts),
        top_concept_values=tuple(c.value for c in alert.top_concepts),
        tenant=_text(f"{where}.tenant", alert.tenant),
    )


def _text(field: str, value: str, *, required: bool = False) -> str:
    if required and not value:
        raise WireError(f"{field} is empty")
    if len(value) > MAX_ID_CHARS:
        raise WireError(f"{field} is longer than {MAX_ID_CHARS} characters")
    return value


def _finite(field: str, value: float) -> None:
    if not math.isfinite(value):
        raise WireError(f"{field} is not finite ({value})")


def _severity(field: str, value: str) -> Severity:
    for known in SEVERITIES:
        if value == known:
            return known
    raise WireError(f"{field}: unknown severity {value!r}; expected one of {', '.join(SEVERITIES)}")
