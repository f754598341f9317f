"""The scoring worker: a bounded queue of decoded batches
(:mod:`monitor.sidecar.scoring.batch_queue`) and one thread consuming it.

``offer`` never blocks (drops and counts when full). The worker scores each batch with
the layer's ``ProbeSet``, labels every token with its segment of the chat (from the
prompt the plugin sends when a request starts), lets each probe read the segments it
was trained on (:mod:`monitor.sidecar.scoring.reading`) and hands results to the sinks. It
never dies on an error: errors are counted and logged at a limited rate. Which requests
are in flight, and when they are forgotten (finished, idle past the TTL, shutdown), is
kept in :mod:`monitor.sidecar.scoring.in_flight`.

Work per batch, not per token: the rows are grouped by request once, all probes of the
layer are one matrix product, every request's reading advances in a few array operations
(:mod:`monitor.sidecar.scoring.layer`, :mod:`monitor.sidecar.scoring.table`), histograms
are observed once per concept, and sinks get a
:class:`~monitor.sidecar.scoring.token_batch.TokenBatch` (or, one by one, the
``RequestTokens`` of each request). The Python left per request is a dictionary lookup
and a slot number.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from monitor.artifacts.segments import Segmenter
from monitor.logutil import RateLimitedLog
from monitor.sidecar.ingest.batches import DecodedBatch
from monitor.sidecar.metrics import ModelMetrics, SidecarMetrics
from monitor.sidecar.records import RequestKey
from monitor.sidecar.scoring.batch_queue import BatchQueue
from monitor.sidecar.scoring.concepts import ConceptEncoder
from monitor.sidecar.scoring.in_flight import InFlightRequests
from monitor.sidecar.scoring.layer import LayerReadings
from monitor.sidecar.scoring.probe_set import ProbeSet
from monitor.sidecar.scoring.request_state import finite_scores, group_rows
from monitor.sidecar.scoring.sinks import (
    ActivationSink,
    RequestEnd,
    RequestResult,
    ScoreSink,
)
from monitor.sidecar.scoring.token_batch import TokenBatch

log = logging.getLogger(__name__)

EXPIRE_INTERVAL_S = 1.0
#: A capture-to-score lag at least this long (or negative) is clock skew between hosts.
MAX_CAPTURE_LAG_S = 3600.0


class Pipeline:
    """Bounded queue + worker thread from decoded batches to score sinks."""

    def __init__(
        self,
        metrics: SidecarMetrics,
        probe_sets: Mapping[int, ProbeSet],
        sinks: Sequence[ScoreSink],
        *,
        activation_sinks: Sequence[ActivationSink] = (),
        concept_encoders: Mapping[int, ConceptEncoder] | None = None,
        segmenter: Segmenter | None = None,
        queue_size: int,
        request_ttl_s: float,
        max_queue_bytes: int | None = None,
        encoder_shed_above: float = 1.0,
        defer_encoder: bool = False,
        clock: Callable[[], float] = time.monotonic,
        timer: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._metrics = metrics
        self._wall = wall  # the clock producers stamp step ends with
        # the probes of each layer, with every in-flight request's reading under them
        self._layers = {layer: LayerReadings(ps) for layer, ps in probe_sets.items()}
        self._sinks = list(sinks)
        # Sinks that want per-request token scores (the metrics sink observes per batch).
        self._token_sinks = [sink for sink in self._sinks if sink.wants_tokens]
        self._activation_sinks = list(activation_sinks)
        self._encoders = dict(concept_encoders or {})
        self._segmenter = segmenter or Segmenter(markup=None)
        self._timer = timer  # latency metrics and queue age; the clock of ``received_at``
        self._queue = BatchQueue(metrics, queue_size, max_queue_bytes, timer)
        self._shed_above = encoder_shed_above  # queue fill above which the encoder is skipped
        # True: the encoder's rows travel to the sinks, which encode what they keep
        self._defer_encoder = defer_encoder
        self.heartbeat = time.monotonic()  # the worker's loop came round (watchdog)
        self._clock = clock
        self._requests = InFlightRequests(self._segmenter, request_ttl_s)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._deadline = 0.0
        self._thread: threading.Thread | None = None
        self._errors = RateLimitedLog(log)

    # -- producer side (any thread) --------------------------------------------------

    def offer(self, batch: DecodedBatch, received_at: float | None = None) -> bool:
        """Queue a batch without blocking; when full (batches or bytes), drop it and count
        its rows. ``received_at`` (``timer`` time, default now) is when the ingest received
        it, the start of ``llm_monitor_ingest_to_score_seconds``."""
        return self._queue.offer(batch, received_at)

    def _observe_lag(self, batch: DecodedBatch, received: float | None) -> None:
        """Ingest-to-score and capture-to-score of a batch just scored. The capture time
        is the producer's wall clock: a lag outside [0, 1 h) is clock skew, not observed."""
        model = self._metrics.model(batch.model_name)
        if received is not None:
            model.ingest_to_score.observe(max(0.0, self._timer() - received))
        if batch.step_end_unix_ns > 0:
            lag = self._wall() - batch.step_end_unix_ns / 1e9
            if 0.0 <= lag < MAX_CAPTURE_LAG_S:
                model.capture_to_score.observe(lag)

    @property
    def queue_depth(self) -> int:
        return self._queue.depth

    def oldest_queued_age(self) -> float:
        """Seconds the oldest queued batch has waited (0.0 when the queue is empty)."""
        return self._queue.oldest_age()

    def alive(self) -> bool:
        """True while the worker thread runs."""
        return self._thread is not None and self._thread.is_alive()

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread."""
        if self._thread is not None:
            raise RuntimeError("pipeline already started")
        self._thread = threading.Thread(target=self._run, name="llm-monitor-pipeline", daemon=True)
        self._thread.start()

    def stop(self, drain_timeout_s: float) -> None:
        """Score what is queued until ``drain_timeout_s``, then stop; the rest is counted
        as dropped (reason ``shutdown``), open requests go to the sinks as ``shutdown`` and
        then every sink is shut down (``drain_timeout_s`` each)."""
        self._deadline = time.monotonic() + drain_timeout_s
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(drain_timeout_s + 2.0)
            if thread.is_alive():
                log.error("pipeline worker did not stop within %.1f s", drain_timeout_s + 2.0)
                return
        self._queue.drop_all("shutdown")
        with self._lock:
            keys = list(self._requests)
            for key in keys:
                self._finish(key, "shutdown")
        for sink in self._sinks:
            try:
                if not sink.shutdown(drain_timeout_s):
                    log.error("sink %s did not shut down in time", type(sink).__name__)
            except Exception as exc:
                self._error("", f"shutting down sink {type(sink).__name__}", exc)

    def force_flush(self, timeout: float) -> bool:
        """Wait until the queue is processed and every sink flushed; False on timeout."""
        deadline = time.monotonic() + timeout
        done = self.wait_idle(timeout)
        for sink in self._sinks:
            done = sink.force_flush(max(0.0, deadline - time.monotonic())) and done
        return done

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued batch has been processed; False on timeout."""
        return self._queue.wait_idle(timeout)

    def _run(self) -> None:
        next_expire = self._clock() + EXPIRE_INTERVAL_S
        while True:
            self.heartbeat = time.monotonic()
            if self._stop.is_set() and (self._queue.empty() or time.monotonic() > self._deadline):
                return
            batch = self._queue.get(timeout=0.05)
            if batch is not None:
                try:
                    received = self._queue.take(batch)
                    self.process(batch)
                    self._observe_lag(batch, received)
                except Exception as exc:  # the worker must survive anything
                    self._error(batch.model_name, "processing a batch", exc)
                finally:
                    self._queue.task_done()
            now = self._clock()
            if now >= next_expire:
                next_expire = now + EXPIRE_INTERVAL_S
                try:
                    self.expire(now)
                except Exception as exc:
                    self._error("", "expiring requests", exc)

    def _error(self, model_name: str, what: str, exc: BaseException) -> None:
        self._metrics.model(model_name).pipeline_errors.inc()
        self._errors.error("error while %s: %r", what, exc, exc_info=True)

    # -- processing (worker thread; also callable directly) --------------------------

    def process(self, batch: DecodedBatch) -> None:
        """Score one batch, update per-request state and notify the sinks (timed in
        ``llm_monitor_scoring_duration_seconds``)."""
        started_at = self._timer()
        model = self._metrics.model(batch.model_name)
        for activation_sink in self._activation_sinks:
            try:
                activation_sink.on_batch(batch)
            except Exception as exc:
                self._error(batch.model_name, "handing a batch to an activation sink", exc)
        layer = self._layers.get(batch.layer)
        scores = layer.probe_set.score(batch.activations) if layer is not None else None
        if scores is not None and layer is not None:
            scores, bad = finite_scores(scores)
            if bad is not None:
                for j, probe in enumerate(layer.probe_set.probes):
                    n = int(bad[:, layer.probe_set.head_columns[j]].any(axis=1).sum())
                    if n:
                        model.non_finite_scores(probe.concept).inc(n)
        model.tokens_scored.inc(batch.rows)
        # concepts only travel with probe scores, to sinks that want tokens
        deferred = None
        if layer is not None and self._token_sinks and not self._defer_encoder:
            concept_ids, concept_values = self._encode(batch, model)
        else:
            concept_ids, concept_values = None, None
            if layer is not None and batch.layer in self._encoders:
                deferred = batch.activations  # encoded by a sink, for what it keeps
        # sinks that would use this batch's tokens (none: no RequestTokens are built)
        sinks = [sink for sink in self._token_sinks if sink.tokens_wanted()]
        sentence_end = self._segmenter.is_sentence_end(batch.token_ids)
        observed: list[tuple[str, npt.NDArray[np.float32]]] = []
        now = self._clock()
        with self._lock:
            groups = group_rows(batch.row_request, batch.positions)
            # the requests with rows in this batch, in group order
            request_ids = list(map(batch.request_ids.__getitem__, groups.request.tolist()))
            self._requests.start(batch, now, request_ids)
            states = self._requests.touch_all(
                batch.model_name, request_ids, groups.lengths.tolist(), now
            )
            if scores is not None and layer is not None and len(groups):
                reading = layer.read(batch, groups, states, scores, sentence_end)
                observed = list(layer.observed(reading))
                if sinks:
                    tokens = layer.token_batch(
                        batch, reading, concept_ids, concept_values, deferred
                    )
                    if tokens is not None:
                        self._emit(tokens, sinks)
            for note in batch.uncaptured:
                model.uncaptured(note.reason).inc(note.count)
                # only requests already known (by rows or a start): a note alone creates
                # no state, or a message of notes could hold memory for the TTL
                known = self._requests.get((batch.model_name, note.request_id))
                if known is not None:
                    known.uncaptured[note.reason] = (
                        known.uncaptured.get(note.reason, 0) + note.count
                    )
            for request_id in batch.finished_request_ids:
                self._finish((batch.model_name, request_id), "finished")
        # One histogram update per concept and batch (in-scope tokens), not per request.
        for concept, values in observed:
            model.probe_score(concept).observe_many(values)
        model.scoring_duration.observe(max(0.0, self._timer() - started_at))

    def expire(self, now: float | None = None) -> int:
        """Forget requests idle for longer than the TTL; returns how many."""
        now = self._clock() if now is None else now
        with self._lock:
            keys = self._requests.idle(now)
            for key in keys:
                self._finish(key, "expired")
        return len(keys)

    def request_scores(self, model_name: str, request_id: str) -> dict[str, float] | None:
        """Current aggregated scores of an in-flight request (None if unknown)."""
        with self._lock:
            state = self._requests.get((model_name, request_id))
            if state is None:
                return None
            out: dict[str, float] = {}
            for layer, slot in state.slots.items():
                out.update(self._layers[layer].scores(slot)[0])
            return out

    @property
    def active_requests(self) -> int:
        return len(self._requests)

    def _finish(self, key: RequestKey, end: RequestEnd) -> None:
        state = self._requests.end(key, end)
        if state is None:
            return
        scores: dict[str, float] = {}
        tokens_scored: dict[str, int] = {}
        for layer, slot in state.slots.items():
            readings = self._layers[layer]
            values, counts = readings.scores(slot)
            scores.update(values)
            tokens_scored.update(counts)
            readings.table.remove(slot)
        result = RequestResult(
            model_name=key[0],
            request_id=key[1],
            end=end,
            scores=scores,
            tokens_scored=tokens_scored,
            rows=state.rows,
            uncaptured=dict(state.uncaptured),
        )
        for sink in self._sinks:
            try:
                sink.on_request_finished(result)
            except Exception as exc:
                self._error(key[0], f"in sink {type(sink).__name__}", exc)

    def queue_fill(self) -> float:
        """How full the queue is: the larger of its batch and byte fractions."""
        return self._queue.fill()

    def _encode(
        self, batch: DecodedBatch, model: ModelMetrics
    ) -> tuple[npt.NDArray[np.int32] | None, npt.NDArray[np.float32] | None]:
        """The layer's concept encoder output, or (None, None) without one, on error, or
        while the queue is fuller than ``encoder_shed_above`` (the rows are counted)."""
        encoder = self._encoders.get(batch.layer)
        if encoder is None:
            return None, None
        if self._shed_above < 1.0 and self.queue_fill() > self._shed_above:
            model.encoder_rows_shed.inc(batch.rows)
            return None, None
        try:
            return encoder.encode(batch.activations)
        except Exception as exc:
            self._error(batch.model_name, "encoding concepts", exc)
            return None, None

    def _emit(self, tokens: TokenBatch, sinks: Sequence[ScoreSink]) -> None:
        """A batch's tokens to each sink: whole, or one request at a time."""
        per_request: list[ScoreSink] = []
        for sink in sinks:
            if not sink.takes_batches:
                per_request.append(sink)
                continue
            try:
                sink.on_token_batch(tokens)
            except Exception as exc:
                self._error(tokens.model_name, f"in sink {type(sink).__name__}", exc)
        if not per_request:
            return
        for g in range(len(tokens)):
            request = tokens.request(g)
            for sink in per_request:
                try:
                    sink.on_tokens(request)
                except Exception as exc:
                    self._error(request.model_name, f"in sink {type(sink).__name__}", exc)
