"""The client side of ``bench latency``: streamed chat completions sent with Poisson
arrivals to an OpenAI-compatible server, timed token by token.

Requests ask vLLM for ``return_token_ids`` so that each streamed chunk says how many
tokens it carries (a chunk's tokens are all received at its arrival). Each request sets
``X-Request-Id`` so that the monitor's alerts can be matched to it. aiohttp comes with
vLLM, which this benchmark needs anyway.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from monitor.bench.stats import rounded_percentiles
from monitor.bench.workload import Workload, chat


@dataclass
class RequestTiming:
    """One request: when it was sent and when each generated token arrived."""

    request_id: str
    sent: float
    token_times: list[float] = field(default_factory=list)
    prompt_tokens: int | None = None
    error: str | None = None

    @property
    def ttft(self) -> float | None:
        return self.token_times[0] - self.sent if self.token_times else None

    @property
    def itls(self) -> list[float]:
        times = self.token_times
        return [b - a for a, b in itertools.pairwise(times)]


def _body(model: str, index: int, max_tokens: int, workload: Workload) -> dict[str, Any]:
    return {
        "model": model,
        "messages": chat(workload, index),
        "max_tokens": max_tokens,
        "temperature": 0,
        "ignore_eos": True,
        "stream": True,
        "return_token_ids": True,
    }


async def _one(
    session: Any,
    url: str,
    model: str,
    request_id: str,
    index: int,
    max_tokens: int,
    workload: Workload,
) -> RequestTiming:
    timing = RequestTiming(request_id, time.monotonic())
    try:
        async with session.post(
            f"{url}/v1/chat/completions",
            json=_body(model, index, max_tokens, workload),
            headers={"X-Request-Id": request_id},
        ) as resp:
            if resp.status != 200:
                timing.error = f"HTTP {resp.status}: {(await resp.text())[:200]}"
                return timing
            async for raw in resp.content:
                line = raw.decode().strip()
                if not line.startswith("data:") or line == "data: [DONE]":
                    continue
                now = time.monotonic()
                chunk = json.loads(line[5:])
                if timing.prompt_tokens is None and chunk.get("prompt_token_ids") is not None:
                    timing.prompt_tokens = len(chunk["prompt_token_ids"])
                for choice in chunk.get("choices", []):
                    timing.token_times += [now] * len(choice.get("token_ids") or [])
    except Exception as exc:  # a failed request is reported, not fatal
        timing.error = repr(exc)
    return timing


async def _send_all(
    url: str,
    model: str,
    prefix: str,
    delays: Sequence[float],
    max_tokens: int,
    workload: Workload,
) -> list[RequestTiming]:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=None, sock_read=600)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        start = time.monotonic()
        tasks = []
        for i, delay in enumerate(delays):
            await asyncio.sleep(max(0.0, start + delay - time.monotonic()))
            tasks.append(
                asyncio.create_task(
                    _one(session, url, model, f"{prefix}-{i}", i, max_tokens, workload)
                )
            )
        return list(await asyncio.gather(*tasks))


def poisson_delays(n: int, rate: float | None, seed: int) -> list[float]:
    """Send times (seconds from the start) of ``n`` Poisson arrivals at ``rate`` per
    second; None: all at once."""
    if rate is None:
        return [0.0] * n
    gaps = np.random.default_rng(seed).exponential(1.0 / rate, size=n)
    return [float(x) for x in np.cumsum(gaps) - gaps[0]]


def run_requests(
    url: str,
    model: str,
    prefix: str,
    n: int,
    rate: float | None,
    max_tokens: int,
    seed: int,
    workload: Workload = "ordinary",
) -> tuple[list[RequestTiming], float]:
    """Send ``n`` chats of ``workload`` (Poisson at ``rate``, or all at once); the timings
    and the wall seconds from the first send to the last token."""
    start = time.monotonic()
    delays = poisson_delays(n, rate, seed)
    timings = asyncio.run(_send_all(url, model, prefix, delays, max_tokens, workload))
    return timings, time.monotonic() - start


def completed(timings: Sequence[RequestTiming]) -> list[RequestTiming]:
    """The requests that got tokens and no error."""
    return [t for t in timings if t.error is None and t.token_times]


def summarize_timings(timings: Sequence[RequestTiming], wall_s: float) -> dict[str, Any]:
    """TTFT and inter-token latency percentiles (milliseconds), tokens/s, errors."""
    ok = completed(timings)
    ttft = [t.ttft * 1e3 for t in ok if t.ttft is not None]
    itl = [x * 1e3 for t in ok for x in t.itls]
    tokens = sum(len(t.token_times) for t in ok)

    return {
        "requests": len(timings),
        "completed": len(ok),
        "errors": sorted({t.error for t in timings if t.error is not None})[:5],
        "ttft_ms": rounded_percentiles(ttft),
        "itl_ms": rounded_percentiles(itl),
        "tokens": tokens,
        "tokens_per_s": round(tokens / wall_s, 2) if wall_s > 0 else None,
        "wall_s": round(wall_s, 2),
    }


def token_index(position: int, prompt_tokens: int) -> int:
    """The generated token (0-based) that the step computing sequence ``position`` put
    out: the last prompt token's step puts out token 0 (earlier prompt positions are
    counted as that step too)."""
    return max(0, position - prompt_tokens + 1)
