"""``TraceSink``: runs the rule engine on scored tokens, publishes and counts alerts, and
hands flagged requests to the trace store.

Buffering: each in-flight request's scored tokens are buffered compactly
(:class:`~monitor.sidecar.alerts.token_buffer.TokenBuffer`, at most ``max_buffered_tokens``
per layer, the oldest dropped first) until a rule fires; then the alert with the tokens of
its step, the buffer, and every later token of that request go to the store, at most
``max_tokens_per_trace`` per layer (the trace is counted once in
``llm_monitor_traces_truncated_total`` when it reaches that). All buffers together stay
within ``max_buffered_bytes``: beyond it the buffer of the request that started buffering
first is dropped (the request is still scored, and its trace, if it is flagged later, starts
after the drop), counted in ``llm_monitor_trace_buffer_evictions_total``. The buffer goes in
its own update right after the alert's, so the alert's commit (and so its delivery) does not
wait for the buffer's encoding and write: a trace read at the moment its alert arrives may
not show the buffered tokens yet.

Publish after commit: with a store, a firing is counted in ``llm_monitor_alerts_total`` (every
firing, also one within its rule's cooldown) and, unless the cooldown suppressed it,
published to ``WatchAlerts`` and counted in ``llm_monitor_alert_notifications_total`` only
when the store reports its trace update committed (``trace_committed``, on the writer
thread), so a counted or streamed alert has a durable trace. When the update is lost instead
(queue full, disk full, write error, shutdown; counted per trace in
``llm_monitor_traces_lost_total{reason}``) the firing is still counted and published
(``trace_lost``), marked ``Alert.trace_stored = false``: alerting never goes quiet because
the disk did, and a client can tell which alerts have a durable trace. Without a store
firings are counted and published at once. Firings whose update was still queued when the
process was killed are neither counted, published nor stored.

Deferred concepts (``encoder_scope: flagged``): tokens arrive with their activation rows
instead of the encoder's output; buffers keep those rows, and the sink runs the encoder
(``encoders``, per layer, :mod:`monitor.sidecar.alerts.deferred_concepts`) only on what it
keeps: a trace's tokens when they go to the store and the token where a rule fired (for the
alert's top concepts). The rest of the traffic is never encoded.

Requests are forgotten when the scoring worker reports their end (finished, expired or
shutdown): the worker owns the per-request table and its TTL, and sends no tokens of a
request after its end. Runs on the pipeline thread (and the store's callbacks on the writer
thread) and never raises into either: errors are counted in
``llm_monitor_trace_errors_total{stage="sink"}`` and logged at a limited rate.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from monitor.logutil import RateLimitedLog
from monitor.sidecar.alerts.deferred_concepts import DeferredConcepts
from monitor.sidecar.alerts.hub import AlertPublisher
from monitor.sidecar.alerts.rules import RuleEngine
from monitor.sidecar.alerts.token_buffer import BatchRecords, TokenBuffer, rows
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.protos import alert_message
from monitor.sidecar.records import Firing, RequestKey
from monitor.sidecar.scoring.concepts import ConceptEncoder
from monitor.sidecar.scoring.sinks import BaseScoreSink, RequestResult, RequestTokens
from monitor.sidecar.scoring.token_batch import TokenBatch
from monitor.sidecar.traces.writer import TraceUpdate, TraceWriter

log = logging.getLogger(__name__)


class _Request:
    __slots__ = (
        "buffer",
        "first_seen",
        "flagged",
        "last_seen",
        "max_scores",
        "stored",
        "truncated",
    )

    def __init__(self, first_seen: float) -> None:
        self.first_seen = first_seen
        self.last_seen = first_seen
        self.buffer: TokenBuffer | None = None  # until flagged (None when empty or evicted)
        self.flagged = False
        self.max_scores: dict[str, float] = {}
        self.stored: dict[int, int] = {}  # layer -> tokens handed to the store
        self.truncated = False  # counted in traces_truncated


class TraceSink(BaseScoreSink):
    """A ``ScoreSink``: rules -> alerts (publisher, counter) and flagged traces (store).

    Takes whole batches (``on_token_batch``): the rules read every request of a batch at
    once and each request's rows are buffered from one record layout of the batch; the
    outcome is that of ``on_tokens`` for each request in turn, with one clock reading per
    batch.
    """

    takes_batches = True

    def __init__(
        self,
        engine: RuleEngine,
        metrics: SidecarMetrics,
        *,
        store: TraceWriter | None = None,
        publisher: AlertPublisher | None = None,
        max_buffered_tokens: int = 4096,
        max_buffered_bytes: int = 256 * 2**20,
        max_tokens_per_trace: int = 32768,
        clock: Callable[[], float] = time.time,
        concept_label: Callable[[int], str] | None = None,
        encoders: Mapping[int, ConceptEncoder] | None = None,
    ) -> None:
        if max_buffered_tokens <= 0:
            raise ValueError(f"max_buffered_tokens must be > 0, got {max_buffered_tokens}")
        if max_buffered_bytes <= 0:
            raise ValueError(f"max_buffered_bytes must be > 0, got {max_buffered_bytes}")
        if max_tokens_per_trace <= 0:
            raise ValueError(f"max_tokens_per_trace must be > 0, got {max_tokens_per_trace}")
        self.engine = engine
        self._metrics = metrics
        self._store = store
        self._publisher = publisher
        self._max_buffered = max_buffered_tokens
        self._max_bytes = max_buffered_bytes
        self._max_per_trace = max_tokens_per_trace
        # requests holding a buffer, in the order they started buffering (oldest first)
        self._buffering: dict[RequestKey, _Request] = {}
        self._buffered_bytes = 0
        self._clock = clock
        self._label = concept_label
        self._deferred = DeferredConcepts(encoders or {}, self._error)  # per layer
        # What this sink adds per in-flight request; entries leave with on_request_finished.
        self._requests: dict[RequestKey, _Request] = {}
        self._errors = RateLimitedLog(log)
        if store is not None:
            store.listen(self)  # alerts are published from its commit callbacks

    @property
    def active_requests(self) -> int:
        return len(self._requests)

    @property
    def buffered_bytes(self) -> int:
        """Memory of all buffers together (array capacity)."""
        return self._buffered_bytes

    def tokens_wanted(self) -> bool:
        """Only while a rule could fire or a flagged request is in flight."""
        return bool(self.engine.rules) or bool(self._requests)

    def on_tokens(self, tokens: RequestTokens) -> None:
        try:
            self._on_tokens(tokens)
        except Exception as exc:  # never into the pipeline
            self._error(tokens.model_name, exc)

    def on_token_batch(self, tokens: TokenBatch) -> None:
        try:
            self._on_batch(tokens)
        except Exception as exc:  # never into the pipeline
            self._error(tokens.model_name, exc)

    def on_request_finished(self, result: RequestResult) -> None:
        try:
            key = (result.model_name, result.request_id)
            self.engine.finish(result.model_name, result.request_id)
            request = self._requests.pop(key, None)
            if request is not None:
                self._release(key, request)
        except Exception as exc:
            self._error(result.model_name, exc)

    def trace_committed(self, update: TraceUpdate) -> None:
        """The store committed an update: publish and count its alerts (writer thread)."""
        self._publish_all(update.alerts, trace_stored=True)

    def trace_lost(self, update: TraceUpdate, reason: str) -> None:
        """The store lost an update (counted there): its alerts still go out, marked
        ``trace_stored=false``."""
        self._publish_all(update.alerts, trace_stored=False)

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
        if tokens.activations is not None:  # deferred concepts: the firing tokens' top-k
            firings = self._deferred.with_top_concepts(firings, tokens)
        if self._store is not None:
            self._store_tokens(key, request, tokens, firings, now)
        else:
            self._publish_all(firings)

    def _on_batch(self, batch: TokenBatch) -> None:
        model = batch.model_name
        if not self.engine.rules or not batch.unique():  # one request at a time
            for g in range(len(batch)):
                if self.engine.rules or (model, batch.request_ids[g]) in self._requests:
                    self.on_tokens(batch.request(g))
            return
        now = self._clock()
        requests: list[_Request] = []
        for request_id in batch.request_ids:
            key = (model, request_id)
            request = self._requests.get(key)
            if request is None:
                request = self._requests[key] = _Request(now)
            else:
                request.last_seen = now
            requests.append(request)
        if batch.rows:
            for concept, running in batch.running.items():
                peaks = np.maximum.reduceat(running, batch.starts).tolist()
                for request, value in zip(requests, peaks, strict=True):
                    if value > request.max_scores.get(concept, float("-inf")):
                        request.max_scores[concept] = value
        fired = self.engine.evaluate_batch(batch, now)
        kept = batch  # what goes to the store (and gives the alerts their top concepts)
        if batch.activations is not None and self._store is not None:
            # deferred concepts: the rows the store keeps, encoded in one call
            room = self._max_per_trace  # a full trace keeps no more tokens: not encoded
            kept = self._deferred.encoded(
                batch,
                [
                    g
                    for g, request in enumerate(requests)
                    if g in fired or (request.flagged and request.stored.get(batch.layer, 0) < room)
                ],
            )
        if batch.activations is not None:
            fired = {
                g: self._deferred.with_top_concepts(f, kept.request(g)) for g, f in fired.items()
            }
        if self._store is None:
            for g in sorted(fired):
                self._publish_all(fired[g])
            return
        records = BatchRecords(batch)
        for g, (request_id, request) in enumerate(zip(batch.request_ids, requests, strict=True)):
            key = (model, request_id)
            try:
                firings = fired.get(g)
                if not request.flagged and not firings:
                    self._buffer_rows(key, request, records, g)
                else:
                    self._store_tokens(key, request, kept.request(g), firings or [], now)
            except Exception as exc:
                self._error(model, exc)

    def _store_tokens(
        self,
        key: RequestKey,
        request: _Request,
        tokens: RequestTokens,
        firings: list[Firing],
        now: float,
    ) -> None:
        if not request.flagged and not firings:
            self._buffer(key, request, tokens)
            return
        backlog: list[RequestTokens] = []
        if not request.flagged:
            request.flagged = True
            if request.buffer is not None:
                backlog = request.buffer.chunks(tokens.model_name, tokens.request_id)
                self._release(key, request)
        # capped in token order (the backlog first), as one list would be
        backlog = self._capped(request, backlog, tokens.model_name)
        chunks = [
            self._deferred.with_concepts(c)
            for c in self._capped(request, [tokens], tokens.model_name)
        ]
        if chunks or firings:  # else the trace is full and nothing new fired
            self._submit(request, tokens, chunks, firings, now)
        if backlog:  # after the alert's update, which need not wait for its encoding or write
            self._submit(
                request, tokens, [self._deferred.with_concepts(c) for c in backlog], [], now
            )

    def _submit(
        self,
        request: _Request,
        tokens: RequestTokens,
        chunks: list[RequestTokens],
        firings: list[Firing],
        now: float,
    ) -> None:
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
                tenant=tokens.tenant,
            )
        )

    def _buffer(self, key: RequestKey, request: _Request, tokens: RequestTokens) -> None:
        self._buffered(self._buffer_of(key, request).append(tokens))

    def _buffer_rows(
        self, key: RequestKey, request: _Request, records: BatchRecords, g: int
    ) -> None:
        self._buffered(self._buffer_of(key, request).append_rows(records, g))

    def _buffer_of(self, key: RequestKey, request: _Request) -> TokenBuffer:
        buffer = request.buffer
        if buffer is None:
            buffer = request.buffer = TokenBuffer(self._max_buffered)
            self._buffering[key] = request
        return buffer

    def _buffered(self, grown: int) -> None:
        """Add to the byte budget; evict the oldest buffers while it is exceeded."""
        self._buffered_bytes += grown
        while self._buffered_bytes > self._max_bytes and self._buffering:
            oldest_key = next(iter(self._buffering))
            self._release(oldest_key, self._buffering[oldest_key])
            self._metrics.model(oldest_key[0]).trace_buffer_evictions.inc()

    def _release(self, key: RequestKey, request: _Request) -> None:
        """Drop a request's buffer and its bytes from the budget."""
        if request.buffer is not None:
            self._buffered_bytes -= request.buffer.nbytes
            request.buffer = None
        self._buffering.pop(key, None)

    def _capped(
        self, request: _Request, chunks: list[RequestTokens], model_name: str
    ) -> list[RequestTokens]:
        """The part of ``chunks`` that fits in ``max_tokens_per_trace`` (per layer)."""
        out: list[RequestTokens] = []
        cut = False
        for chunk in chunks:
            done = request.stored.get(chunk.layer, 0)
            room = self._max_per_trace - done
            if len(chunk) > room:
                cut = True
                if room <= 0:
                    continue
                chunk = rows(chunk, 0, room)
            request.stored[chunk.layer] = done + len(chunk)
            out.append(chunk)
        if cut and not request.truncated:
            request.truncated = True
            self._metrics.model(model_name).traces_truncated.inc()
        return out

    def _publish_all(self, firings: Sequence[Firing], *, trace_stored: bool = False) -> None:
        for firing in firings:
            try:
                self._publish(firing, trace_stored)
            except Exception as exc:
                self._error(firing.model_name, exc)

    def _publish(self, firing: Firing, trace_stored: bool) -> None:
        """Count every firing; stream (and count as a notification) those outside the
        cooldown."""
        model = self._metrics.model(firing.model_name)
        model.alerts(firing.concept, firing.severity).inc()
        if firing.suppressed:
            return
        model.alert_notifications(firing.concept, firing.severity).inc()
        if self._publisher is not None:
            self._publisher.publish(alert_message(firing, self._label, trace_stored=trace_stored))

    def _error(self, model_name: str, exc: BaseException) -> None:
        self._metrics.model(model_name).trace_errors("sink").inc()
        self._errors.error("trace sink error: %r", exc, exc_info=True)
