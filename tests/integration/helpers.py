"""Small helpers shared by the integration tests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from openai import OpenAI

from tests.integration.reference import Reference, cosine_rows
from tests.integration.stack import (
    LAYER,
    SERVED_NAME,
    ActivationRecorder,
    Stack,
    metric,
    scrape,
    wait_until,
)


@dataclass
class Completion:
    """What the OpenAI API returned for one chat request."""

    prompt: str
    text: str
    prompt_tokens: int
    completion_tokens: int


def chat(stack: Stack, prompt: str, max_tokens: int = 24, ignore_eos: bool = False) -> Completion:
    """One chat completion through vLLM's OpenAI server (greedy)."""
    client = OpenAI(base_url=stack.base_url, api_key="unused", timeout=300)
    resp = client.chat.completions.create(
        model=SERVED_NAME,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=max_tokens,
        temperature=0,
        extra_body={"ignore_eos": ignore_eos},
    )
    assert resp.usage is not None
    return Completion(
        prompt=prompt,
        text=resp.choices[0].message.content or "",
        prompt_tokens=resp.usage.prompt_tokens,
        completion_tokens=resp.usage.completion_tokens,
    )


def chat_concurrently(
    stack: Stack, prompts: list[str], max_tokens: int, ignore_eos: bool = False
) -> list[Completion]:
    """All prompts at once, as concurrent requests."""
    with ThreadPoolExecutor(max_workers=len(prompts)) as pool:
        return list(pool.map(lambda p: chat(stack, p, max_tokens, ignore_eos), prompts))


def wait_connected(stack: Stack, timeout: float = 30.0) -> None:
    """Wait until the plugin's stream reached the in-process sidecar with capture working."""
    assert stack.sidecar is not None
    port = stack.sidecar.metrics_port
    ok = wait_until(
        lambda: metric(scrape(port), "llm_monitor_capture_up", layer="15") == 1.0, timeout
    )
    assert ok, "the plugin did not connect with capture_ok (llm_monitor_capture_up != 1)"


def expected_rows(done: Completion) -> int:
    """Tokens the model computes for a request: the prompt, and every generated token but
    the last (which is sampled, never fed back)."""
    return done.prompt_tokens + done.completion_tokens - 1


def wait_rows(recorder: ActivationRecorder, request_id: str, n: int, timeout: float = 30.0) -> None:
    """Wait until ``n`` rows of the request arrived (shipping is asynchronous)."""
    wait_until(lambda: len(recorder.rows(request_id, LAYER)) >= n, timeout)


def check_request(
    recorder: ActivationRecorder, reference: Reference, done: Completion
) -> tuple[str, np.ndarray]:
    """Assert a request's rows are complete, unique, contiguous and match transformers.

    Returns the request id and the per-row cosine similarities.
    """
    prompt_ids = reference.prompt_ids(done.prompt)
    assert len(prompt_ids) == done.prompt_tokens
    request_id = recorder.find(prompt_ids)
    cached = recorder.uncaptured[request_id].get("prefix_cache", 0)
    wait_rows(recorder, request_id, expected_rows(done) - cached)
    rows = recorder.rows(request_id, LAYER)
    positions = [p for p, _, _ in rows]
    assert len(positions) == len(set(positions)), "a token's row arrived more than once"
    assert positions == list(range(cached, expected_rows(done))), (
        f"positions not contiguous from {cached}: got {positions[:5]}..{positions[-5:]}"
    )
    token_ids = prompt_ids + [t for p, t, _ in rows if p >= len(prompt_ids)]
    assert [t for p, t, _ in rows if p < len(prompt_ids)] == prompt_ids[cached:]
    generated = reference.tokenizer.decode(token_ids[len(prompt_ids) :])
    assert done.text.startswith(generated.strip()[: max(0, len(generated.strip()) - 1)])
    captured = np.stack([a for _, _, a in rows])
    expected = reference.hidden(token_ids)[cached:]
    return request_id, cosine_rows(captured, expected)
