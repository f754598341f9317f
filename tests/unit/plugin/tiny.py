"""A tiny model shaped like vLLM's Llama, and fakes of the vLLM objects the plugin reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import torch
from torch import nn

D_MODEL = 8
N_LAYERS = 4
VOCAB = 97


class TinyDecoderLayer(nn.Module):
    """``forward(positions, hidden_states, residual) -> (hidden_states, residual)``."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.proj = nn.Linear(d_model, d_model)

    def forward(
        self, positions: torch.Tensor, hidden_states: torch.Tensor, residual: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        residual = hidden_states if residual is None else hidden_states + residual
        pos = positions.to(residual.dtype).unsqueeze(-1) * 0.01
        return torch.tanh(self.proj(residual)) + pos, residual


class TinyInner(nn.Module):
    def __init__(self, vocab: int, d_model: int, n_layers: int) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d_model)
        self.layers = nn.ModuleList(TinyDecoderLayer(d_model) for _ in range(n_layers))

    def forward(self, input_ids: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        hidden = self.embed_tokens(input_ids)
        residual = None
        for layer in self.layers:
            hidden, residual = layer(positions, hidden, residual)
        assert residual is not None
        return hidden + residual


class TinyLlama(nn.Module):
    """Holds ``.model.embed_tokens`` and ``.model.layers`` like vLLM's LlamaForCausalLM."""

    def __init__(self, vocab: int = VOCAB, d_model: int = D_MODEL, n_layers: int = N_LAYERS):
        super().__init__()
        self.model = TinyInner(vocab, d_model, n_layers)

    def forward(self, input_ids: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids, positions)


def make_model(seed: int = 0) -> TinyLlama:
    torch.manual_seed(seed)
    return TinyLlama().eval()


@torch.no_grad()
def reference_residual(
    model: TinyLlama, input_ids: torch.Tensor, positions: torch.Tensor, layer: int
) -> torch.Tensor:
    """hidden + residual after decoder layer ``layer``, computed without any hook."""
    hidden = model.model.embed_tokens(input_ids)
    residual = None
    for i, module in enumerate(model.model.layers):
        hidden, residual = TinyDecoderLayer.forward(module, positions, hidden, residual)
        if i == layer:
            return hidden + residual
    raise IndexError(layer)


# -- fakes of vLLM objects -------------------------------------------------------------


def tokens_of(req_id: str, length: int = 64) -> list[int]:
    """A deterministic token sequence (prompt + generated) per request."""
    seed = sum(ord(c) for c in req_id)
    return [(seed * 7 + 13 * i) % VOCAB for i in range(length)]


def scheduler_output(
    scheduled: Mapping[str, int],
    new: Iterable[tuple[str, int]] = (),
    cached: Iterable[tuple[str, int]] = (),
    finished: Iterable[str] = (),
    xargs: Mapping[str, Mapping[str, object]] | None = None,
) -> SimpleNamespace:
    """A SchedulerOutput-like object: ``new``/``cached`` are (req_id, num_computed_tokens);
    ``xargs`` the ``vllm_xargs`` (``SamplingParams.extra_args``) of new requests."""
    xargs = xargs or {}
    cached = list(cached)
    return SimpleNamespace(
        total_num_scheduled_tokens=sum(scheduled.values()),
        num_scheduled_tokens=dict(scheduled),
        scheduled_new_reqs=[
            SimpleNamespace(
                req_id=r,
                num_computed_tokens=c,
                prompt_token_ids=[7] * (c + 1),
                sampling_params=SimpleNamespace(extra_args=xargs.get(r)),
            )
            for r, c in new
        ],
        scheduled_cached_reqs=SimpleNamespace(
            req_ids=[r for r, _ in cached], num_computed_tokens=[c for _, c in cached]
        ),
        finished_req_ids=set(finished),
    )


def step_layout(
    order: Sequence[str | None], out: Any
) -> tuple[list[str], torch.Tensor, torch.Tensor]:
    """The flat batch vLLM would run: requests in ``order``, each's scheduled tokens."""
    computed = {r.req_id: r.num_computed_tokens for r in out.scheduled_new_reqs}
    cached = out.scheduled_cached_reqs
    computed.update(zip(cached.req_ids, cached.num_computed_tokens, strict=True))
    ids: list[int] = []
    positions: list[int] = []
    rows: list[str] = []
    for req_id in order:
        if req_id is None:
            continue
        k = out.num_scheduled_tokens.get(req_id, 0)
        start = computed[req_id]
        toks = tokens_of(req_id)
        ids += toks[start : start + k]
        positions += range(start, start + k)
        rows += [req_id] * k
    return rows, torch.tensor(ids, dtype=torch.long), torch.tensor(positions, dtype=torch.long)


class FakeRunner:
    """What the plugin reads of vLLM's GPUModelRunner (V1)."""

    def __init__(self, model: nn.Module, max_num_tokens: int = 64) -> None:
        self.model = model
        self.max_num_tokens = max_num_tokens
        self.device = "cpu"
        self.input_batch = SimpleNamespace(req_ids=[])
        self.dummy_runs: list[int] = []
        self.dummy_fires = True

    def get_model(self) -> nn.Module:
        return self.model

    def _dummy_run(self, num_tokens: int) -> None:
        self.dummy_runs.append(num_tokens)
        if self.dummy_fires:
            self.model(torch.zeros(num_tokens, dtype=torch.long), torch.arange(num_tokens))


class FakeWorker:
    """A vLLM-worker-like object whose ``execute_model`` runs the tiny model.

    ``layout_order`` overrides the order the model actually lays requests out in
    (to fake a runner whose reported order is wrong); ``skip_forward`` makes a step
    that never reaches the model.
    """

    def __init__(self, model: nn.Module, max_num_tokens: int = 64) -> None:
        self.model_runner = FakeRunner(model, max_num_tokens)
        self.vllm_config = SimpleNamespace(
            model_config=SimpleNamespace(
                served_model_name="tiny-llama",
                model="/models/tiny-llama/",
                hf_config=SimpleNamespace(num_hidden_layers=N_LAYERS),
                get_hidden_size=lambda: D_MODEL,
                dtype=torch.float32,
            ),
            additional_config={},
        )
        self.layout_order: list[str] | None = None
        self.skip_forward = False
        self.inputs: list[tuple[list[str], torch.Tensor, torch.Tensor]] = []

    def execute_model(self, out: Any) -> str:
        order = self.layout_order or self.model_runner.input_batch.req_ids
        rows, ids, positions = step_layout(order, out)
        self.inputs.append((rows, ids, positions))
        if not self.skip_forward and len(rows):
            with torch.inference_mode():
                self.model_runner.model(ids, positions)
        return f"output-{len(self.inputs)}"
