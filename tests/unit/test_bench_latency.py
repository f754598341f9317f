"""``bench latency``'s client against a fake streaming OpenAI server, and the matching of
alerts to the tokens their steps put out."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import pathlib
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry, Histogram, start_http_server

from monitor.bench.alert_watch import AlertTiming, alert_latencies, alert_summary
from monitor.bench.latency import WARMUP_REQUESTS, _log_placement, _point, warm_up
from monitor.bench.latency_client import (
    RequestTiming,
    poisson_delays,
    run_requests,
    summarize_timings,
    token_index,
)
from monitor.bench.latency_summary import compared_arm, itl_goal
from monitor.bench.overhead import free_port
from monitor.bench.settings import LatencyBenchSettings
from monitor.cli.main import build_parser

PROMPT = 5
TOKENS = 6
GAP_S = 0.02
IDS = web.AppKey("ids", list[str])
LAG = web.AppKey("lag", Histogram)


async def _chat(request: web.Request) -> web.StreamResponse:
    """Streams like vLLM with return_token_ids: prompt ids first, then token ids by chunk
    (the last chunk carries two tokens)."""
    body = await request.json()
    assert body["stream"] and body["return_token_ids"]
    request.app[IDS].append(request.headers["X-Request-Id"])
    if LAG in request.app:  # as a sidecar would score the monitored server's steps
        monitored = "-monitored-" in request.headers["X-Request-Id"]
        request.app[LAG].labels("m").observe(0.03 if monitored else 5.0)
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)

    async def send(chunk: dict[str, Any]) -> None:
        await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())

    await send({"prompt_token_ids": list(range(PROMPT)), "choices": [{"token_ids": []}]})
    for i in range(TOKENS - 2):
        await asyncio.sleep(GAP_S)
        await send({"choices": [{"token_ids": [100 + i]}]})
    await asyncio.sleep(GAP_S)
    await send({"choices": [{"token_ids": [1, 2]}]})
    await resp.write(b"data: [DONE]\n\n")
    return resp


def _serve(app: web.Application) -> Iterator[tuple[str, list[str]]]:
    app[IDS] = []
    app.router.add_post("/v1/chat/completions", _chat)
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", app[IDS]
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[str]]]:
    yield from _serve(web.Application())


@pytest.fixture
def metered() -> Iterator[tuple[str, int]]:
    """A fake server that observes a sidecar's lag histogram per request, and the port of
    that histogram's /metrics (a real prometheus_client server)."""
    registry = CollectorRegistry()
    app = web.Application()
    app[LAG] = Histogram(
        "llm_monitor_capture_to_score_seconds", "", ["model_name"], registry=registry
    )
    port = free_port()
    metrics, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    for url, _ in _serve(app):
        yield url, port
    metrics.shutdown()
    thread.join(5)


def test_each_token_is_timed_and_summarized(server: tuple[str, list[str]]) -> None:
    url, ids = server
    timings, wall = run_requests(url, "m", "t", 4, None, TOKENS, seed=0)
    assert {t.request_id for t in timings} == {f"t-{i}" for i in range(4)} <= set(ids)
    for t in timings:
        assert t.error is None and t.prompt_tokens == PROMPT
        assert len(t.token_times) == TOKENS
        assert t.token_times == sorted(t.token_times)
    summary = summarize_timings(timings, wall)
    assert summary["completed"] == 4 and summary["tokens"] == 4 * TOKENS
    assert GAP_S * 1e3 * 0.8 < summary["ttft_ms"]["p50"] < 1000
    assert summary["itl_ms"]["p50"] == pytest.approx(GAP_S * 1e3, rel=0.5)
    assert summary["itl_ms"]["p99"] >= summary["itl_ms"]["p50"]


def test_a_refused_request_is_reported(server: tuple[str, list[str]]) -> None:
    url, _ = server
    timings, wall = run_requests(url + "/nothing", "m", "x", 1, None, 4, seed=0)
    assert timings[0].error is not None and "404" in timings[0].error
    assert summarize_timings(timings, wall)["completed"] == 0


def test_poisson_arrivals_are_seeded_and_average_the_rate() -> None:
    delays = poisson_delays(2000, 50.0, seed=1)
    assert delays[0] == 0.0 and delays == sorted(delays)
    assert delays == poisson_delays(2000, 50.0, seed=1)
    assert np.mean(np.diff(delays)) == pytest.approx(1 / 50.0, rel=0.1)
    assert poisson_delays(3, None, seed=0) == [0.0, 0.0, 0.0]


class FakeWatch:
    def __init__(self, received: dict[str, float], positions: dict[str, int]) -> None:
        self.received, self.positions = received, positions
        self.after_firing = {request_id: 0.02 for request_id in received}


