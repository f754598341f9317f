"""The pipeline reads a batch's requests all at once; what it emits must be what a
``ProbeReader`` per request and probe computes token by token from the same head scores:
running scores, read counts, final request scores, segments and prompt flags."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitor.artifacts.probe_format import Aggregation, Head, Probe
from monitor.artifacts.segments import ChatMarkup, Segment, Segmenter, SegmentName
from monitor.sidecar.ingest.batches import DecodedBatch, Started
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.scoring.probe_set import ProbeSet, build_probe_sets
from monitor.sidecar.scoring.reading import ProbeReader
from monitor.sidecar.scoring.request_state import finite_scores
from monitor.sidecar.scoring.scorer import Pipeline

from .helpers import D_MODEL, LAYER, MODEL, make_probe
from .recording import RecordingSink

METHODS = ("mean", "max", "ema", "max_rolling_mean")
SCOPES: tuple[list[SegmentName] | None, ...] = (
    None,
    ["reply"],
    ["user"],
    ["user", "post_instruction"],
    ["system", "reply"],
)
MARKUP = ChatMarkup(
    leading_system=(1, 50), leading_user=(1, 51), to_user=(2, 1, 51), to_assistant=(2, 1, 52)
)
SENTENCE_ENDS = frozenset({80, 81})


def _aggregation(rng: np.random.Generator) -> Aggregation:
    return Aggregation(
        method=str(rng.choice(METHODS)),  # type: ignore[arg-type]
        alpha=float(rng.uniform(0.05, 1.0)),
        window=int(rng.integers(1, 5)),
    )


def _probes(rng: np.random.Generator) -> list[Probe]:
    probes = []
    for i in range(int(rng.integers(1, 4))):
        probe = make_probe(rng, f"c{i}").model_copy(
            update={
                "scope": SCOPES[int(rng.integers(len(SCOPES)))],
                "positions": "sentence_end" if rng.random() < 0.3 else "all",
                "aggregation": _aggregation(rng),
            }
        )
        if rng.random() < 0.4:
            extra = Head(
                name="second",
                normalization=probe.normalization,
                weights=rng.normal(size=D_MODEL).tolist(),
                bias=0.2,
                scope=SCOPES[int(rng.integers(1, len(SCOPES)))],
                aggregation=_aggregation(rng),
            )
            combine = "max" if rng.random() < 0.5 else "mean"
            probe = probe.model_copy(update={"heads": [extra], "combine": combine})
        probes.append(probe)
    return probes


def _batches(rng: np.random.Generator, steps: int) -> list[DecodedBatch]:
    """Interleaved requests: prompts in chunks, decode steps, rows shuffled, a request
    sometimes named twice, finished ids reused (their later rows are late)."""
    next_position: dict[str, int] = {}
    prompts: dict[str, list[int]] = {}
    out = []
    for _ in range(steps):
        chosen = [str(r) for r in rng.choice(8, size=int(rng.integers(1, 5)), replace=False)]
        ids = [*chosen, chosen[0]] if rng.random() < 0.15 else list(chosen)
        row_request, positions, token_ids, started = [], [], [], []
        for j, request in enumerate(ids):
            if request not in next_position:
                next_position[request] = 0
                prompt = [1, 51, *rng.integers(60, 70, size=int(rng.integers(0, 5))), 2, 1, 52]
                prompts[request] = [int(t) for t in prompt]
                if rng.random() < 0.8:
                    started.append(Started(request, np.asarray(prompts[request]), ""))
            count = 1 if rng.random() < 0.7 else int(rng.integers(1, 7))
            for _ in range(count):
                position = next_position[request]
                next_position[request] += 1
                prompt = prompts[request]
                row_request.append(j)
                positions.append(position)
                token_ids.append(
                    prompt[position] if position < len(prompt) else int(rng.choice([80, 81, 90]))
                )
        order = rng.permutation(len(positions))
        finished = [r for r in sorted(set(chosen)) if rng.random() < 0.15]
        for request in finished:
            del next_position[request]
        out.append(
            DecodedBatch(
                model_name=MODEL,
                layer=LAYER,
                producer_id="p",
                activations=rng.normal(size=(len(positions), D_MODEL)).astype(np.float32),
                request_ids=tuple(ids),
                row_request=np.asarray(row_request, dtype=np.int64)[order],
                positions=np.asarray(positions, dtype=np.int64)[order],
                token_ids=np.asarray(token_ids, dtype=np.int64)[order],
                finished_request_ids=tuple(finished),
                uncaptured=(),
                started=tuple(started),
                bad_tenants=0,
            )
        )
    return out


@pytest.mark.parametrize("seed", range(12))
def test_emitted_readings_equal_the_token_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    probes = _probes(rng)
    probe_set = ProbeSet(probes)
    segmenter = Segmenter(markup=MARKUP, sentence_ends=SENTENCE_ENDS)
    sink = RecordingSink()
    pipeline = Pipeline(
        SidecarMetrics(CollectorRegistry()),
        build_probe_sets(probes),
        [sink],
        segmenter=segmenter,
        queue_size=4,
        request_ttl_s=1e9,
    )
    heads: dict[tuple[str, int], np.ndarray] = {}  # (request, position) -> head scores
    prompts: dict[str, list[int]] = {}
    readers: dict[str, list[ProbeReader]] = defaultdict(lambda: [ProbeReader(p) for p in probes])
    for batch in _batches(rng, 40):
        scores, _ = finite_scores(probe_set.score(batch.activations))
        for r, (i, position) in enumerate(zip(batch.row_request, batch.positions, strict=True)):
            heads[(batch.request_ids[i], int(position))] = scores[r]
        for started in batch.started:
            prompts.setdefault(started.request_id, started.prompt_token_ids.tolist())
        emitted = len(sink.tokens)
        ended = len(sink.finished)
        pipeline.process(batch)
        for tokens in sink.tokens[emitted:]:
            request, positions = tokens.request_id, tokens.positions.tolist()
            assert positions == sorted(positions)
            assert tokens.segments is not None and tokens.sentence_end is not None
            prompt = prompts.get(request)
            if prompt is None:
                assert tokens.prompt_done is None
                assert set(tokens.segments.tolist()) == {int(Segment.UNKNOWN)}
            else:
                assert tokens.prompt_done is not None
                assert tokens.prompt_done.tolist() == [p >= len(prompt) - 1 for p in positions]
                expected = segmenter.request_segments(prompt, max(positions) + 1)[positions]
                np.testing.assert_array_equal(tokens.segments, expected)
            rows = np.stack([heads[(request, p)] for p in positions])
            for probe, columns, reader in zip(
                probes, probe_set.head_columns, readers[request], strict=True
            ):
                running, counts = reader.update(
                    rows[:, columns], tokens.segments, tokens.sentence_end, tokens.prompt_done
                )
                np.testing.assert_array_equal(tokens.running[probe.concept], running)
                np.testing.assert_array_equal(tokens.counts[probe.concept], counts)
                assert tokens.aggregates[probe.concept] == running[-1]
                np.testing.assert_array_equal(tokens.scores[probe.concept], rows[:, columns.start])
        for result in sink.finished[ended:]:
            done = readers.pop(result.request_id)
            prompts.pop(result.request_id, None)
            assert result.scores == {p.concept: r.value for p, r in zip(probes, done, strict=True)}
            assert result.tokens_scored == {
                p.concept: r.count for p, r in zip(probes, done, strict=True)
            }
        for request, open_readers in readers.items():
            assert pipeline.request_scores(MODEL, request) == {
                p.concept: r.value for p, r in zip(probes, open_readers, strict=True)
            }
