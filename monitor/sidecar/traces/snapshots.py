"""Trace summaries after each update, for stores that keep one row per trace version.

A fleet store (ClickHouse) cannot update a row in place: it appends the trace's summary as
it stands after each update and reads the highest ``version``. The sidecar knows the whole
history of its requests, so it computes that summary (``TraceSnapshot``) before an update
leaves it; the update then carries it through the outbox, and a replay carries the same
summary again. ``Snapshots`` keeps the running summary of the most recent
``max_requests`` traces; an update of a trace it does not know and without an alert gets
no snapshot (its flagging update was never seen, so there is no trace to add to). A trace's
``first_alert`` is its flagging update's earliest alert and never changes afterwards: fleet
stores key and partition the trace by it (as the SQLite store keeps it from the insert).
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass, field

from monitor.sidecar.records import RequestKey
from monitor.sidecar.severity import Severity, severity_rank
from monitor.sidecar.traces.writer import TraceSnapshot, TraceUpdate

DEFAULT_MAX_REQUESTS = 100_000


@dataclass
class _Running:
    first_alert: float
    severity: Severity
    max_scores: dict[str, float] = field(default_factory=dict)
    alert_concepts: set[str] = field(default_factory=set)
    layer_tokens: dict[int, int] = field(default_factory=dict)  # layer -> tokens stored
    version: int = 0


class Snapshots:
    """Running summaries per request (not thread-safe: one writer thread uses it)."""

    def __init__(self, max_requests: int = DEFAULT_MAX_REQUESTS) -> None:
        self._max = max_requests
        self._running: OrderedDict[RequestKey, _Running] = OrderedDict()

    def __len__(self) -> int:
        return len(self._running)

    def add(self, update: TraceUpdate) -> TraceUpdate:
        """``update`` with ``snapshot`` set to the trace's summary after it (None when the
        trace is unknown and the update has no alert)."""
        key = (update.model_name, update.request_id)
        state = self._running.get(key)
        if state is None:
            if not update.alerts:
                return dataclasses.replace(update, snapshot=None)
            first = min(update.alerts, key=lambda firing: firing.fired_at)
            state = _Running(first_alert=first.fired_at, severity=first.severity)
            self._running[key] = state
            if len(self._running) > self._max:
                self._running.popitem(last=False)
        else:
            self._running.move_to_end(key)
        for firing in update.alerts:  # first_alert stays the flagging update's: it keys the trace
            if severity_rank(firing.severity) > severity_rank(state.severity):
                state.severity = firing.severity
            state.alert_concepts.add(firing.concept)
        for concept, score in update.max_scores.items():
            state.max_scores[concept] = max(state.max_scores.get(concept, 0.0), float(score))
        for chunk in update.tokens:
            state.layer_tokens[chunk.layer] = state.layer_tokens.get(chunk.layer, 0) + len(chunk)
        state.version += 1
        snapshot = TraceSnapshot(
            first_alert=state.first_alert,
            severity=state.severity,
            max_scores=dict(state.max_scores),
            max_score=max(state.max_scores.values(), default=0.0),
            alert_concepts=tuple(sorted(state.alert_concepts)),
            token_count=max(state.layer_tokens.values(), default=0),
            version=state.version,
        )
        return dataclasses.replace(update, snapshot=snapshot)