def test_an_alert_is_timed_from_the_token_its_step_put_out() -> None:
    assert token_index(2, 5) == 0 and token_index(4, 5) == 0 and token_index(7, 5) == 3
    timing = RequestTiming("lat-monitored-0-3", 0.0, [1.0, 1.1, 1.2, 1.3], prompt_tokens=5)
    other = RequestTiming("lat-monitored-0-4", 0.0, [2.0], prompt_tokens=5)
    prefix = RequestTiming("lat-monitored-0-1", 0.0, [0.5], prompt_tokens=5)  # no alert
    watch = FakeWatch(
        {"chatcmpl-lat-monitored-0-3-0123abcd": 1.35, "chatcmpl-lat-monitored-0-15-89abcdef": 9.0},
        {"chatcmpl-lat-monitored-0-3-0123abcd": 7, "chatcmpl-lat-monitored-0-15-89abcdef": 4},
    )
    latencies = alert_latencies([timing, other, prefix], watch)  # type: ignore[arg-type]
    # 0-15's is not 0-1's
    assert latencies == [AlertTiming(pytest.approx(50.0), pytest.approx(20.0), 1.3, 1.35)]
    summary = alert_summary(latencies)
    assert summary["alerts_timed"] == 1 and summary["p50"] == pytest.approx(50.0)
    assert summary["after_firing"]["p50"] == pytest.approx(20.0)


def test_latency_flags_fill_the_settings() -> None:
    args = build_parser().parse_args(
        ["bench", "latency", "--smoke", "--rates", "0.5", "2", "--arms", "monitored"]
    )
    assert args.smoke and args.rates == [0.5, 2.0] and args.arms == ["monitored"]
    assert not args.alert_every_request
    assert (
        build_parser().parse_args(["bench", "latency", "--alert-every-request"]).alert_every_request
    )


def test_a_point_pools_its_rounds_and_sets_the_control_against_the_baseline(
    server: tuple[str, list[str]],
) -> None:
    url, ids = server
    settings = LatencyBenchSettings(requests=3, max_tokens=TOKENS, rounds=2)
    point, alerts = _point(settings, {"unmonitored": url, "control": url}, 100.0, 1, None)
    assert alerts == []
    for arm in ("unmonitored", "control"):
        assert point["arms"][arm]["completed"] == 6  # 3 requests x 2 rounds
        assert {f"lat-{arm}-1-{r}-{i}" for r in range(2) for i in range(3)} <= set(ids)
    assert point["rounds"] == 2 and point["compared"] == "control / unmonitored"
    # one server behind both arms: the ratios are near 1, and each interval holds its ratio
    assert point["ratios"]["itl_p50"] == pytest.approx(1.0, rel=0.5)
    for key, interval in point["ratio_intervals"].items():
        assert interval is not None, key
        assert interval["low"] <= interval["ratio"] <= interval["high"]
        assert interval["requests"] == 6
    assert interval["ratio"] == pytest.approx(point["ratios"]["itl_p99"], rel=1e-3)
    assert "round_intervals" not in point  # two rounds are too few to draw from


def test_three_rounds_or_more_get_intervals_over_rounds(server: tuple[str, list[str]]) -> None:
    url, _ = server
    settings = LatencyBenchSettings(requests=2, max_tokens=TOKENS, rounds=3)
    point, _ = _point(settings, {"unmonitored": url, "control": url}, 100.0, 0, None)
    for key, interval in point["round_intervals"].items():
        assert interval is not None, key
        assert interval["rounds"] == 3
        assert interval["low"] <= interval["ratio"] <= interval["high"]
    assert point["round_intervals"]["itl_p99"]["ratio"] == pytest.approx(
        point["ratios"]["itl_p99"], rel=1e-3
    )


def test_only_a_monitored_or_control_server_is_compared() -> None:
    assert compared_arm(("unmonitored", "monitored")) == "monitored"
    assert compared_arm(("unmonitored", "control")) == "control"
    assert compared_arm(("monitored",)) is None
    assert compared_arm(("monitored", "control")) is None


def _at(rate: float, value: float, low: float, high: float) -> dict[str, Any]:
    return {
        "rate_rps": rate,
        "ratios": {"itl_p99": value},
        "ratio_intervals": {"itl_p99": {"ratio": value, "low": low, "high": high}},
    }


def test_the_itl_goal_is_judged_at_the_worst_point_by_its_interval() -> None:
    worst = itl_goal([_at(1.0, 1.01, 0.97, 1.05), _at(2.0, 1.12, 1.04, 1.2)])
    assert worst["value"] == 1.12 and worst["rate_rps"] == 2.0 and worst["met"] is False
    assert worst["interval"] == [1.04, 1.2] and worst["verdict"] == "not met"
    assert itl_goal([_at(1.0, 1.01, 0.97, 1.05)])["verdict"] == "not resolved"
    met = itl_goal([_at(1.0, 0.98, 0.95, 1.02)])
    assert met["met"] is True and met["verdict"] == "met"
    assert met["interval_over"] == "requests"
    # a slow spell of the host reaches a round's requests together: rounds judge first
    wide = _at(1.0, 1.08, 1.04, 1.12)
    wide["round_intervals"] = {"itl_p99": {"ratio": 1.08, "low": 0.97, "high": 1.2}}
    judged = itl_goal([wide])
    assert judged["verdict"] == "not resolved" and judged["interval_over"] == "rounds"
    assert itl_goal([])["met"] is None


