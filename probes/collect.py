"""Collect activations through the serving path: vLLM with the plugin, shipping to a sidecar.

Training activations must be the activations the monitor sees, so collection runs the
same capture (the plugin inside vLLM's worker, compiled mode) and receives the rows
through the same gRPC ingest, into an in-process sidecar whose activation sink keeps
them. Prefix caching is off, so every token of every request is captured.

Teacher-forced records (with a ``response``) are sent as one prompt holding the chat
and the response; the probe reads the response tokens. Records without a response are
read on their prompt, or on the model's own reply when generating (on-policy).
Must run under ``if __name__ == "__main__"`` (vLLM spawns processes).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from monitor.sidecar.ingest.recorder import ActivationRecorder
from monitor.sidecar.receiver import ActivationReceiver

Messages = list[dict[str, str]]


@dataclass(frozen=True)
class Span:
    """A request's token ids and the [start, end) positions the probe reads."""

    token_ids: list[int]
    start: int
    end: int


@dataclass
class Collected:
    """Activations of one example, per layer: the read span, and the whole served request."""

    token_ids: list[int]  # every computed token (prompt, then the reply when generating)
    start: int
    end: int
    activations: dict[int, np.ndarray]  # layer -> [end - start, d_model] float32
    generated_text: str | None = None
    prompt_len: int = 0  # tokens sent; the generated reply starts here
    # layer -> [len(token_ids), d_model]: every token as the sidecar sees the request.
    served: dict[int, np.ndarray] = field(default_factory=dict)


def response_span(tokenizer: Any, messages: Messages, response: str | None) -> Span:
    """Token ids to send and the span the probe reads (response, else the prompt)."""
    prompt = list(_ids(tokenizer.apply_chat_template(messages, add_generation_prompt=True)))
    if response is None:
        return Span(prompt, 0, len(prompt))
    full = list(
        _ids(
            tokenizer.apply_chat_template(
                [*messages, {"role": "assistant", "content": response}], tokenize=True
            )
        )
    )
    if full[: len(prompt)] != prompt:
        raise ValueError("the chat template does not extend the prompt with the response")
    answer = list(tokenizer(response, add_special_tokens=False)["input_ids"])
    end = len(prompt) + len(answer)
    if full[len(prompt) : end] != answer:
        end = len(full)
        while end > len(prompt) and full[end - 1] in set(tokenizer.all_special_ids) | {198}:
            end -= 1
    return Span(full[:end], len(prompt), end)


def _ids(value: Any) -> list[int]:
    if isinstance(value, dict) or hasattr(value, "input_ids"):
        value = value["input_ids"]
    return list(value)


@dataclass
class ActivationCollector:
    """vLLM + plugin + an in-process ingest-only receiver, started once, collecting many
    examples."""

    model_dir: Path
    layers: list[int]
    kv_cache_gib: int = 1
    max_model_len: int = 2048
    #: Skip torch.compile (vLLM's eager mode): the same layers and the same capture, a
    #: start-up minutes shorter; what ``eval`` uses unless asked otherwise.
    enforce_eager: bool = False
    _recorder: ActivationRecorder = field(default_factory=ActivationRecorder)
    _receiver: ActivationReceiver | None = None
    _llm: Any = None

    def __enter__(self) -> ActivationCollector:
        self._recorder = ActivationRecorder(self.layers)
        # Collection must not lose rows: deep queues; the plugin then waits on gRPC.
        self._receiver = ActivationReceiver(
            [self._recorder], queue_size=1_000_000, max_queue_bytes=16 << 30
        )
        self._receiver.start()
        os.environ["LLM_MONITOR_PLUGIN_ENABLED"] = "1"
        os.environ["LLM_MONITOR_PLUGIN_SIDECAR_ADDRESS"] = self._receiver.target
        os.environ["LLM_MONITOR_PLUGIN_LAYERS"] = str(list(self.layers))
        # Collection must not lose rows: a large buffer, and back-pressure is fine here.
        os.environ.setdefault("LLM_MONITOR_PLUGIN_BUFFER_BATCHES", "100000")
        os.environ.setdefault("LLM_MONITOR_PLUGIN_HOST_POOL_BYTES", str(1 << 30))
        from vllm import LLM

        self._llm = LLM(
            model=str(self.model_dir),
            max_model_len=self.max_model_len,
            kv_cache_memory_bytes=self.kv_cache_gib << 30,
            enable_prefix_caching=False,
            enforce_eager=self.enforce_eager,
            seed=0,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self._llm = None
        if self._receiver is not None:
            self._receiver.stop(grace=1.0)
        for key in ("ENABLED", "SIDECAR_ADDRESS", "LAYERS"):
            os.environ.pop(f"LLM_MONITOR_PLUGIN_{key}", None)

    @property
    def tokenizer(self) -> Any:
        return self._llm.get_tokenizer()

    def collect(
        self,
        spans: Sequence[Span],
        max_new_tokens: int = 0,
        timeout_s: float = 120.0,
    ) -> Iterator[Collected]:
        """Run the spans (in order) and yield their activations.

        With ``max_new_tokens`` > 0 the model also generates (greedy, on-policy) and the
        read span is its reply; otherwise only the given tokens are computed and the span
        is read. ``Collected.served`` always holds every computed token (the whole
        request as the sidecar sees it).
        """
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        params = SamplingParams(max_tokens=max(1, max_new_tokens), temperature=0)
        outputs = self._llm.generate(
            [TokensPrompt(prompt_token_ids=s.token_ids) for s in spans], params, use_tqdm=False
        )
        for span, output in zip(spans, outputs, strict=True):
            generated = list(output.outputs[0].token_ids)
            computed = span.token_ids + (generated[:-1] if max_new_tokens > 0 else [])
            request_id = self._wait_for(computed, timeout_s)
            rows = self._recorder.pop(request_id)
            start, end = (
                (len(span.token_ids), len(computed))
                if max_new_tokens > 0
                else (span.start, span.end)
            )
            yield Collected(
                token_ids=computed,
                start=start,
                end=end,
                activations={
                    layer: np.stack([rows[layer][p] for p in range(start, end)])
                    if end > start
                    else np.zeros((0, 0), np.float32)
                    for layer in self.layers
                },
                generated_text=output.outputs[0].text if max_new_tokens > 0 else None,
                prompt_len=len(span.token_ids),
                served={
                    layer: np.stack([rows[layer][p] for p in range(len(computed))])
                    for layer in self.layers
                },
            )

    def _wait_for(self, token_ids: Sequence[int], timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while True:
            request_id = self._recorder.complete(token_ids, self.layers)
            if request_id is not None:
                return request_id
            if time.monotonic() > deadline:
                raise TimeoutError("the captured rows of a request did not all arrive")
            time.sleep(0.05)
