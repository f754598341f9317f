"""Pure figures of ``bench fleet``: latency cases, ingest rates, goals and the verdict.

Every function here is a function of its inputs only, so the JSON the benchmark prints can
be checked without running it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from monitor.bench.stats import goal


def quantiles_ms(samples_s: Sequence[float]) -> dict[str, float | int | None]:
    """p50, p95 and max in milliseconds (linear interpolation) of durations in seconds."""
    data = np.asarray(samples_s, dtype=np.float64) * 1000.0
    if data.size == 0:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}
    p50, p95 = np.percentile(data, [50, 95])
    return {
        "n": int(data.size),
        "p50_ms": round(float(p50), 2),
        "p95_ms": round(float(p95), 2),
        "max_ms": round(float(data.max()), 2),
    }


def latency_case(
    name: str, samples_s: Sequence[float], goal_ms: float, **extra: Any
) -> dict[str, Any]:
    """One timed case: its quantiles and whether its p95 meets ``goal_ms``."""
    figures = quantiles_ms(samples_s)
    p95 = figures["p95_ms"]
    return {
        "case": name,
        **extra,
        **figures,
        "p95_goal": goal(None if p95 is None else float(p95), "<=", goal_ms),
    }


def rate_bins(
    acks: Iterable[tuple[float, int]], start: float, end: float, width_s: float
) -> list[float]:
    """Rows per second in consecutive ``width_s`` windows from ``start`` to ``end``, from
    ``(time, rows)`` acknowledgements (a last partial window counts at its own width)."""
    if end <= start or width_s <= 0:
        return []
    count = int(np.ceil((end - start) / width_s - 1e-9))
    totals = np.zeros(count, dtype=np.float64)
    for at, rows in acks:
        if start <= at <= end:
            totals[min(int((at - start) // width_s), count - 1)] += rows
    widths = np.full(count, float(width_s))
    widths[-1] = end - start - width_s * (count - 1)
    return [round(float(t / w), 1) for t, w in zip(totals, widths, strict=True)]


def per_million(cpu_s: float, rows: int) -> float | None:
    """CPU seconds per million rows (None without rows)."""
    return round(cpu_s * 1e6 / rows, 3) if rows > 0 else None


def ingest_figures(
    pushers: Sequence[Mapping[str, Any]],
    stored: Mapping[str, int],
    elapsed_s: float,
    hub_cpu_s: float,
    goal_rows_per_s: float,
) -> dict[str, Any]:
    """The ingest result from the pushers' counts, the database's counts afterwards, the
    measuring window and the hub's CPU time in it.

    Drops are acknowledged rows, alerts or traces missing from the database, plus the
    rows of pushes never acknowledged; refused pushes that a retry delivered are not drops.
    """
    acked = sum(int(p["rows_acked"]) for p in pushers)
    acked_alerts = sum(int(p["alerts_acked"]) for p in pushers)
    acked_traces = sum(int(p["traces_acked"]) for p in pushers)
    unacked = sum(int(p["rows_unacked"]) for p in pushers)
    refused: dict[str, int] = {}
    for p in pushers:
        for code, n in p["refused"].items():
            refused[code] = refused.get(code, 0) + int(n)
    missing = {
        "rows": max(0, acked - int(stored["rows"])),
        "alerts": max(0, acked_alerts - int(stored["alerts"])),
        "traces": max(0, acked_traces - int(stored["traces"])),
    }
    drops = unacked + missing["rows"]
    rate = acked / elapsed_s if elapsed_s > 0 else 0.0
    return {
        "pushers": len(pushers),
        "window_s": round(elapsed_s, 2),
        "pushes_acked": sum(int(p["pushes_acked"]) for p in pushers),
        "pushes_refused": refused,
        "rows_acked": acked,
        "alerts_acked": acked_alerts,
        "traces_acked": acked_traces,
        "rows_unacked": unacked,
        "stored": dict(stored),
        "missing": missing,
        "extra_rows": max(0, int(stored["rows"]) - acked),
        "rows_per_s": goal(round(rate, 1), ">=", goal_rows_per_s),
        "drops": goal(drops + missing["alerts"] + missing["traces"], "<=", 0),
        "hub_cpu_s": round(hub_cpu_s, 2),
        "hub_cpu_s_per_million_rows": per_million(hub_cpu_s, acked),
        "pusher_cpu_s": round(sum(float(p["cpu_s"]) for p in pushers), 2),
    }


def unmet(result: Any, path: str = "") -> list[str]:
    """Dotted paths of every goal in ``result`` (dicts with ``met``) not met; a goal that
    could not be measured (``met`` None) counts as not met."""
    out: list[str] = []
    if isinstance(result, Mapping):
        if "goal" in result and "met" in result:
            return [] if result["met"] is True else [path or "."]
        for key, value in result.items():
            out += unmet(value, f"{path}.{key}" if path else str(key))
    elif isinstance(result, list):
        for i, value in enumerate(result):
            name = value.get("case", i) if isinstance(value, Mapping) else i
            out += unmet(value, f"{path}[{name}]")
    return out


def verdict(result: Mapping[str, Any]) -> dict[str, Any]:
    """Whether every goal in ``result`` was met, and which were not."""
    failed = unmet(result)
    return {"all_goals_met": not failed, "goals_not_met": failed}
