from __future__ import annotations

import sys
import types
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from monitor.plugin import vllm_compat
from monitor.plugin.vllm_compat import (
    finished_ids,
    prefix_cache_hits,
    prompts_of,
    scheduled_tokens,
    tokens_per_request,
)

from .tiny import D_MODEL, N_LAYERS, FakeWorker, make_model, scheduler_output

# -- scheduler output ------------------------------------------------------------------


def test_scheduler_output_accessors() -> None:
    out = scheduler_output(
        {"a": 1, "b": 2, "c": 4}, new=[("b", 3), ("c", 0)], cached=[("a", 9)], finished=["z"]
    )
    assert scheduled_tokens(out) == 7
    assert tokens_per_request(out) == {"a": 1, "b": 2, "c": 4}
    assert finished_ids(out) == ["z"]
    assert prompts_of(out) == [("b", [7, 7, 7, 7]), ("c", [7])]
    assert prefix_cache_hits(out) == [("b", 3)]
    out.finished_req_ids = None
    assert finished_ids(out) == []


def test_prompts_of_skips_requests_without_prompt_ids() -> None:
    out = scheduler_output({"a": 1}, new=[("a", 0)])
    out.scheduled_new_reqs.append(SimpleNamespace(req_id="e", num_computed_tokens=0))
    out.scheduled_new_reqs.append(
        SimpleNamespace(req_id="f", num_computed_tokens=0, prompt_token_ids=None)
    )
    assert prompts_of(out) == [("a", [7])]


def test_request_args_read_vllm_xargs_from_vllms_own_classes() -> None:
    """``vllm_xargs`` arrive as ``SamplingParams.extra_args`` on ``NewRequestData``."""
    from vllm.sampling_params import SamplingParams
    from vllm.v1.core.sched.output import NewRequestData

    def new(req_id: str, params: SamplingParams | None) -> NewRequestData:
        return NewRequestData(
            req_id=req_id,
            prompt_token_ids=[1, 2],
            mm_features=[],
            sampling_params=params,
            pooling_params=None,
            block_ids=([],),
            num_computed_tokens=0,
            lora_request=None,
        )

    xargs = {"llm_monitor_capture": "off", "llm_monitor_tenant": "team-a"}
    out = SimpleNamespace(
        scheduled_new_reqs=[
            new("a", SamplingParams(extra_args=xargs)),
            new("b", SamplingParams()),
            new("c", None),  # a pooling request
        ]
    )
    assert vllm_compat.request_args(out) == [("a", xargs)]  # type: ignore[arg-type]


# -- runner, config and model ----------------------------------------------------------


def test_worker_accessors() -> None:
    worker = FakeWorker(make_model(), max_num_tokens=48)
    assert vllm_compat.loaded_model(worker) is worker.model_runner.model
    assert vllm_compat.middle_layer(worker.vllm_config) == N_LAYERS // 2
    shape = vllm_compat.sink_shape(worker)
    assert (shape.max_rows, shape.d_model) == (48, D_MODEL)
    assert shape.dtype == torch.float32 and shape.device == torch.device("cpu")
    vllm_compat.dummy_run(worker, 16)
    assert worker.model_runner.dummy_runs == [16]


def test_compile_cache_key_goes_into_additional_config() -> None:
    config = FakeWorker(make_model()).vllm_config
    assert vllm_compat.separate_compile_cache(config, {"layers": [1]})
    assert config.additional_config == {"llm_monitor": {"layers": [1]}}
    config.additional_config = None
    assert not vllm_compat.separate_compile_cache(config, {"layers": [1]})


# -- patching the worker ---------------------------------------------------------------


class _Worker:
    def __init__(self) -> None:
        self.warmed = 0

    def load_model(self, *args: Any) -> tuple[Any, ...]:
        return ("loaded", *args)

    def compile_or_warm_up_model(self) -> str:
        self.warmed += 1
        return "warm"

    def execute_model(self, out: Any) -> str:
        return f"ran {out}"


def test_on_model_loaded_patches_once_and_passes_results_through() -> None:
    class Worker(_Worker):
        pass

    seen: list[Any] = []
    assert vllm_compat.on_model_loaded(Worker, seen.append)
    patched = Worker.load_model
    assert not vllm_compat.on_model_loaded(Worker, seen.append)
    assert Worker.load_model is patched
    w = Worker()
    assert w.load_model(3) == ("loaded", 3)
    assert seen == [w]


def test_step_and_warm_up_are_wrapped_per_instance() -> None:
    w, other = _Worker(), _Worker()
    calls: list[str] = []

    def wrap(step: Any) -> Any:
        def wrapped(out: Any) -> Any:
            calls.append(f"before {out}")
            return step(out)

        return wrapped

    vllm_compat.wrap_execute_model(w, wrap)  # type: ignore[arg-type]
    vllm_compat.after_warm_up(w, lambda: calls.append(f"warmed {w.warmed}"))  # type: ignore[arg-type]
    assert w.execute_model("s1") == "ran s1"
    assert w.compile_or_warm_up_model() == "warm"
    assert calls == ["before s1", "warmed 1"]
    assert other.execute_model("s2") == "ran s2" and other.compile_or_warm_up_model() == "warm"
    assert calls == ["before s1", "warmed 1"]


def test_worker_class_is_read_from_vllm(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType(vllm_compat.WORKER_MODULE)
    fake.Worker = _Worker  # type: ignore[attr-defined]
    for name in ("vllm", "vllm.v1", "vllm.v1.worker"):
        monkeypatch.setitem(sys.modules, name, sys.modules.get(name) or types.ModuleType(name))
    monkeypatch.setitem(sys.modules, vllm_compat.WORKER_MODULE, fake)
    assert vllm_compat.worker_class() is _Worker
