"""How a probe reads a request: heads on their segments, combined, streamed or whole."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.artifacts.probe_format import Aggregation, Head, Probe
from monitor.artifacts.segment_names import Segment
from monitor.sidecar.scoring.reading import ProbeReader, score_request
from tests.unit.sidecar.helpers import make_probe

U, P, R, S = Segment.USER, Segment.POST_INSTRUCTION, Segment.REPLY, Segment.SYSTEM


def _two_heads(rng: np.random.Generator, combine: str = "mean") -> Probe:
    probe = make_probe(rng, "misuse").model_copy(update={"scope": ["user", "post_instruction"]})
    extra = Head(
        name="post_instruction",
        normalization=probe.normalization,
        weights=probe.weights,
        bias=probe.bias,
        scope=["post_instruction"],
        aggregation=Aggregation(method="mean"),
    )
    return probe.model_copy(update={"heads": [extra], "combine": combine})


def _segments(*values: int) -> np.ndarray:
    return np.asarray(values, dtype=np.int8)


def test_prompt_heads_count_once_the_prompt_is_complete(rng: np.random.Generator) -> None:
    probe = make_probe(rng, "misuse").model_copy(update={"scope": ["user"]})
    reader = ProbeReader(probe)
    scores = np.array([[0.1], [0.9], [0.8], [0.2], [0.99]], dtype=np.float32)
    segments = _segments(S, U, U, P, R)
    done = np.array([False, False, False, True, True])
    running, counts = reader.update(scores, segments, np.zeros(5, bool), done)
    # nothing before the prompt's last token; then the mean of the user tokens, unmoved by
    # the system prompt, the template and the reply
    assert running.tolist() == pytest.approx([0.0, 0.0, 0.0, 0.85, 0.85])
    assert counts.tolist() == [0, 1, 2, 2, 2]
    assert reader.value == pytest.approx(0.85) and reader.count == 2


def test_reply_heads_stream(rng: np.random.Generator) -> None:
    probe = make_probe(rng, method="max").model_copy(update={"scope": ["reply"]})
    reader = ProbeReader(probe)
    scores = np.array([[0.9], [0.2], [0.6], [0.4]], dtype=np.float32)
    running, _ = reader.update(scores, _segments(U, R, R, R), np.zeros(4, bool), None)
    assert running.tolist() == pytest.approx([0.0, 0.2, 0.6, 0.6])


def test_sentence_end_positions(rng: np.random.Generator) -> None:
    probe = make_probe(rng, method="max").model_copy(
        update={"scope": ["reply"], "positions": "sentence_end"}
    )
    scores = np.array([[0.9], [0.7], [0.3], [0.95]], dtype=np.float32)
    ends = np.array([False, True, False, False])
    value = score_request(probe, scores, _segments(R, R, R, R), ends, prompt_len=0)
    assert value == pytest.approx(0.7)


@pytest.mark.parametrize(("combine", "expected"), [("mean", 0.4), ("max", 0.5)])
def test_heads_combine(rng: np.random.Generator, combine: str, expected: float) -> None:
    probe = _two_heads(rng, combine)
    scores = np.array([[0.5, 0.0], [0.2, 0.4], [0.2, 0.6]], dtype=np.float32)
    segments = _segments(U, P, P)
    value = score_request(probe, scores, segments, np.zeros(3, bool), prompt_len=3)
    # primary: mean over user + post-instruction = 0.3; post-instruction head: 0.5
    assert value == pytest.approx(expected)


def test_streamed_equals_whole(rng: np.random.Generator) -> None:
    probe = _two_heads(rng)
    scores = rng.uniform(size=(30, 2)).astype(np.float32)
    segments = _segments(*([S] * 5 + [U] * 15 + [P] * 4 + [R] * 6))
    ends = rng.uniform(size=30) < 0.2
    done = np.arange(30) >= 23
    whole, _ = ProbeReader(probe).update(scores, segments, ends, done)
    reader = ProbeReader(probe)
    parts = [
        reader.update(scores[a:b], segments[a:b], ends[a:b], done[a:b])[0]
        for a, b in ((0, 7), (7, 23), (23, 24), (24, 30))
    ]
    np.testing.assert_allclose(np.concatenate(parts), whole)
    assert score_request(probe, scores, segments, ends, prompt_len=24) == pytest.approx(
        float(whole.max())
    )


def test_rule_aggregation_reads_the_primary_head_only(rng: np.random.Generator) -> None:
    probe = _two_heads(rng)
    reader = ProbeReader(probe, Aggregation(method="max"))
    assert reader.heads == 1
    scores = np.array([[0.3, 0.9], [0.6, 0.9]], dtype=np.float32)
    reader.update(scores, _segments(U, P), np.zeros(2, bool), np.array([False, True]))
    assert reader.value == pytest.approx(0.6)
