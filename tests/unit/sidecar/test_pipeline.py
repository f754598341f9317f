from __future__ import annotations

import logging

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitor.artifacts.probe_format import Probe
from monitor.artifacts.segment_names import segment_name
from monitor.logutil import RateLimitedLog
from monitor.sidecar.ingest.batches import DecodedBatch, decode_batch
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.scoring.probe_set import build_probe_sets
from monitor.sidecar.scoring.scorer import Pipeline
from monitor.sidecar.scoring.sinks import BaseScoreSink, RequestResult, RequestTokens

from .helpers import D_MODEL, LAYER, MODEL, make_batch, make_probe, reference_scores
from .recording import RecordingSink


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _decoded(acts: np.ndarray, **kwargs: object) -> DecodedBatch:
    batch = make_batch(acts, **kwargs)  # type: ignore[arg-type]
    return decode_batch(batch, message_bytes=batch.ByteSize(), max_batch_bytes=1 << 30)


def _pipeline(
    registry: CollectorRegistry, probes: list[Probe], clock: FakeClock | None = None
) -> tuple[Pipeline, RecordingSink]:
    from monitor.sidecar.scoring.sinks import MetricsSink

    metrics = SidecarMetrics(registry)
    sink = RecordingSink()
    pipeline = Pipeline(
        metrics,
        build_probe_sets(probes),
        [MetricsSink(metrics), sink],
        queue_size=8,
        request_ttl_s=30.0,
        clock=clock or FakeClock(),
    )
    return pipeline, sink


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, {"model_name": MODEL, **labels})
    return 0.0 if value is None else value


