"""Deferred concepts (``encoder_scope: flagged``): the trace sink encodes only what it
keeps, and what it keeps is what encoding every token first would have kept: the same
trace updates (concepts per stored token), the same alerts (top concepts at the firing
token), from far fewer encoded rows."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
import pytest

from monitor.artifacts.probe_format import Aggregation
from monitor.sidecar.alerts.flagging import TraceSink
from monitor.sidecar.alerts.rules import AggregationSpec, Rule
from monitor.sidecar.scoring.sinks import RequestResult
from monitor.sidecar.scoring.token_batch import TokenBatch

from .helpers import LAYER, MODEL
from .test_batched_sinks import (
    _batch,
    _Publisher,
    _rules,
    _same_tokens,
    _trace_sink,
    _Writer,
)

D_MODEL, M, K = 6, 40, 3


class CountingEncoder:
    """Top-k of an integer projection (exact, so a row encodes the same alone or in any
    batch); counts the rows it encoded."""

    layer, d_model, k = LAYER, D_MODEL, K

    def __init__(self) -> None:
        self.weights = np.random.default_rng(7).integers(-3, 4, size=(D_MODEL, M))
        self.rows = 0

    def encode(
        self, activations: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        self.rows += activations.shape[0]
        logits = activations.astype(np.int64) @ self.weights
        ids = np.argsort(-logits, axis=1, kind="stable")[:, :K].astype(np.int32)
        values = np.take_along_axis(logits, ids, axis=1).astype(np.float32)
        return ids, values

    def label(self, concept_id: int) -> str:
        return f"c{concept_id}"


def _sink(
    rules: list[Rule], store: bool, encoder: CountingEncoder | None
) -> tuple[TraceSink, _Writer, _Publisher]:
    # no evictions: deferred buffers are larger
    encoders = {LAYER: encoder} if encoder is not None else None
    return _trace_sink(rules, store, max_buffered_bytes=2**30, encoders=encoders)


def _pair(
    batch: TokenBatch, rng: np.random.Generator, eager: CountingEncoder
) -> tuple[TokenBatch, TokenBatch]:
    """The batch as the pipeline hands it over with every token encoded, and deferred."""
    rows = rng.integers(-5, 6, size=(batch.rows, D_MODEL)).astype(np.float32)
    ids, values = eager.encode(rows)
    encoded = dataclasses.replace(batch, concept_ids=ids, concept_values=values)
    deferred = dataclasses.replace(batch, concept_ids=None, concept_values=None, activations=rows)
    return encoded, deferred


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("store", [True, False])
@pytest.mark.parametrize("batches", [True, False])
def test_deferred_concepts_store_and_alert_what_eager_ones_do(
    seed: int, store: bool, batches: bool
) -> None:
    rng = np.random.default_rng(seed)
    rules = _rules(rng)
    eager_encoder, lazy_encoder = CountingEncoder(), CountingEncoder()
    eager, eager_writer, eager_alerts = _sink(rules, store, None)
    lazy, lazy_writer, lazy_alerts = _sink(rules, store, lazy_encoder)
    positions: dict[str, int] = {}
    for _ in range(30):
        requests = [f"q{r}" for r in rng.choice(8, size=int(rng.integers(1, 6)), replace=False)]
        encoded, deferred = _pair(_batch(rng, requests, positions, ids=False), rng, eager_encoder)
        if batches:
            eager.on_token_batch(encoded)
            lazy.on_token_batch(deferred)
        else:
            for g in range(len(encoded)):
                eager.on_tokens(encoded.request(g))
                lazy.on_tokens(deferred.request(g))
        if rng.random() < 0.25:
            result = RequestResult(model_name=MODEL, request_id=requests[-1], end="finished")
            eager.on_request_finished(result)
            lazy.on_request_finished(result)
            positions.pop(requests[-1])
    assert [a.SerializeToString() for a in lazy_alerts.alerts] == [
        a.SerializeToString() for a in eager_alerts.alerts
    ]
    assert all(a.top_concepts for a in lazy_alerts.alerts)
    assert len(lazy_writer.updates) == len(eager_writer.updates)
    for x, y in zip(lazy_writer.updates, eager_writer.updates, strict=True):
        assert x.alerts == y.alerts
        for a, b in zip(x.tokens, y.tokens, strict=True):
            assert a.activations is None  # activations never reach the store
            _same_tokens(a, b)
    # only stored tokens and firing tokens were encoded (the eager side encoded all)
    stored = sum(len(t) for u in lazy_writer.updates for t in u.tokens)
    firings = _firings(lazy)  # every firing, suppressed ones too, got its top concepts
    assert lazy_encoder.rows <= stored + firings <= eager_encoder.rows + firings


def _firings(sink: TraceSink) -> int:
    return int(
        sum(
            sample.value
            for family in sink._metrics.registry.collect()
            if family.name == "llm_monitor_alerts"
            for sample in family.samples
            if sample.name == "llm_monitor_alerts_total"
        )
    )


def test_only_the_flagged_request_is_encoded() -> None:
    rng = np.random.default_rng(3)
    rule = Rule(
        name="loud",
        concept="a",
        threshold=0.99,
        aggregation=AggregationSpec.of_probe(Aggregation(method="max", window=1)),
        cooldown_s=0.0,
    )
    encoder = CountingEncoder()
    sink, writer, alerts = _sink([rule], True, encoder)
    positions: dict[str, int] = {}
    for step in range(20):
        batch = _batch(rng, ["quiet-1", "quiet-2", "loud"], positions, ids=False)
        # no score reaches the threshold, except the loud request's at step 10
        scores = {c: np.minimum(v, 0.5) for c, v in batch.scores.items()}
        running = {c: np.minimum(v, 0.5) for c, v in batch.running.items()}
        if step == 10:
            last = int(batch.starts[2]) + int(batch.lengths[2]) - 1
            scores["a"][last] = running["a"][last] = 1.0
        batch = dataclasses.replace(batch, scores=scores, running=running)
        _, deferred = _pair(batch, rng, CountingEncoder())
        sink.on_token_batch(deferred)
    assert {u.request_id for u in writer.updates} == {"loud"}
    stored = sum(len(t) for u in writer.updates for t in u.tokens)
    assert encoder.rows == stored  # the loud request's tokens (the firing one among them)
    assert len(alerts.alerts) == 1 and alerts.alerts[0].top_concepts
    assert stored < sum(positions.values())  # the quiet requests were never encoded


def test_a_failing_deferred_encoder_stores_tokens_without_concepts() -> None:
    rng = np.random.default_rng(0)
    rules = _rules(rng)

    class Broken(CountingEncoder):
        def encode(
            self, activations: npt.NDArray[np.float32]
        ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
            raise RuntimeError("onnxruntime fell over")

    sink, writer, _ = _sink(rules, True, Broken())
    positions: dict[str, int] = {}
    for _ in range(30):
        requests = [f"q{r}" for r in rng.choice(8, size=3, replace=False)]
        _, deferred = _pair(_batch(rng, requests, positions, ids=False), rng, CountingEncoder())
        sink.on_token_batch(deferred)
    assert writer.updates, "some request was flagged"
    for update in writer.updates:
        for chunk in update.tokens:
            assert chunk.activations is None and chunk.concept_ids is None
    errors = sink._metrics.registry.get_sample_value(
        "llm_monitor_trace_errors_total", {"model_name": MODEL, "stage": "sink"}
    )
    assert errors is not None and errors > 0
