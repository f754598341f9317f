"""Captured rows match the model's own hidden states, per request, in compiled mode."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.helpers import (
    chat,
    chat_concurrently,
    check_request,
    expected_rows,
    wait_connected,
)
from tests.integration.reference import Reference
from tests.integration.stack import LAYER, SERVED_NAME, Stack, metric, scrape, wait_until

TOPICS = [
    "the water cycle",
    "how a bicycle gear works",
    "the history of the printing press",
    "why the sky is blue",
    "photosynthesis in plants",
    "the rules of chess",
    "how vaccines train the immune system",
    "volcanoes and plate tectonics",
    "the life of honey bees",
    "how compilers turn code into machine instructions",
    "the causes of ocean tides",
    "how a refrigerator keeps food cold",
    "the migration of birds",
    "the invention of the telephone",
    "how credit cards work",
    "the structure of DNA",
    "black holes",
    "the Roman aqueducts",
    "how rainbows form",
    "the basics of jazz harmony",
]


@pytest.fixture(scope="module")
def live(stack: Stack) -> Iterator[Stack]:
    """The stack with an in-process sidecar recording every activation."""
    stack.start_sidecar()
    wait_connected(stack)
    yield stack
    stack.stop_sidecar()


def test_parity_with_transformers(live: Stack, reference: Reference) -> None:
    """Rows received by the sidecar equal transformers' hidden states at the same layer."""
    prompts = [
        "What is the capital of France?",
        "Write a haiku about autumn leaves.",
        "Explain in two sentences what a hash table is.",
        "List three prime numbers greater than ten.",
    ]
    for prompt in prompts:
        done = chat(live, prompt, max_tokens=24)
        assert done.completion_tokens > 0
        _, cos = check_request(live.recorder, reference, done)
        assert cos.min() >= 0.99, f"{prompt!r}: min cosine {cos.min():.4f}"


def test_attribution_under_concurrency_and_chunked_prefill(
    live: Stack, reference: Reference
) -> None:
    """20 concurrent requests of very different lengths, the long ones chunked (the test
    server schedules at most 256 tokens per step): every request gets exactly its own
    rows, once each, contiguous, and they match its own forward pass."""
    prompts = []
    for i, topic in enumerate(TOPICS):
        repeat = [1, 3, 10, 40, 90][i % 5]
        body = " ".join(f"Fact {k} about {topic}: it is worth learning." for k in range(repeat))
        prompts.append(f"Request {i}. Summarise these notes on {topic}. {body}")
    done = chat_concurrently(live, prompts, max_tokens=16)
    lengths = [d.prompt_tokens for d in done]
    assert max(lengths) > 3 * 256, "the longest prompt must span several prefill chunks"
    assert min(lengths) < 80
    seen = set()
    for d in done:
        request_id, cos = check_request(live.recorder, reference, d)
        assert request_id not in seen
        seen.add(request_id)
        assert cos.min() >= 0.99, f"request {request_id}: min cosine {cos.min():.4f}"


def test_prefix_cache_hits_are_reported_not_invented(live: Stack, reference: Reference) -> None:
    """A repeated prompt is served from the prefix cache: its cached tokens have no rows,
    and the plugin reports how many and why."""
    prompt = "Describe a lighthouse keeper's day. " + " ".join(
        f"Detail {k}: the lamp, the stairs and the sea." for k in range(12)
    )
    first = chat(live, prompt, max_tokens=8)
    first_id, _ = check_request(live.recorder, reference, first)
    live.recorder.pop(first_id)
    second = chat(live, prompt, max_tokens=8)
    prompt_ids = reference.prompt_ids(prompt)
    second_id, cos = check_request(live.recorder, reference, second)
    cached = live.recorder.uncaptured[second_id].get("prefix_cache", 0)
    assert cached >= 16, "the second request should hit the prefix cache"
    assert cached < len(prompt_ids)
    rows = live.recorder.rows(second_id, LAYER)
    assert min(p for p, _, _ in rows) == cached
    assert len(rows) + cached == expected_rows(second)
    assert cos.min() >= 0.99


def test_metrics_show_scored_tokens(live: Stack) -> None:
    """The sidecar scored the captured tokens with the probes and exports it."""
    port = live.sidecar.metrics_port if live.sidecar else 0
    chat(live, "Name a colour.", max_tokens=4)
    assert wait_until(
        lambda: metric(scrape(port), "llm_monitor_tokens_scored_total", model_name=SERVED_NAME) > 0,
        30,
    )
    samples = scrape(port)
    for concept in ("deception", "eval_awareness", "misuse"):
        count = metric(
            samples, "llm_monitor_probe_score_count", model_name=SERVED_NAME, concept=concept
        )
        assert count > 0, concept
