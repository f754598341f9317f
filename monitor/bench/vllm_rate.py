"""The unmonitored vLLM generation rate of this machine: what a sidecar must keep up with.

One engine without the plugin, the overhead benchmark's workload, a warm-up round and
then ``rounds`` measured ones. Must run under ``if __name__ == "__main__"`` (vLLM spawns
processes). The engine is shut down before returning, so later measurements have the
machine to themselves.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from pathlib import Path
from typing import Any

from monitor.cpu import ServingDtype, serving_dtype


def measure_vllm_rate(
    model_dir: Path,
    model_name: str,
    requests: int,
    tokens: int,
    rounds: int,
    dtype: ServingDtype | None = None,
) -> dict[str, Any]:
    """Generated tokens per second over ``rounds`` rounds of ``requests`` concurrent
    requests of ``tokens`` tokens each."""
    from vllm import LLM, SamplingParams

    from monitor.bench.workload import chats

    os.environ["LLM_MONITOR_PLUGIN_ENABLED"] = "0"
    choice = serving_dtype(dtype)
    try:
        llm: Any = LLM(
            model=str(model_dir),
            served_model_name=model_name,
            max_model_len=2048,
            kv_cache_memory_bytes=1 << 30,
            dtype=choice.dtype,
            seed=0,
        )
    finally:
        os.environ.pop("LLM_MONITOR_PLUGIN_ENABLED", None)
    params = SamplingParams(max_tokens=tokens, temperature=0, ignore_eos=True)
    try:
        llm.chat(chats("stories", 8), SamplingParams(max_tokens=16), use_tqdm=False)
        generated, seconds = 0, 0.0
        for _ in range(rounds):
            start = time.perf_counter()
            outs = llm.chat(chats("stories", requests), params, use_tqdm=False)
            seconds += time.perf_counter() - start
            generated += sum(len(o.outputs[0].token_ids) for o in outs)
    finally:
        _shutdown(llm)
    return {
        "tokens_per_s": round(generated / seconds, 2),
        "measured": True,
        "concurrent_requests": requests,
        "tokens_per_request": tokens,
        "rounds": rounds,
        "dtype": choice.as_dict(),
    }


def _shutdown(llm: Any) -> None:
    """Stop the engine's processes now rather than at interpreter exit."""
    with contextlib.suppress(Exception):  # without that method: left to garbage collection
        llm.llm_engine.engine_core.shutdown()
    del llm
    gc.collect()