def test_scores_aggregates_and_finishes(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    probes = [make_probe(rng, "deception", method="mean"), make_probe(rng, "misuse", method="max")]
    pipeline, sink = _pipeline(registry, probes)
    acts1 = rng.normal(size=(5, D_MODEL)).astype(np.float32)
    acts2 = rng.normal(size=(3, D_MODEL)).astype(np.float32)
    # rows of two requests interleaved, one request's rows out of position order
    pipeline.process(
        _decoded(
            acts1, request_ids=["a", "b"], row_request=[0, 1, 0, 1, 0], positions=[2, 0, 0, 1, 1]
        )
    )
    pipeline.process(_decoded(acts2, request_ids=["a"], positions=[3, 4, 5], finished=["a"]))

    a_rows = np.concatenate([acts1[[2, 4, 0]], acts2])  # a: positions 0..5
    for probe in probes:
        expected = reference_scores(probe, a_rows)
        got = sink.scores_of("a", probe.concept)
        assert sorted(got) == [0, 1, 2, 3, 4, 5]
        np.testing.assert_allclose([got[p] for p in range(6)], expected, rtol=1e-4)
    ordered = [t.positions.tolist() for t in sink.tokens if t.request_id == "a"]
    assert all(p == sorted(p) for p in ordered)

    assert len(sink.finished) == 1
    result = sink.finished[0]
    assert (result.request_id, result.end, result.rows) == ("a", "finished", 6)
    assert result.scores["deception"] == pytest.approx(
        reference_scores(probes[0], a_rows).mean(), rel=1e-4
    )
    assert result.scores["misuse"] == pytest.approx(
        reference_scores(probes[1], a_rows).max(), rel=1e-4
    )
    assert result.tokens_scored == {"deception": 6, "misuse": 6}

    assert _value(registry, "llm_monitor_tokens_scored_total") == 8
    assert _value(registry, "llm_monitor_probe_score_count", concept="deception") == 8
    assert _value(registry, "llm_monitor_request_score_count", concept="misuse") == 1
    assert _value(registry, "llm_monitor_request_score_sum", concept="misuse") == pytest.approx(
        result.scores["misuse"]
    )
    # b is still open with current aggregates; a is gone
    assert pipeline.request_scores(MODEL, "a") is None
    b_scores = pipeline.request_scores(MODEL, "b")
    assert b_scores is not None
    assert b_scores["deception"] == pytest.approx(
        reference_scores(probes[0], acts1[[1, 3]]).mean(), rel=1e-4
    )


def test_late_rows_of_finished_request_are_not_aggregated(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    pipeline, sink = _pipeline(registry, [make_probe(rng)])
    acts = rng.normal(size=(2, D_MODEL)).astype(np.float32)
    pipeline.process(_decoded(acts, finished=["req-0"]))
    emitted = len(sink.tokens)
    pipeline.process(_decoded(acts, positions=[2, 3], layer=LAYER))
    assert len(sink.finished) == 1
    assert pipeline.active_requests == 0
    assert len(sink.tokens) == emitted  # a request's tokens never reach sinks after its end
    assert _value(registry, "llm_monitor_probe_score_count", concept="deception") == 4


def test_layer_without_probes_counts_tokens(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    pipeline, sink = _pipeline(registry, [make_probe(rng)])
    pipeline.process(_decoded(rng.normal(size=(4, 5)).astype(np.float32), layer=LAYER + 1))
    assert sink.tokens == []
    assert _value(registry, "llm_monitor_tokens_scored_total") == 4


def test_uncaptured_tokens(registry: CollectorRegistry, rng: np.random.Generator) -> None:
    pipeline, sink = _pipeline(registry, [make_probe(rng)])
    acts = rng.normal(size=(1, D_MODEL)).astype(np.float32)
    pipeline.process(_decoded(acts, uncaptured=[("req-0", 12, "prefix_cache")]))
    pipeline.process(
        _decoded(
            acts, positions=[13], uncaptured=[("req-0", 2, "prefix_cache")], finished=["req-0"]
        )
    )
    assert _value(registry, "llm_monitor_tokens_uncaptured_total", reason="prefix_cache") == 14
    assert sink.finished[0].uncaptured == {"prefix_cache": 14}


def test_unknown_uncaptured_reason_counts_as_other(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    pipeline, _ = _pipeline(registry, [make_probe(rng)])
    acts = rng.normal(size=(1, D_MODEL)).astype(np.float32)
    notes = [("req-0", 1, f"why-{i}") for i in range(1)]
    pipeline.process(_decoded(acts, uncaptured=notes))
    assert _value(registry, "llm_monitor_tokens_uncaptured_total", reason="other") == 1
    assert _value(registry, "llm_monitor_tokens_uncaptured_total", reason="why-0") == 0


def test_uncaptured_notes_alone_create_no_request_state(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    pipeline, _ = _pipeline(registry, [make_probe(rng)])
    acts = rng.normal(size=(1, D_MODEL)).astype(np.float32)
    notes = [(f"ghost-{i}", 5, "prefix_cache") for i in range(1)]
    pipeline.process(_decoded(acts, request_ids=["req-0"], uncaptured=notes))
    assert pipeline.active_requests == 1  # req-0, which had a row; no ghost
    assert _value(registry, "llm_monitor_tokens_uncaptured_total", reason="prefix_cache") == 5


def test_non_finite_scores_read_as_the_maximum(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    probe = make_probe(rng, method="max")
    pipeline, sink = _pipeline(registry, [probe])
    # finite rows of +-3e38 overflow the probe's arithmetic (the ingest rejects them; the
    # scorer must still not let NaN through)
    acts = np.full((2, D_MODEL), 3e38, dtype=np.float32)
    acts[1, ::2] = -3e38
    with np.errstate(all="ignore"):
        pipeline.process(_decoded(acts, finished=["req-0"]))
    assert sink.finished[0].scores["deception"] == 1.0
    assert _value(registry, "llm_monitor_non_finite_scores_total", concept="deception") >= 1
    total = _value(registry, "llm_monitor_probe_score_sum", concept="deception")
    assert np.isfinite(total)
    assert np.isfinite(_value(registry, "llm_monitor_request_score_sum", concept="deception"))


def test_queue_bytes_count_whole_batches(registry: CollectorRegistry) -> None:
    acts = np.ones((1, D_MODEL), dtype=np.float32)
    heavy = _decoded(acts, finished=[f"r-{i:05d}" for i in range(5000)])
    assert heavy.nbytes > 5000 * 50
    pipeline = Pipeline(
        SidecarMetrics(registry),
        {},
        [],
        queue_size=100,
        request_ttl_s=60,
        max_queue_bytes=heavy.nbytes * 2,
    )
    assert [pipeline.offer(heavy) for _ in range(3)] == [True, True, False]
    assert (
        _value(registry, "llm_monitor_activations_dropped_total", reason="sidecar_queue_full") == 1
    )


def test_ttl_expires_idle_requests(registry: CollectorRegistry, rng: np.random.Generator) -> None:
    clock = FakeClock()
    pipeline, sink = _pipeline(registry, [make_probe(rng)], clock)
    acts = rng.normal(size=(1, D_MODEL)).astype(np.float32)
    pipeline.process(_decoded(acts, request_ids=["old"]))
    clock.now += 20
    pipeline.process(_decoded(acts, request_ids=["new"]))
    clock.now += 15  # old idle 35 s > 30 s TTL, new idle 15 s
    assert pipeline.expire() == 1
    assert [(r.request_id, r.end) for r in sink.finished] == [("old", "expired")]
    assert pipeline.request_scores(MODEL, "new") is not None
    # an expired request is not observed as a finished request score
    assert _value(registry, "llm_monitor_request_score_count", concept="deception") == 0


class ExplodingSink(BaseScoreSink):
    def on_tokens(self, tokens: RequestTokens) -> None:
        raise RuntimeError("boom")

    def on_request_finished(self, result: RequestResult) -> None:
        raise RuntimeError("boom")


def test_worker_survives_errors_and_drains(
    registry: CollectorRegistry, rng: np.random.Generator, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = SidecarMetrics(registry)
    good = RecordingSink()
    pipeline = Pipeline(
        metrics,
        build_probe_sets([make_probe(rng)]),
        [ExplodingSink(), good],
        queue_size=16,
        request_ttl_s=30.0,
    )
    pipeline.start()
    acts = rng.normal(size=(2, D_MODEL)).astype(np.float32)
    bad = _decoded(rng.normal(size=(2, D_MODEL + 1)).astype(np.float32))  # scoring raises
    with caplog.at_level(logging.ERROR):
        for i in range(5):
            assert pipeline.offer(bad)
            assert pipeline.offer(_decoded(acts, request_ids=[f"r{i}"], finished=[f"r{i}"]))
        assert pipeline.wait_idle(5.0)
    pipeline.stop(1.0)
    assert len(good.finished) == 5  # the sink after the failing one still got everything
    errors = _value(registry, "llm_monitor_pipeline_errors_total")
    assert errors == 5 + 5 + 5  # 5 bad batches, 5 on_tokens and 5 on_request_finished failures
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1  # rate-limited
    assert _value(registry, "llm_monitor_ingest_queue_depth") == 0


def test_stop_flushes_open_requests(registry: CollectorRegistry, rng: np.random.Generator) -> None:
    pipeline, sink = _pipeline(registry, [make_probe(rng)])
    pipeline.start()
    pipeline.offer(_decoded(rng.normal(size=(2, D_MODEL)).astype(np.float32)))
    pipeline.stop(2.0)
    assert [(r.request_id, r.end) for r in sink.finished] == [("req-0", "shutdown")]
    assert _value(registry, "llm_monitor_tokens_scored_total") == 2


def test_rate_limited_log(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    limited = RateLimitedLog(logging.getLogger("test.ratelimit"), interval_s=10, clock=clock)
    with caplog.at_level(logging.WARNING, logger="test.ratelimit"):
        assert limited.warning("bad %d", 1)
        assert not limited.warning("bad %d", 2)
        assert not limited.warning("bad %d", 3)
        clock.now += 11
        assert limited.warning("bad %d", 4)
    assert [r.getMessage() for r in caplog.records] == [
        "bad 1",
        "bad 4 (2 similar messages suppressed)",
    ]


class ArgmaxEncoder:
    """Concepts = indices of the k largest activation components (a known answer)."""

    layer = LAYER
    d_model = D_MODEL
    k = 2

    def encode(self, activations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids = np.argsort(-activations, axis=1)[:, : self.k].astype(np.int32)
        return ids, np.take_along_axis(activations, ids, axis=1).astype(np.float32)

    def label(self, concept_id: int) -> str:
        return f"dim {concept_id}"


class BrokenEncoder(ArgmaxEncoder):
    def encode(self, activations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise RuntimeError("onnx exploded")


def test_concepts_travel_with_scores(registry: CollectorRegistry, rng: np.random.Generator) -> None:
    sink = RecordingSink()
    pipeline = Pipeline(
        SidecarMetrics(registry),
        build_probe_sets([make_probe(rng)]),
        [sink],
        concept_encoders={LAYER: ArgmaxEncoder()},
        queue_size=8,
        request_ttl_s=30.0,
    )
    acts = rng.normal(size=(4, D_MODEL)).astype(np.float32)
    pipeline.process(_decoded(acts, request_ids=["a", "b"], row_request=[0, 1, 0, 1]))
    by_request = {t.request_id: t for t in sink.tokens}
    for request_id, rows in (("a", [0, 2]), ("b", [1, 3])):
        tokens = by_request[request_id]
        expected = np.argsort(-acts[rows], axis=1)[:, :2]
        assert tokens.concept_ids is not None and tokens.concept_values is not None
        np.testing.assert_array_equal(tokens.concept_ids, expected)
        np.testing.assert_allclose(
            tokens.concept_values, np.take_along_axis(acts[rows], expected, axis=1)
        )


def test_a_deferred_encoder_hands_the_rows_to_the_sinks_unencoded(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    sink = RecordingSink()
    encoder = CountingEncoder()
    pipeline = Pipeline(
        SidecarMetrics(registry),
        build_probe_sets([make_probe(rng)]),
        [sink],
        concept_encoders={LAYER: encoder},
        defer_encoder=True,
        queue_size=8,
        request_ttl_s=30.0,
    )
    acts = rng.normal(size=(4, D_MODEL)).astype(np.float32)
    pipeline.process(_decoded(acts, request_ids=["a", "b"], row_request=[0, 1, 0, 1]))
    assert encoder.rows == []  # the pipeline encodes nothing
    by_request = {t.request_id: t for t in sink.tokens}
    for request_id, rows in (("a", [0, 2]), ("b", [1, 3])):
        tokens = by_request[request_id]
        assert tokens.concept_ids is None and tokens.activations is not None
        np.testing.assert_array_equal(tokens.activations, acts[rows])


def test_encoder_failure_keeps_probe_scores(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    sink = RecordingSink()
    pipeline = Pipeline(
        SidecarMetrics(registry),
        build_probe_sets([make_probe(rng)]),
        [sink],
        concept_encoders={LAYER: BrokenEncoder()},
        queue_size=8,
        request_ttl_s=30.0,
    )
    pipeline.process(_decoded(rng.normal(size=(2, D_MODEL)).astype(np.float32)))
    assert len(sink.tokens) == 1 and sink.tokens[0].concept_ids is None
    assert "deception" in sink.tokens[0].scores
    assert _value(registry, "llm_monitor_pipeline_errors_total") == 1


def test_segments_from_the_started_prompt(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    """The prompt sent when a request starts tells its segments apart; a probe scoped to
    the user turn reads only those tokens, and only once the prompt is complete."""
    from monitor.artifacts.segments import ChatMarkup, Segmenter

    markup = ChatMarkup(
        leading_system=(1, 50),  # <start> system
        leading_user=(1, 51),  # <start> user
        to_user=(2, 1, 51),  # <end> <start> user
        to_assistant=(2, 1, 52),  # <end> <start> assistant
    )
    probe = make_probe(rng).model_copy(update={"scope": ["user"]})
    metrics = SidecarMetrics(registry)
    sink = RecordingSink()
    pipeline = Pipeline(
        metrics,
        build_probe_sets([probe]),
        [sink],
        segmenter=Segmenter(markup=markup),
        queue_size=8,
        request_ttl_s=30.0,
        clock=FakeClock(),
    )
    prompt = [1, 50, 60, 61, 2, 1, 51, 70, 71, 72, 2, 1, 52]  # system 60 61, user 70 71 72
    acts = rng.normal(size=(len(prompt) + 2, D_MODEL)).astype(np.float32)
    pipeline.process(
        _decoded(acts[:8], token_ids=prompt[:8], started=[("req-0", prompt)])  # chunked prefill
    )
    pipeline.process(_decoded(acts[8:], positions=range(8, 15), token_ids=[*prompt[8:], 80, 81]))
    segments = np.concatenate([t.segments for t in sink.tokens])
    assert [segment_name(int(s)) for s in segments] == [
        *["markup"] * 2,
        "system",
        "system",
        *["markup"] * 3,
        "user",
        "user",
        "user",
        *["post_instruction"] * 3,
        "reply",
        "reply",
    ]
    token_scores = reference_scores(probe, acts)
    expected = float(np.mean(token_scores[7:10]))
    running = np.concatenate([t.running["deception"] for t in sink.tokens])
    assert running[:12].tolist() == [0.0] * 12  # before the prompt's last token
    np.testing.assert_allclose(running[12:], expected, rtol=1e-5)
    assert pipeline.request_scores(MODEL, "req-0") == pytest.approx({"deception": expected})


def test_tokens_of_a_request_without_its_prompt_are_unknown(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    probe = make_probe(rng).model_copy(update={"scope": ["user"]})
    pipeline, sink = _pipeline(registry, [probe])
    pipeline.process(_decoded(rng.normal(size=(3, D_MODEL)).astype(np.float32)))
    assert sink.tokens[0].segments is not None
    assert set(sink.tokens[0].segments.tolist()) == {0}
    assert sink.tokens[0].aggregates == {"deception": 0.0}


def test_a_started_entry_alone_creates_no_request_state(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    """``started`` entries without rows wait in a bounded table; their prompt is used when
    the request's first rows arrive, and they never hold request state by themselves."""
    from monitor.artifacts.segments import Segment
    from monitor.sidecar.scoring import in_flight

    pipeline, sink = _pipeline(registry, [make_probe(rng)])
    acts = rng.normal(size=(1, D_MODEL)).astype(np.float32)
    started = [(f"ghost-{i}", [1, 2, 3]) for i in range(in_flight.MAX_PENDING_PROMPTS + 10)]
    pipeline.process(_decoded(acts, request_ids=["real"], started=[*started, ("real", [5])]))
    assert pipeline.active_requests == 1  # "real" only
    assert pipeline._requests.pending_prompts == in_flight.MAX_PENDING_PROMPTS
    last = started[-1][0]
    pipeline.process(_decoded(acts, request_ids=[last], positions=[3]))
    assert pipeline.active_requests == 2
    assert pipeline._requests.pending_prompts == in_flight.MAX_PENDING_PROMPTS - 1  # taken
    assert sink.tokens[-1].segments is not None
    assert sink.tokens[-1].segments.tolist() == [int(Segment.REPLY)]  # after its 3-token prompt


class CountingEncoder(ArgmaxEncoder):
    def __init__(self) -> None:
        self.rows: list[int] = []

    def encode(self, activations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.rows.append(int(activations.shape[0]))
        return super().encode(activations)


def test_an_overloaded_queue_sheds_the_encoder_not_the_probes(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    sink = RecordingSink()
    encoder = CountingEncoder()
    pipeline = Pipeline(
        SidecarMetrics(registry),
        build_probe_sets([make_probe(rng)]),
        [sink],
        concept_encoders={LAYER: encoder},
        queue_size=4,
        request_ttl_s=30.0,
        encoder_shed_above=0.5,
    )  # not started: the four batches wait in the queue
    for i, rows in enumerate((1, 2, 3, 4)):
        acts = rng.normal(size=(rows, D_MODEL)).astype(np.float32)
        assert pipeline.offer(_decoded(acts, request_ids=[f"r{i}"]))
    assert pipeline.queue_fill() == 1.0
    pipeline.start()
    try:
        assert pipeline.wait_idle(10.0)
    finally:
        pipeline.stop(1.0)
    # scoring the first leaves 3 of 4 queued (0.75 > 0.5): shed; then 0.5, 0.25, 0: encoded
    assert encoder.rows == [2, 3, 4]
    assert _value(registry, "llm_monitor_encoder_rows_shed_total") == 1
    assert _value(registry, "llm_monitor_tokens_scored_total") == 10  # probes read them all
    by_request = {t.request_id: t for t in sink.tokens}
    assert by_request["r0"].concept_ids is None and "deception" in by_request["r0"].scores
    assert all(by_request[f"r{i}"].concept_ids is not None for i in (1, 2, 3))


def test_shedding_is_off_at_one(registry: CollectorRegistry, rng: np.random.Generator) -> None:
    encoder = CountingEncoder()
    pipeline = Pipeline(
        SidecarMetrics(registry),
        build_probe_sets([make_probe(rng)]),
        [RecordingSink()],
        concept_encoders={LAYER: encoder},
        queue_size=2,
        request_ttl_s=30.0,
    )
    for _ in range(2):
        assert pipeline.offer(_decoded(rng.normal(size=(1, D_MODEL)).astype(np.float32)))
    pipeline.start()
    try:
        assert pipeline.wait_idle(10.0)
    finally:
        pipeline.stop(1.0)
    assert encoder.rows == [1, 1]
    assert _value(registry, "llm_monitor_encoder_rows_shed_total") == 0
