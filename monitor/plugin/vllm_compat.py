"""Every access the plugin makes to vLLM's internals, and the vLLM versions it supports.

vLLM offers no stable interface for reading a step's batch from inside the worker, so
the plugin reads internal objects (the worker, its model runner, the scheduler output,
the model's module tree) and patches three worker methods. All of that lives here and
nowhere else: when a vLLM release moves something, this is the one file to update (and
``SUPPORTED_VLLM`` in :mod:`monitor.plugin.vllm_version` with it). The ``Protocol``
classes below list exactly the attributes the plugin reads; the rest of the plugin speaks
only these protocols and functions.

Nothing here imports vLLM at module import time, so the plugin's logic is testable with
fakes and importable where vLLM is absent.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import nn

#: Where vLLM's worker class lives (the class whose methods are patched).
WORKER_MODULE = "vllm.v1.worker.gpu_worker"
WORKER_CLASS = "Worker"

#: ``execute_model(scheduler_output, *args, **kwargs)``: vLLM's per-step worker call.
StepFn = Callable[..., Any]

_PATCHED_ATTR = "_llm_monitor_patched"


# -- what the plugin reads of vLLM's objects --------------------------------------------


class NewRequestLike(Protocol):
    """``NewRequestData``: a request scheduled for the first time at this step."""

    @property
    def req_id(self) -> str: ...
    @property
    def num_computed_tokens(self) -> int: ...  # > 0: served from the prefix cache
    @property
    def prompt_token_ids(self) -> Sequence[int] | None: ...  # None for prompt embeds


class CachedRequestsLike(Protocol):
    """``CachedRequestData``: requests already running, as parallel lists."""

    @property
    def req_ids(self) -> Sequence[str]: ...
    @property
    def num_computed_tokens(self) -> Sequence[int]: ...


class SchedulerOutputLike(Protocol):
    """``SchedulerOutput``: what one step runs, handed to ``execute_model``."""

    @property
    def total_num_scheduled_tokens(self) -> int: ...
    @property
    def num_scheduled_tokens(self) -> Mapping[str, int]: ...
    @property
    def scheduled_new_reqs(self) -> Sequence[NewRequestLike]: ...
    @property
    def scheduled_cached_reqs(self) -> CachedRequestsLike: ...
    @property
    def finished_req_ids(self) -> Collection[str] | None: ...


class InputBatchLike(Protocol):
    """The runner's persistent batch (V1): request ids by slot, ``None`` = free slot."""

    @property
    def req_ids(self) -> Sequence[str | None]: ...


class RunnerLike(Protocol):
    """``GPUModelRunner``; model runner V2 also has ``execute_model_state.input_batch``."""

    @property
    def max_num_tokens(self) -> int: ...
    @property
    def device(self) -> torch.device | str: ...
    @property
    def input_batch(self) -> InputBatchLike: ...
    def get_model(self) -> nn.Module: ...
    def _dummy_run(self, num_tokens: int) -> object: ...


class HfConfigLike(Protocol):
    @property
    def num_hidden_layers(self) -> int: ...


class ModelConfigLike(Protocol):
    """``ModelConfig``: the served model's name, path and shape."""

    @property
    def served_model_name(self) -> str | Sequence[str] | None: ...
    @property
    def model(self) -> str: ...
    @property
    def hf_config(self) -> HfConfigLike: ...
    @property
    def dtype(self) -> torch.dtype: ...
    def get_hidden_size(self) -> int: ...


class VllmConfigLike(Protocol):
    """``VllmConfig``; ``additional_config`` is part of the compile cache key."""

    @property
    def model_config(self) -> ModelConfigLike: ...
    @property
    def additional_config(self) -> object: ...


class WorkerLike(Protocol):
    """A worker instance (``gpu_worker.Worker``) after ``load_model``."""

    @property
    def vllm_config(self) -> VllmConfigLike: ...
    @property
    def model_runner(self) -> RunnerLike: ...


