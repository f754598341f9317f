"""``TraceSink``: runs the rule engine on scored tokens, publishes and counts alerts, and
hands flagged requests to the trace store.

Each in-flight request's scored tokens are buffered (at most ``max_buffered_tokens``, the
oldest dropped first) until a rule fires; then the buffer, the alert and every later
token of that request go to the store. Requests are forgotten when the scoring worker
reports their end (finished, expired or shutdown): the worker owns the per-request table
and its TTL, and sends no tokens of a request after its end. Runs on the pipeline thread
and never raises into it: errors are counted in
``llm_monitor_trace_errors_total{stage="sink"}`` and logged at a limited rate.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable

from monitor.logutil import RateLimitedLog
from monitor.sidecar.alerts.hub import AlertPublisher
from monitor.sidecar.alerts.rules import RuleEngine
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.protos import alert_message
from monitor.sidecar.records import Firing, RequestKey
from monitor.sidecar.scoring.sinks import BaseScoreSink, RequestResult, RequestTokens
from monitor.sidecar.traces.writer import TraceUpdate, TraceWriter

log = logging.getLogger(__name__)


def tail(tokens: RequestTokens, n: int) -> RequestTokens:
    """The last ``n`` tokens of a chunk (all of it when it has no more than ``n``)."""
    if n >= len(tokens):
        return tokens
    start = len(tokens) - n
    return dataclasses.replace(
        tokens,
        positions=tokens.positions[start:],
        token_ids=tokens.token_ids[start:],
        scores={concept: values[start:] for concept, values in tokens.scores.items()},
        concept_ids=tokens.concept_ids[start:] if tokens.concept_ids is not None else None,
        concept_values=(
            tokens.concept_values[start:] if tokens.concept_values is not None else None
        ),
        segments=tokens.segments[start:] if tokens.segments is not None else None,
        running={concept: values[start:] for concept, values in tokens.running.items()},
        counts={concept: values[start:] for concept, values in tokens.counts.items()},
        sentence_end=tokens.sentence_end[start:] if tokens.sentence_end is not None else None,
        prompt_done=tokens.prompt_done[start:] if tokens.prompt_done is not None else None,
    )


class _Request:
    __slots__ = ("buffered", "chunks", "first_seen", "flagged", "last_seen", "max_scores")

    def __init__(self, first_seen: float) -> None:
        self.first_seen = first_seen
        self.last_seen = first_seen
        self.chunks: deque[RequestTokens] = deque()
        self.buffered = 0
        self.flagged = False
        self.max_scores: dict[str, float] = {}


class TraceSink(BaseScoreSink):
    """A ``ScoreSink``: rules -> alerts (publisher, counter) and flagged traces (store)."""

    def __init__(
        self,
        engine: RuleEngine,
        metrics: SidecarMetrics,
        *,
        store: TraceWriter | None = None,
        publisher: AlertPublisher | None = None,
        max_buffered_tokens: int = 4096,
        clock: Callable[[], float] = time.time,
        concept_label: Callable[[int], str] | None = None,
    ) -> None:
        if max_buffered_tokens <= 0:
            raise ValueError(f"max_buffered_tokens must be > 0, got {max_buffered_tokens}")
        self.engine = engine
        self._metrics = metrics
        self._store = store
        self._publisher = publisher
        self._max_buffered = max_buffered_tokens
        self._clock = clock
        self._label = concept_label
        # What this sink adds per in-flight request; entries leave with on_request_finished.
        self._requests: dict[RequestKey, _Request] = {}
        self._errors = RateLimitedLog(log)

    @property
    def active_requests(self) -> int:
        return len(self._requests)

    def on_tokens(self, tokens: RequestTokens) -> None:
        try:
            self._on_tokens(tokens)
        except Exception as exc:  # never into the pipeline
            self._error(tokens.model_name, exc)

    def on_request_finished(self, result: RequestResult) -> None:
        try:
            self.engine.finish(result.model_name, result.request_id)
            self._requests.pop((result.model_name, result.request_id), None)
        except Exception as exc:
            self._error(result.model_name, exc)

    def force_flush(self, timeout: float) -> bool:
        """Wait until the trace store committed what was handed to it."""
        return self._store.flush(timeout) if self._store is not None else True

    def shutdown(self, timeout: float) -> bool:
        """Close the trace store (flushing it first)."""
        return self._store.close(timeout) if self._store is not None else True

    def _on_tokens(self, tokens: RequestTokens) -> None:
        if not self.engine.rules and (tokens.model_name, tokens.request_id) not in self._requests:
            return  # nothing can flag this request
        now = self._clock()
        key = (tokens.model_name, tokens.request_id)
        request = self._requests.get(key)
        if request is None:
            request = self._requests[key] = _Request(now)
        else:
            request.last_seen = now
        for concept, last in tokens.aggregates.items():
            running = tokens.running.get(concept)
            value = float(running.max()) if running is not None and running.size else last
            if value > request.max_scores.get(concept, float("-inf")):
                request.max_scores[concept] = value
        firings = self.engine.evaluate(tokens, now)
        if self._store is not None:
            self._store_tokens(request, tokens, firings, now)
        for firing in firings:
            if not firing.suppressed:
                try:
                    self._publish(firing)
                except Exception as exc:
                    self._error(tokens.model_name, exc)

    def _store_tokens(
        self, request: _Request, tokens: RequestTokens, firings: list[Firing], now: float
    ) -> None:
        if not request.flagged and not firings:
            self._buffer(request, tokens)
            return
        if request.flagged:
            chunks = [tokens]
        else:
            request.flagged = True
            chunks = [*request.chunks, tokens]
            request.chunks.clear()
            request.buffered = 0
        assert self._store is not None
        self._store.submit(
            TraceUpdate(
                model_name=tokens.model_name,
                request_id=tokens.request_id,
                first_seen=request.first_seen,
                last_seen=now,
                tokens=chunks,
                alerts=firings,
                max_scores=dict(request.max_scores),
            )
        )

    def _buffer(self, request: _Request, tokens: RequestTokens) -> None:
        request.chunks.append(tokens)
        request.buffered += len(tokens)
        while request.buffered > self._max_buffered:
            oldest = request.chunks.popleft()
            excess = request.buffered - self._max_buffered
            if len(oldest) > excess:
                request.chunks.appendleft(tail(oldest, len(oldest) - excess))
                request.buffered -= excess
            else:
                request.buffered -= len(oldest)

    def _publish(self, firing: Firing) -> None:
        self._metrics.model(firing.model_name).alerts(firing.concept, firing.severity).inc()
        if self._publisher is not None:
            self._publisher.publish(alert_message(firing, self._label))

    def _error(self, model_name: str, exc: BaseException) -> None:
        self._metrics.model(model_name).trace_errors("sink").inc()
        self._errors.error("trace sink error: %r", exc, exc_info=True)
