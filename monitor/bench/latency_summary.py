"""Summaries of ``bench latency``'s timings: the arm compared, bootstrap intervals of the
latency ratios, and the inter-token p99 goal judged by its interval."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from monitor.bench.latency_client import RequestTiming, completed
from monitor.bench.stats import (
    Interval,
    bootstrap_paired_quantile_ratio,
    bootstrap_quantile_ratio,
    goal,
)

ITL_P99_GOAL = 1.02


def compared_arm(arms: Collection[str]) -> str | None:
    """The arm set against ``unmonitored`` (``monitored``, or the ``control`` server
    that is a second unmonitored one); None when there is nothing to compare."""
    if "unmonitored" not in arms:
        return None
    return next((a for a in ("monitored", "control") if a in arms), None)


#: The ratios given intervals: (key, percentile, a request's values).
INTERVAL_METRICS: tuple[tuple[str, float, Callable[[RequestTiming], list[float]]], ...] = (
    ("ttft_p50", 50, lambda t: [] if t.ttft is None else [t.ttft]),
    ("itl_p50", 50, lambda t: t.itls),
    ("itl_p99", 99, lambda t: t.itls),
)
#: Fewest rounds that get intervals over rounds (fewer draw too few distinct resamples).
MIN_ROUNDS_FOR_INTERVAL = 3

Bootstrap = Callable[..., Interval]


def ratio_intervals(
    test: list[RequestTiming], base: list[RequestTiming], seed: int
) -> dict[str, dict[str, float] | None]:
    """95% bootstrap intervals of the TTFT p50 and inter-token p50 / p99 ratios,
    resampling requests (a request's tokens go together)."""
    test, base = completed(test), completed(base)
    return {
        key: _interval(
            bootstrap_quantile_ratio,
            [values(t) for t in test],
            [values(t) for t in base],
            q,
            seed,
            "requests",
        )
        for key, q, values in INTERVAL_METRICS
    }


def round_intervals(
    test: list[list[RequestTiming]], base: list[list[RequestTiming]], seed: int
) -> dict[str, dict[str, float] | None] | None:
    """The same ratios' intervals drawing whole rounds, the same rounds on both sides.

    Requests of one round overlap in time, so a slow spell of the host reaches many of
    them at once and an interval over requests comes out too narrow; a round and its
    twin on the other server (run right before or after it) are the units that are
    near independent. None with fewer than ``MIN_ROUNDS_FOR_INTERVAL`` rounds."""
    if min(len(test), len(base)) < MIN_ROUNDS_FOR_INTERVAL:
        return None

    def pooled(
        rounds: list[list[RequestTiming]], values: Callable[[RequestTiming], list[float]]
    ) -> list[list[float]]:
        return [[v for t in completed(r) for v in values(t)] for r in rounds]

    return {
        key: _interval(
            bootstrap_paired_quantile_ratio,
            pooled(test, values),
            pooled(base, values),
            q,
            seed,
            "rounds",
        )
        for key, q, values in INTERVAL_METRICS
    }


def _interval(
    bootstrap: Bootstrap,
    test: list[list[float]],
    base: list[list[float]],
    q: float,
    seed: int,
    unit: str,
) -> dict[str, float] | None:
    """One ratio's interval as the JSON has it; None where a side has no values."""
    try:
        interval = bootstrap(test, base, q, seed=seed)
    except ValueError:
        return None
    return {
        "ratio": round(interval.median, 4),
        "low": round(interval.low, 4),
        "high": round(interval.high, 4),
        "confidence": interval.confidence,
        unit: interval.n,
    }


def itl_goal(points: list[dict[str, Any]]) -> dict[str, object]:
    """The p99 inter-token goal at the worst of ``points``, and what that point's
    interval (over rounds where it has one, else over requests) says: ``met`` (all of
    it at or under the goal), ``not met`` (all of it over), or ``not resolved`` (it
    spans the goal: more rounds or requests needed)."""
    measured = [p for p in points if p.get("ratios", {}).get("itl_p99") is not None]
    if not measured:
        return goal(None, "<=", ITL_P99_GOAL)
    worst = max(measured, key=lambda p: p["ratios"]["itl_p99"])
    over_rounds = (worst.get("round_intervals") or {}).get("itl_p99")
    interval = over_rounds or worst["ratio_intervals"].get("itl_p99")
    result = goal(worst["ratios"]["itl_p99"], "<=", ITL_P99_GOAL)
    result["rate_rps"] = worst["rate_rps"]
    if interval is not None:
        result["interval"] = [interval["low"], interval["high"]]
        result["interval_over"] = "rounds" if over_rounds else "requests"
        result["verdict"] = (
            "met"
            if interval["high"] <= ITL_P99_GOAL
            else "not met"
            if interval["low"] > ITL_P99_GOAL
            else "not resolved"
        )
    return result
