"""The shipped concept encoder scores real activations in the sidecar, stably."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitor.artifacts.encoder_format import CARD_FILE, INT8_ONNX_FILE
from monitor.launch import shipped_encoder_dir
from monitor.model import sha256_file
from monitor.sidecar.app import Sidecar
from monitor.sidecar.scoring.encoder import OnnxConceptEncoder
from monitor.sidecar.scoring.sinks import BaseScoreSink, RequestResult, RequestTokens
from probes.encoder.quantize import measure_agreement
from tests.integration.helpers import chat, wait_connected
from tests.integration.stack import LAYER, SERVED_NAME, ActivationRecorder, Stack, wait_until

PROMPT = "Explain in three sentences how a rainbow forms, and why it is curved."
#: Prompts unlike the encoder's training corpus, for the int8 agreement check.
INT8_PROMPTS = (
    "Write a short note to a neighbour about borrowing a ladder on Saturday.",
    "List three ways to keep bread fresh for longer, with one sentence on each.",
    "What is the difference between weather and climate? Answer briefly.",
)


class TokenSink(BaseScoreSink):
    """Keeps every ``RequestTokens`` the pipeline emits."""

    def __init__(self) -> None:
        self.tokens: list[RequestTokens] = []

    def on_tokens(self, tokens: RequestTokens) -> None:
        self.tokens.append(tokens)

    def on_request_finished(self, result: RequestResult) -> None:
        pass

    def concepts(self, request_id: str) -> dict[int, tuple[list[int], list[float]]]:
        """position -> (concept ids, values) of one request."""
        out: dict[int, tuple[list[int], list[float]]] = {}
        for t in list(self.tokens):
            if t.request_id != request_id or t.concept_ids is None:
                continue
            assert t.concept_values is not None
            for i, pos in enumerate(t.positions.tolist()):
                out[pos] = (t.concept_ids[i].tolist(), t.concept_values[i].tolist())
        return out


@pytest.fixture(scope="module")
def encoded(stack: Stack) -> Iterator[tuple[Stack, Sidecar, TokenSink]]:
    """The stack with an in-process sidecar that runs the shipped encoder."""
    encoder_dir = shipped_encoder_dir(SERVED_NAME)
    assert encoder_dir is not None, "no shipped encoder for the default model"
    sink = TokenSink()
    stack.recorder = ActivationRecorder([LAYER])
    config = stack.sidecar_config().model_copy(update={"encoder_dir": encoder_dir})
    sidecar = Sidecar(
        config, registry=CollectorRegistry(), sinks=[sink], activation_sinks=[stack.recorder]
    )
    stack.sidecar = sidecar
    sidecar.start()
    wait_connected(stack)
    yield stack, sidecar, sink
    stack.stop_sidecar()


def _run(stack: Stack, sink: TokenSink, prompt_ids: list[int]) -> tuple[str, dict[int, tuple]]:
    before = set(stack.recorder.requests())
    done = chat(stack, PROMPT, max_tokens=24)
    n = done.prompt_tokens + done.completion_tokens - 1  # the last token is never computed
    new: list[str] = []

    def arrived() -> bool:
        new[:] = [r for r in stack.recorder.matching(prompt_ids) if r not in before]
        return len(new) == 1 and max(sink.concepts(new[0]), default=-1) == n - 1

    assert wait_until(arrived, 30.0), "the request's concepts did not all arrive"
    return new[0], sink.concepts(new[0])


def test_identical_requests_get_identical_concepts(
    encoded: tuple[Stack, Sidecar, TokenSink],
    reference,  # type: ignore[no-untyped-def]
) -> None:
    stack, sidecar, sink = encoded
    encoder = sidecar.concept_encoders[15]
    prompt_ids = reference.prompt_ids(PROMPT)
    first_id, first = _run(stack, sink, prompt_ids)
    second_id, second = _run(stack, sink, prompt_ids)
    assert first_id != second_id
    # With prefix caching the repeat skips its cached prompt blocks: compare the
    # positions both requests computed (the uncached prompt tail and the whole reply).
    common = sorted(set(first) & set(second))
    assert len(common) >= 24, f"only {len(common)} positions computed by both requests"
    assert max(common) >= len(prompt_ids)  # reply tokens included
    for pos in common:
        ids_a, values_a = first[pos]
        ids_b, values_b = second[pos]
        assert ids_a == ids_b, f"position {pos}: {ids_a} != {ids_b}"
        np.testing.assert_allclose(values_a, values_b, rtol=1e-4, atol=1e-4)
    # every token has k concepts, valid ids, largest first, some active
    for ids, values in first.values():
        assert len(ids) == encoder.k and all(0 <= i < encoder.m for i in ids)
        assert values == sorted(values, reverse=True) and values[0] > 0
    # the concepts are the encoder's on the activations the sidecar received
    rows = stack.recorder.rows(first_id, LAYER)
    acts = np.stack([a for _, _, a in rows]).astype(np.float32)
    direct_ids, _ = encoder.encode(acts)
    for (pos, _, _), ids in zip(rows, direct_ids.tolist(), strict=True):
        assert first[pos][0] == ids


def test_the_shipped_int8_encoder_agrees_on_real_activations(
    encoded: tuple[Stack, Sidecar, TokenSink],
) -> None:
    """The int8 graph names the same concepts as float32 on activations captured from vLLM
    (as its card says, for the very file shipped)."""
    stack, _, _ = encoded
    directory = shipped_encoder_dir(SERVED_NAME)
    assert directory is not None
    card = json.loads((directory / CARD_FILE).read_text())["int8"]
    assert sha256_file(directory / INT8_ONNX_FILE) == card["sha256"]
    before = set(stack.recorder.requests())
    done = [chat(stack, prompt, max_tokens=32) for prompt in INT8_PROMPTS]

    def new_rows() -> list[np.ndarray]:
        return [
            a
            for r in set(stack.recorder.requests()) - before
            for pos, _, a in stack.recorder.rows(r, LAYER)
            if pos >= 1  # the attention sink, left out as in the card's figures
        ]

    replies = sum(d.completion_tokens - 1 for d in done)
    assert wait_until(lambda: len(new_rows()) >= replies, 30.0)
    time.sleep(0.5)  # the prompts' rows of the last request
    acts = np.stack(new_rows()).astype(np.float32)
    agreement = measure_agreement(
        OnnxConceptEncoder(directory), OnnxConceptEncoder(directory, precision="int8"), acts
    )
    assert agreement.rows >= replies
    # a few hundred tokens of other text: about what the card measured on 5,578
    assert agreement.topk_overlap >= card["topk_overlap"] - 0.05, agreement
    assert agreement.top1_same >= card["top1_same"] - 0.05, agreement