class PatchableWorkerLike(WorkerLike, Protocol):
    """A worker whose step and warm-up are replaced on the instance."""

    execute_model: StepFn
    compile_or_warm_up_model: Callable[..., Any]


# -- scheduler output -------------------------------------------------------------------


def scheduled_tokens(scheduler_output: SchedulerOutputLike) -> int:
    """How many tokens the step runs in all (0 = nothing runs)."""
    return int(scheduler_output.total_num_scheduled_tokens)


def tokens_per_request(scheduler_output: SchedulerOutputLike) -> Mapping[str, int]:
    """How many tokens the step runs for each request."""
    return scheduler_output.num_scheduled_tokens


def finished_ids(scheduler_output: SchedulerOutputLike) -> list[str]:
    """Requests that finished since the previous step."""
    return list(scheduler_output.finished_req_ids or ())


def computed_before(scheduler_output: SchedulerOutputLike) -> dict[str, int]:
    """Tokens each scheduled request had computed before this step."""
    computed = {r.req_id: int(r.num_computed_tokens) for r in scheduler_output.scheduled_new_reqs}
    cached = scheduler_output.scheduled_cached_reqs
    for req_id, n in zip(cached.req_ids, cached.num_computed_tokens, strict=False):
        computed[req_id] = int(n)
    return computed


def prompts_of(scheduler_output: SchedulerOutputLike) -> list[tuple[str, list[int]]]:
    """(request id, prompt token ids) of the requests that start at this step."""
    out = []
    for r in scheduler_output.scheduled_new_reqs:
        ids = getattr(r, "prompt_token_ids", None)
        if ids is not None:
            out.append((r.req_id, list(ids)))
    return out


def request_args(scheduler_output: SchedulerOutputLike) -> list[tuple[str, Mapping[str, Any]]]:
    """(request id, ``SamplingParams.extra_args``, i.e. the API's ``vllm_xargs``) of the
    requests that start now and carry any."""
    out = []
    for r in scheduler_output.scheduled_new_reqs:
        args = getattr(getattr(r, "sampling_params", None), "extra_args", None)
        if isinstance(args, Mapping) and args:
            out.append((r.req_id, args))
    return out


def prefix_cache_hits(scheduler_output: SchedulerOutputLike) -> list[tuple[str, int]]:
    """(request id, tokens served from the prefix cache) of the requests that start now."""
    return [
        (r.req_id, int(r.num_computed_tokens))
        for r in scheduler_output.scheduled_new_reqs
        if int(r.num_computed_tokens) > 0
    ]


# -- runner, config and model -----------------------------------------------------------


def batch_order(runner: RunnerLike) -> list[str]:
    """The request order of the flat token batch of the step that just ran."""
    state = getattr(runner, "execute_model_state", None)
    step_batch = getattr(state, "input_batch", None)
    if step_batch is not None and getattr(step_batch, "req_ids", None) is not None:
        return list(step_batch.req_ids)  # model runner V2: the step's own batch
    return [r for r in runner.input_batch.req_ids if r is not None]  # model runner V1


def served_model_name(vllm_config: VllmConfigLike) -> str:
    """The name vLLM serves the model under."""
    name: object = vllm_config.model_config.served_model_name
    if isinstance(name, list | tuple):
        name = name[0] if name else None
    return str(name or os.path.basename(str(vllm_config.model_config.model).rstrip("/")))


def middle_layer(vllm_config: VllmConfigLike) -> int:
    """The decoder layer in the middle of the model (the default to capture)."""
    return int(vllm_config.model_config.hf_config.num_hidden_layers) // 2


@dataclass(frozen=True)
class SinkShape:
    """What the capture sinks must hold: the most rows of one step, and their layout."""

    max_rows: int
    d_model: int
    dtype: torch.dtype
    device: torch.device


def loaded_model(worker: WorkerLike) -> nn.Module:
    """The model the worker runs (hooks go on it before it is compiled)."""
    return worker.model_runner.get_model()


