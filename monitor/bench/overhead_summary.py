"""``bench overhead``'s verdict from its rounds: paired ratios with bootstrap intervals and
the goals they are held to. Pure: the same rounds and seed give the same summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from monitor.bench.stats import bootstrap_median, goal, histogram_quantile

#: Goals of the issue this benchmark answers: the median paired throughput ratio, the
#: lower end of its 95% interval, and the plugin's host time as a share of step time.
THROUGHPUT_MEDIAN_GOAL = 0.99
THROUGHPUT_LOW_GOAL = 0.97
PLUGIN_FRACTION_GOAL = 0.01

Round = Mapping[str, Any]


def paired(monitored: Sequence[Round], unmonitored: Sequence[Round], key: str) -> list[float]:
    """``monitored[i][key] / unmonitored[i][key]`` for the rounds where both are > 0."""
    out = []
    for m, u in zip(monitored, unmonitored, strict=True):
        a, b = m.get(key), u.get(key)
        if a is not None and b is not None and a > 0 and b > 0:
            out.append(float(a) / float(b))
    return out


def summarize(
    rounds: Mapping[str, Sequence[Round]], confidence: float = 0.95, seed: int = 0
) -> dict[str, Any]:
    """Median paired ratios (throughput, CPU seconds per token) with bootstrap intervals,
    the plugin's share of step time, and each goal met or not (None: not measured)."""
    mon, unmon = rounds["monitored"], rounds["unmonitored"]
    throughput = paired(mon, unmon, "tokens_per_s")
    cpu = paired(mon, unmon, "cpu_s_per_token")
    fractions = [float(r["plugin_fraction"]) for r in mon if r.get("plugin_fraction") is not None]
    out: dict[str, Any] = {}
    t = c = f = None
    if throughput:
        t = bootstrap_median(throughput, confidence, seed=seed)
        out["throughput_ratio"] = t.as_dict()
    if cpu:
        c = bootstrap_median(cpu, confidence, seed=seed)
        out["cpu_per_token_ratio"] = c.as_dict()
    if fractions:
        f = bootstrap_median(fractions, confidence, seed=seed)
        out["plugin_host_fraction"] = f.as_dict(6)
    out["paired_throughput_ratios"] = [round(x, 4) for x in throughput]
    out["paired_cpu_per_token_ratios"] = [round(x, 4) for x in cpu]
    out["goals"] = {
        "throughput_ratio_median": goal(
            None if t is None else round(t.median, 4), ">=", THROUGHPUT_MEDIAN_GOAL
        ),
        "throughput_ratio_low": goal(
            None if t is None else round(t.low, 4), ">=", THROUGHPUT_LOW_GOAL
        ),
        "plugin_host_fraction_median": goal(
            None if f is None else round(f.median, 6), "<=", PLUGIN_FRACTION_GOAL
        ),
    }
    return out


def scaling_row(requests: int, rounds: Mapping[str, Sequence[Round]]) -> dict[str, Any]:
    """One row of the concurrency table: medians of a few paired rounds."""

    def median(values: Sequence[float]) -> float | None:
        return round(float(np.median(values)), 6) if len(values) else None

    mon, unmon = rounds["monitored"], rounds["unmonitored"]
    return {
        "requests": requests,
        "rounds": len(mon),
        "tokens_per_s_unmonitored": median([float(r["tokens_per_s"]) for r in unmon]),
        "throughput_ratio": median(paired(mon, unmon, "tokens_per_s")),
        "cpu_per_token_ratio": median(paired(mon, unmon, "cpu_s_per_token")),
        "plugin_host_fraction": median(
            [float(r["plugin_fraction"]) for r in mon if r.get("plugin_fraction") is not None]
        ),
    }


def lag_between(
    before: Mapping[str, float], after: Mapping[str, float], name: str
) -> dict[str, float | None]:
    """Mean (s) and p50/p99 (ms, from the buckets: :func:`histogram_quantile`) of the
    histogram ``name`` over what was observed between two scrapes, which key its buckets
    as ``<name>_bucket:le=<bound>``."""
    count = after.get(f"{name}_count", 0.0) - before.get(f"{name}_count", 0.0)
    total = after.get(f"{name}_sum", 0.0) - before.get(f"{name}_sum", 0.0)
    prefix = f"{name}_bucket:le="
    buckets = {
        float(key[len(prefix) :]): value - before.get(key, 0.0)
        for key, value in after.items()
        if key.startswith(prefix)
    }
    short = name.removeprefix("llm_monitor_").removesuffix("_seconds")
    p50, p99 = (histogram_quantile(q, buckets) for q in (0.5, 0.99))
    return {
        f"{short}_mean_s": round(total / count, 4) if count else None,
        f"{short}_p50_ms": None if p50 is None else round(p50 * 1e3, 1),
        f"{short}_p99_ms": None if p99 is None else round(p99 * 1e3, 1),
    }
