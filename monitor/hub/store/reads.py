"""The fleet store's read statements and the query-API messages built from their rows.

Every read deduplicates (``LIMIT 1 BY`` the natural key): a replayed write or a trace's
older snapshots may not have been merged away yet. Filters are applied before that
dedup, which is safe because each filtered field is immutable (model, source, tenant,
first alert, ids) or only grows from one snapshot to the next (severity, scores, alerted
concepts): an older snapshot never matches where the newest does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from monitor.hub.store import sql
from monitor.hub.store.cursor import TraceKey
from monitor.request_ids import external_request_id, lookup_ids
from monitor.sidecar.protos import concept_activations
from monitor.sidecar.severity import SEVERITIES, severity_rank
from monitor.sidecar.traces.reader import TraceFilter
from monitor.v1 import query_pb2

Label = Callable[[int], str] | None
"""A concept id's label, of one encoder (None: its labels are not stored)."""
Labels = Callable[[str], Label]
"""The ``Label`` of an encoder (by identity)."""

#: The newest-first order of traces, and the dedup of their snapshots.
TRACE_ORDER = (
    "ORDER BY first_alert DESC, model_name DESC, request_id DESC, source DESC, version DESC"
    " LIMIT 1 BY first_alert, model_name, request_id, source"
)
SUMMARY_COLUMNS = (
    "toUnixTimestamp64Micro(first_alert), model_name, request_id, source,"
    " external_request_id, tenant, toUnixTimestamp64Micro(first_seen),"
    " toUnixTimestamp64Micro(last_seen), toInt8(severity), max_scores, token_count"
)
ALERT_COLUMNS = (
    "model_name, request_id, source, alert_id, concept, rule, toInt8(severity), score,"
    " threshold, position, suppressed, toUnixTimestamp64Micro(fired_at), tenant, encoder,"
    " top_concept_ids, top_concept_values"
)
TOKEN_COLUMNS = (
    "position, token_id, segment, scores,"
    " arrayReverseSort((i, v) -> v, concept_ids, concept_values),"  # largest value first
    " arrayReverseSort(concept_values), encoder, text"
)


def filter_conditions(query: TraceFilter) -> list[str]:
    """The WHERE conditions over ``traces`` of a query's filters."""
    where: list[str] = []
    if query.start is not None:
        where.append(f"first_alert >= {sql.time_literal(query.start.timestamp())}")
    if query.end is not None:
        where.append(f"first_alert < {sql.time_literal(query.end.timestamp())}")
    if query.model_name:
        where.append(f"model_name = {sql.string(query.model_name)}")
    if query.source:
        where.append(f"source = {sql.string(query.source)}")
    if query.tenant:
        where.append(f"tenant = {sql.string(query.tenant)}")
    if query.min_severity:
        where.append(f"toInt8(severity) >= {severity_rank(query.min_severity)}")
    if query.request_id:
        where.append(id_condition(query.request_id))
    if query.concept:
        where.append(f"has(alert_concepts, {sql.string(query.concept)})")
    if query.min_score is not None:
        if query.concept:
            concept = sql.string(query.concept)
            where.append(
                f"mapContains(max_scores, {concept})"
                f" AND max_scores[{concept}] >= {sql.number(query.min_score)}"
            )
        else:
            where.append(f"max_score >= {sql.number(query.min_score)}")
    return where


def internal_id_condition(given: str) -> str:
    """Matches vLLM's internal request id."""
    return f"request_id = {sql.string(given)}"


def external_id_condition(given: str) -> str:
    """Matches an id the API client saw (:func:`monitor.request_ids.lookup_ids`)."""
    return f"external_request_id IN {sql.strings(lookup_ids(given))}"


def id_condition(given: str) -> str:
    """Matches a user-given request id: vLLM's internal id, or an id the API client saw
    (:func:`monitor.request_ids.lookup_ids`)."""
    return (
        f"(request_id = {sql.string(given)}"
        f" OR external_request_id IN {sql.strings(lookup_ids(given))})"
    )


def after_condition(key: TraceKey) -> str:
    """Traces after ``key`` in the newest-first order (the first condition lets the
    engine skip newer parts by the sort key)."""
    at = sql.time_micros(key.first_alert_us)
    return (
        f"first_alert <= {at} AND (first_alert, model_name, request_id, source) <"
        f" ({at}, {sql.string(key.model_name)}, {sql.string(key.request_id)},"
        f" {sql.string(key.source)})"
    )


