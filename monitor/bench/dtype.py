"""``bench dtype``: vLLM's unmonitored generation rate in each serving dtype on this CPU,
against the dtype chosen for it from its flags (:mod:`monitor.cpu`).

Engines of the dtypes are started one after another, the order alternating between
repeats (the host's speed drifts over minutes), each measured like ``bench sidecar``'s
vLLM rate. The fastest dtype is the one with the highest median rate.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.cpu import ServingDtype, choose_dtype, cpu_flags

#: measure(model_dir, model_name, requests, tokens, rounds, dtype) -> {"tokens_per_s": ...}
Measure = Callable[[Path, str, int, int, int, ServingDtype], dict[str, Any]]


@dataclass(frozen=True)
class DtypeBenchSettings:
    """What ``bench dtype`` runs."""

    model_dir: Path
    model_name: str
    dtypes: tuple[ServingDtype, ...] = ("bfloat16", "float32")
    repeats: int = 2
    """Engines per dtype (the order of the dtypes alternates between repeats)."""
    requests: int = 64
    """Concurrent requests per round."""
    tokens: int = 128
    """Generated tokens per request."""
    rounds: int = 2
    """Measured rounds per engine (after one warm-up)."""


def run_dtype_bench(settings: DtypeBenchSettings, measure: Measure | None = None) -> dict[str, Any]:
    """Every dtype's rates, the fastest, and whether the flags' choice is it."""
    if measure is None:
        from monitor.bench.vllm_rate import measure_vllm_rate

        measure = measure_vllm_rate
    started = time.monotonic()
    runs: list[dict[str, Any]] = []
    for repeat in range(settings.repeats):
        order = settings.dtypes if repeat % 2 == 0 else settings.dtypes[::-1]
        for dtype in order:
            t0 = time.monotonic()
            rate = measure(
                settings.model_dir,
                settings.model_name,
                settings.requests,
                settings.tokens,
                settings.rounds,
                dtype,
            )
            runs.append(
                {
                    "dtype": dtype,
                    "tokens_per_s": rate["tokens_per_s"],
                    "seconds": round(time.monotonic() - t0, 1),
                }
            )
    medians = {
        dtype: round(statistics.median(r["tokens_per_s"] for r in runs if r["dtype"] == dtype), 2)
        for dtype in settings.dtypes
    }
    fastest = max(medians, key=lambda d: medians[d])
    chosen = choose_dtype(cpu_flags())  # from the flags alone, no override
    return {
        "benchmark": "dtype",
        "chosen": chosen.as_dict(),
        "runs": runs,
        "median_tokens_per_s": medians,
        "fastest": fastest,
        "chosen_is_fastest": chosen.dtype == fastest,
        "ratios_to_fastest": {d: round(v / medians[fastest], 3) for d, v in medians.items()},
        "settings": {
            "dtypes": list(settings.dtypes),
            "repeats": settings.repeats,
            "requests": settings.requests,
            "tokens": settings.tokens,
            "rounds": settings.rounds,
        },
        "seconds": round(time.monotonic() - started, 1),
    }