def test_rounds_and_the_control_arm_are_flags() -> None:
    args = build_parser().parse_args(
        ["bench", "latency", "--rounds", "5", "--arms", "unmonitored", "control"]
    )
    assert args.rounds == 5 and args.arms == ["unmonitored", "control"]
    assert LatencyBenchSettings.smoke().rounds == 1


def test_a_point_reads_the_sidecars_path_over_the_monitored_rounds_only(
    metered: tuple[str, int],
) -> None:
    url, port = metered
    settings = LatencyBenchSettings(requests=3, max_tokens=TOKENS, rounds=2)
    arms = {"unmonitored": url, "monitored": url}
    point, _ = _point(settings, arms, 100.0, 0, None, port)
    path = point["sidecar_path"]
    assert path["capture_to_score_mean_s"] == pytest.approx(0.03)  # not the 5 s of the other
    assert 25.0 <= path["capture_to_score_p50_ms"] <= 50.0
    assert path["trace_write_duration_mean_s"] is None  # no trace store: nothing observed
    assert "sidecar_path" not in _point(settings, arms, 100.0, 0, None)[0]


def test_every_server_is_warmed_up_with_the_bench_s_own_requests(
    server: tuple[str, list[str]],
) -> None:
    url, ids = server
    settings = LatencyBenchSettings(max_tokens=TOKENS)
    warm_up(settings, {"unmonitored": url, "monitored": url})
    for arm in ("unmonitored", "monitored"):
        sent = [i for i in ids if i.startswith(f"lat-warmup-{arm}-")]
        assert len(sent) == WARMUP_REQUESTS, ids


def test_a_point_with_processes_reports_their_wait_for_a_cpu(
    server: tuple[str, list[str]],
) -> None:
    url, _ = server
    settings = LatencyBenchSettings(requests=2, max_tokens=TOKENS, rounds=1)
    point, _ = _point(
        settings, {"unmonitored": url}, 100.0, 0, None, None, {"bench": [os.getpid()]}
    )
    waits = point["run_queue_wait"]
    assert waits["slowest_alerts"] == {
        "median_alert_waited_ms": {"bench": None},
        "median_alert_ran_ms": {"bench": None},
        "slowest": [],
    }
    assert isinstance(waits["by_thread"], dict)  # what it holds: tests/unit/test_bench_run_wait.py
    assert "run_queue_wait" not in _point(settings, {"unmonitored": url}, 100.0, 0, None)[0]


def test_each_server_starts_on_its_arms_cpus(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    from monitor.bench import latency

    started: dict[str, str | None] = {}

    def fake_start(server: Any, env: dict[str, str], **popen: Any) -> Any:
        started[env["LLM_MONITOR_PLUGIN_ENABLED"] + server.served_model_name] = server.engine_cpus
        return object()

    monkeypatch.setattr(latency, "start_vllm", fake_start)
    settings = LatencyBenchSettings(engine_cpus="0", control_cpus="1", model_name="m")
    for arm in ("monitored", "control"):
        latency._start_server(settings, tmp_path, arm, 1, tmp_path)
    assert started == {"1m": "0", "0m": "1"}
    started.clear()
    latency._start_server(LatencyBenchSettings(model_name="m"), tmp_path, "control", 1, tmp_path)
    assert started == {"0m": None}

    def refuse(server: Any, env: dict[str, str], **popen: Any) -> Any:
        raise ValueError("CPU(s) 7 of '7' are not available here (usable: 0-1)")

    monkeypatch.setattr(latency, "start_vllm", refuse)
    with pytest.raises(latency.LatencyBenchError, match="the control server's CPUs: CPU\\(s\\) 7"):
        latency._start_server(settings, tmp_path, "control", 1, tmp_path)


def test_an_unplaced_sidecar_is_warned_about_only_under_auto(
    caplog: pytest.LogCaptureFixture,
) -> None:
    servers = {"unmonitored": frozenset({0, 1}), "monitored": frozenset({0, 1})}
    with caplog.at_level(logging.INFO, logger="monitor.bench.latency"):
        _log_placement(servers, None, "auto")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "--engine-cpus" in warnings[0].getMessage()
    assert "monitored server on CPU(s) 0-1" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="monitor.bench.latency"):
        _log_placement(servers, frozenset({1}), "auto")
        _log_placement(servers, None, "inherit")
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "sidecar on CPU(s) 1" in caplog.text