def summary(row: Sequence[Any]) -> tuple[TraceKey, query_pb2.TraceSummary]:
    """The key and (alert-less) ``TraceSummary`` of a ``SUMMARY_COLUMNS`` row."""
    first_alert, model, request_id, source, external, tenant = row[:6]
    first_seen, last_seen, severity, max_scores, token_count = row[6:]
    message = query_pb2.TraceSummary(
        request_id=request_id,
        model_name=model,
        max_scores={str(k): float(v) for k, v in (max_scores or {}).items()},
        severity=SEVERITIES[int(severity)],
        token_count=int(token_count),
        external_request_id=external,
        tenant=tenant,
        source=source,
    )
    message.first_seen.FromMicroseconds(int(first_seen))
    message.last_seen.FromMicroseconds(int(last_seen))
    return TraceKey(int(first_alert), model, request_id, source), message


def alerts_sql(db: str, keys: Iterable[TraceKey]) -> str:
    """The alerts of these traces, in firing order (each once)."""
    keys = list(keys)
    tuples = ", ".join(
        f"({sql.string(k.model_name)}, {sql.string(k.request_id)}, {sql.string(k.source)})"
        for k in keys
    )
    since = sql.time_micros(min(k.first_alert_us for k in keys))
    return (
        f"SELECT {ALERT_COLUMNS} FROM {db}.alerts"
        f" WHERE (model_name, request_id, source) IN ({tuples}) AND fired_at >= {since}"
        " ORDER BY fired_at, alert_id LIMIT 1 BY model_name, request_id, source, alert_id"
    )


def alert(row: Sequence[Any], labels: Labels) -> tuple[tuple[str, str, str], query_pb2.Alert]:
    """The trace key and ``Alert`` of an ``ALERT_COLUMNS`` row, labelled by ``labels``."""
    model, request_id, source, alert_id, concept, rule, severity, score = row[:8]
    threshold, position, suppressed, fired_at, tenant, encoder, ids, values = row[8:]
    message = query_pb2.Alert(
        alert_id=alert_id,
        request_id=request_id,
        model_name=model,
        concept=concept,
        rule=rule,
        severity=SEVERITIES[int(severity)],
        score=float(score),
        threshold=float(threshold),
        position=int(position),
        top_concepts=concept_activations([int(i) for i in ids], values, labels(encoder)),
        suppressed=bool(suppressed),
        external_request_id=external_request_id(request_id),
        tenant=tenant,
        source=source,
    )
    message.fired_at.FromMicroseconds(int(fired_at))
    return (model, request_id, source), message


def add_tokens(trace: query_pb2.Trace, rows: Iterable[Sequence[Any]], labels: Labels) -> None:
    """Append the tokens of ``TOKEN_COLUMNS`` rows (ordered by position, then layer) to
    ``trace``: one ``TraceToken`` per position, its layers' rows merged (every layer's
    scores, per concept the highest; the first layer's concepts, text and segment that has
    them). The fallback of :mod:`.token_pages` for engines that cannot write protobuf.
    Tokens are built as plain values and converted in one go (far cheaper than message by
    message)."""
    tokens: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for position, token_id, segment, scores, ids, values, encoder, text in rows:
        if current is None or current["position"] != position:
            current = {"position": int(position), "token_id": int(token_id), "scores": {}}
            tokens.append(current)
        if scores:  # per concept the highest of the layers (as the protobuf pages do)
            merged = current["scores"]
            for k, v in scores.items():
                merged[str(k)] = max(float(v), merged.get(str(k), float(v)))
        if ids and "concepts" not in current:
            # the engine's numbers go in as they come (ints and floats): the message
            # checks their types, and int()/float() per concept doubled the build time
            label = labels(encoder)
            if label is None:
                current["concepts"] = [
                    {"id": i, "value": v} for i, v in zip(ids, values, strict=True)
                ]
            else:
                current["concepts"] = [
                    {"id": i, "value": v, "label": label(i)}
                    for i, v in zip(ids, values, strict=True)
                ]
        if text and not current.get("text"):
            current["text"] = text
        if segment and not current.get("segment"):
            current["segment"] = int(segment)
    trace.tokens.extend(query_pb2.TraceToken(**token) for token in tokens)