def sink_shape(worker: WorkerLike) -> SinkShape:
    """The shape of one step's residual stream on this worker."""
    runner = worker.model_runner
    model_config = worker.vllm_config.model_config
    return SinkShape(
        max_rows=int(runner.max_num_tokens),
        d_model=int(model_config.get_hidden_size()),
        dtype=model_config.dtype,
        device=torch.device(runner.device),
    )


def dummy_run(worker: WorkerLike, num_tokens: int) -> None:
    """Run one forward pass of ``num_tokens`` dummy tokens through the model as served."""
    with torch.inference_mode():
        worker.model_runner._dummy_run(num_tokens)


def separate_compile_cache(vllm_config: VllmConfigLike, key: Mapping[str, object]) -> bool:
    """Put ``key`` into the compile cache key; False when the config has no room for it.

    vLLM keys its torch.compile cache on the config (``additional_config`` included),
    not on hooks.
    """
    extra = vllm_config.additional_config
    if not isinstance(extra, dict):
        return False
    extra["llm_monitor"] = dict(key)
    return True


def find_decoder_layers(model: nn.Module) -> nn.ModuleList:
    """Return the model's decoder layer list (e.g. ``model.model.layers``)."""
    for path in ("model.layers", "layers", "model.decoder.layers", "transformer.h"):
        node = _walk(model, path)
        if isinstance(node, nn.ModuleList) and len(node) > 0:
            return node
    raise LookupError(f"no decoder layer list found in {type(model).__name__}")


def find_token_embedding(model: nn.Module) -> nn.Module | None:
    """Return the input token embedding module, if the model has a recognisable one."""
    for path in ("model.embed_tokens", "embed_tokens", "model.decoder.embed_tokens"):
        node = _walk(model, path)
        if isinstance(node, nn.Module):
            return node
    return None


def _walk(root: object, path: str) -> object:
    """``root.a.b.c`` for ``path`` "a.b.c"; None where an attribute is missing."""
    node: object = root
    for part in path.split("."):
        node = getattr(node, part, None)
        if node is None:
            return None
    return node


# -- patching the worker ----------------------------------------------------------------


def worker_class() -> type:
    """vLLM's worker class (imported now: only call this inside a vLLM process)."""
    cls: type = getattr(importlib.import_module(WORKER_MODULE), WORKER_CLASS)
    return cls


def on_model_loaded(worker_cls: Any, callback: Callable[[PatchableWorkerLike], None]) -> bool:
    """Call ``callback(worker)`` right after each instance's ``load_model`` returns.

    Patches the class once (False when it already was). ``load_model``'s result and
    exceptions pass through unchanged; the callback must not raise.
    """
    if getattr(worker_cls, _PATCHED_ATTR, False):
        return False
    original_load = worker_cls.load_model

    def load_model(self: PatchableWorkerLike, *args: Any, **kwargs: Any) -> Any:
        result = original_load(self, *args, **kwargs)
        callback(self)
        return result

    worker_cls.load_model = load_model
    setattr(worker_cls, _PATCHED_ATTR, True)
    return True


def wrap_execute_model(worker: PatchableWorkerLike, wrap: Callable[[StepFn], StepFn]) -> None:
    """Replace this worker's ``execute_model`` (see ``StepFn``) with ``wrap`` of it."""
    worker.execute_model = wrap(worker.execute_model)


def after_warm_up(worker: PatchableWorkerLike, callback: Callable[[], None]) -> None:
    """Call ``callback()`` after this worker's compile and warm-up pass returns.

    The warm-up's result and exceptions pass through unchanged; the callback must not
    raise.
    """
    original_warm = worker.compile_or_warm_up_model

    def compile_or_warm_up_model(*args: Any, **kwargs: Any) -> Any:
        out = original_warm(*args, **kwargs)
        callback()
        return out

    worker.compile_or_warm_up_model = compile_or_warm_up_model
