"""``llm-monitor bench latency``: TTFT and inter-token latency with vs without the monitor.

Two vLLM OpenAI servers (``vllm serve`` as ``llm-monitor up`` starts it: the same
command, dtype and KV cache) run side by side, one with the plugin shipping to a sidecar
(``llm-monitor serve`` with the shipped probes, encoder, calibrated rules and a trace
store), one without. At each request rate the same Poisson arrivals are sent to each in
turn, alternating which goes first, for a few rounds; responses are streamed and timed
token by token (:mod:`monitor.bench.latency_client`). Rates are given, or fractions of
the saturation rate measured first (all requests at once). Each ratio comes with a
bootstrap interval over requests; a ``control`` arm (a second unmonitored server) in
place of the monitored one measures what the host's noise alone gives.

Alert latency: one extra rule fires on each monitored request's first scored token; the
alert's arrival on WatchAlerts is set against the client's receipt of the token that the
same engine step put out. No step-end time travels on the ingest wire, so this is measured
from the client's receipt of that token, which comes after the step's end.

Where the time goes: each point samples, once a second, every thread's time on a CPU and
its wait for one (:mod:`monitor.bench.run_wait`) in both servers, the sidecar and the
bench itself, and sets the slowest alerts against what ran and what waited meanwhile.
"""

from __future__ import annotations

import logging
import os
import platform
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import psutil

from monitor import placement
from monitor.bench.alert_watch import AlertTiming, AlertWatch, alert_latencies, alert_summary
from monitor.bench.cpu_time import descendants
from monitor.bench.latency_client import RequestTiming, run_requests, summarize_timings
from monitor.bench.latency_summary import (
    compared_arm,
    itl_goal,
    ratio_intervals,
    round_intervals,
)
from monitor.bench.overhead import _start_sidecar, free_port
from monitor.bench.overhead_summary import lag_between
from monitor.bench.run_wait import RunWaitSampler, slow_alert_waits
from monitor.bench.serve_process import stop_serve
from monitor.bench.settings import LatencyBenchSettings
from monitor.bench.sidecar_scrape import scrape
from monitor.bench.stats import ratio
from monitor.cpu import serving_dtype
from monitor.launch import VllmServerSettings, plugin_environment, start_vllm, stop_process_group

#: Seed offset between rounds of a rate (rates use seed + their index).
ROUND_SEED_STEP = 1000
TIMING_RULE = "bench-alert-latency"
WARMUP_REQUESTS = 4  # per server, all at once, before the saturation run
#: The sidecar's histograms of an alert's path: step end to scored, then the trace's commit.
PATH_HISTOGRAMS = (
    "llm_monitor_capture_to_score_seconds",
    "llm_monitor_trace_write_duration_seconds",
)


log = logging.getLogger(__name__)


class LatencyBenchError(RuntimeError):
    """A server did not start (the message ends with its log)."""


def _start_server(
    settings: LatencyBenchSettings, model_dir: Path, arm: str, grpc_port: int, workdir: Path
) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    server = VllmServerSettings(
        model_dir=model_dir,
        served_model_name=settings.model_name,
        port=port,
        enforce_eager=settings.enforce_eager,
        dtype=settings.dtype,
        engine_cpus=settings.control_cpus
        if arm == "control" and settings.control_cpus is not None
        else settings.engine_cpus,
    )
    log = workdir / f"vllm-{arm}.log"
    with log.open("wb") as out:
        try:
            env = plugin_environment(server, f"127.0.0.1:{grpc_port}")
            env["LLM_MONITOR_PLUGIN_ENABLED"] = "1" if arm == "monitored" else "0"
            proc = start_vllm(server, env, stdout=out, stderr=subprocess.STDOUT)
        except ValueError as exc:
            raise LatencyBenchError(f"the {arm} server's CPUs: {exc}") from None
    return proc, f"http://127.0.0.1:{port}", log


def _wait_healthy(
    servers: dict[str, tuple[subprocess.Popen[bytes], str, Path]], timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    waiting = dict(servers)
    while waiting:
        for arm, (proc, url, log) in list(waiting.items()):
            if proc.poll() is not None:
                raise LatencyBenchError(
                    f"the {arm} server exited with {proc.returncode}: "
                    + log.read_text(errors="replace")[-2000:]
                )
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5) as resp:
                    if resp.status == 200:
                        del waiting[arm]
            except OSError:
                pass
        if waiting and time.monotonic() > deadline:
            raise LatencyBenchError(f"{', '.join(waiting)} server(s) not up in {timeout_s:.0f} s")
        time.sleep(1.0)


def warm_up(settings: LatencyBenchSettings, urls: dict[str, str]) -> None:
    """``WARMUP_REQUESTS`` requests of the bench's own kind to every server, so no arm's
    first point pays its first-use costs (a server's first chat template, the sidecar's
    first encoding, trace write and alert)."""
    for arm, url in urls.items():
        run_requests(
            url,
            settings.model_name,
            f"lat-warmup-{arm}",
            WARMUP_REQUESTS,
            None,
            settings.max_tokens,
            settings.seed,
            settings.workload,
        )


def _point(
    settings: LatencyBenchSettings,
    urls: dict[str, str],
    rate: float,
    i: int,
    watch: AlertWatch | None,
    metrics_port: int | None = None,
    processes: Mapping[str, list[int]] | None = None,
) -> tuple[dict[str, Any], list[AlertTiming]]:
    """``settings.rounds`` rounds of the same Poisson arrivals to each server in turn
    (which goes first alternates by round and rate); each server's timings pooled. With
    ``metrics_port``, the sidecar's histograms of the alert path over the monitored rounds
    go under ``sidecar_path``; with ``processes`` (pids by label), their threads' wait for
    a CPU under ``run_queue_wait`` (:mod:`monitor.bench.run_wait`)."""
    if not processes:
        return _rounds(settings, urls, rate, i, watch, metrics_port)
    with RunWaitSampler(processes) as sampler:
        point, alerts = _rounds(settings, urls, rate, i, watch, metrics_port)
    point["run_queue_wait"] = {
        "by_thread": sampler.summary(),
        "stolen_share": sampler.stolen_share(),
        "slowest_alerts": slow_alert_waits(alerts, sampler, list(processes)),
    }
    return point, alerts


def _rounds(
    settings: LatencyBenchSettings,
    urls: dict[str, str],
    rate: float,
    i: int,
    watch: AlertWatch | None,
    metrics_port: int | None,
) -> tuple[dict[str, Any], list[AlertTiming]]:
    timings: dict[str, list[RequestTiming]] = {arm: [] for arm in urls}
    by_round: dict[str, list[list[RequestTiming]]] = {arm: [] for arm in urls}
    walls = dict.fromkeys(urls, 0.0)
    alerts: list[AlertTiming] = []
    path: dict[str, float] = {}  # the monitored rounds' histogram deltas, summed
    for r in range(settings.rounds):
        arms = list(urls) if (i + r) % 2 == 0 else list(urls)[::-1]
        for arm in arms:
            log.info("%.2f requests/s, round %d/%d: %s", rate, r + 1, settings.rounds, arm)
            before = scrape(metrics_port) if arm == "monitored" and metrics_port else None
            got, wall = run_requests(
                urls[arm],
                settings.model_name,
                f"lat-{arm}-{i}-{r}" if settings.rounds > 1 else f"lat-{arm}-{i}",
                settings.requests,
                rate,
                settings.max_tokens,
                settings.seed + i + ROUND_SEED_STEP * r,
                settings.workload,
            )
            timings[arm] += got
            by_round[arm].append(got)
            walls[arm] += wall
            if arm == "monitored" and watch is not None:
                time.sleep(1.0)  # alerts of the last tokens
                alerts += alert_latencies(got, watch)
            if before is not None and metrics_port:
                after = scrape(metrics_port)
                for key, value in after.items():
                    path[key] = path.get(key, 0.0) + value - before.get(key, 0.0)
    point: dict[str, Any] = {
        "rate_rps": round(rate, 3),
        "rounds": settings.rounds,
        "arms": {arm: summarize_timings(timings[arm], walls[arm]) for arm in urls},
    }
    test = compared_arm(urls)
    if test is not None:
        m, u = point["arms"][test], point["arms"]["unmonitored"]
        point["compared"] = f"{test} / unmonitored"
        point["ratios"] = {
            f"{what}_{q}": ratio(m[f"{what}_ms"][q], u[f"{what}_ms"][q])
            for what in ("ttft", "itl")
            for q in ("p50", "p99")
        }
        point["ratio_intervals"] = ratio_intervals(timings[test], timings["unmonitored"], i)
        over_rounds = round_intervals(by_round[test], by_round["unmonitored"], i)
        if over_rounds is not None:
            point["round_intervals"] = over_rounds
    if path:
        point["sidecar_path"] = {
            k: v for name in PATH_HISTOGRAMS for k, v in lag_between({}, path, name).items()
        }
    return point, alerts


def _log_placement(
    server_cpus: Mapping[str, frozenset[int]], sidecar: frozenset[int] | None, setting: str
) -> None:
    """Say where the servers and the sidecar run; warn when ``auto`` found no CPU for it."""
    for arm, cpus in server_cpus.items():
        log.info("%s server on CPU(s) %s", arm, placement.format_cpu_list(cpus))
    if sidecar is not None:
        log.info("sidecar on CPU(s) %s", placement.format_cpu_list(sidecar))
    elif setting == "auto":
        log.warning(
            "no CPU beside vLLM's compute threads: the sidecar shares theirs "
            "(--engine-cpus leaves it one)"
        )


def run_latency(settings: LatencyBenchSettings, model_dir: Path) -> dict[str, Any]:
    """Start the servers and the sidecar, measure every rate, stop them all."""
    with tempfile.TemporaryDirectory(prefix="llm-monitor-latency-") as tmp:
        return _run(settings, model_dir, Path(tmp))


def _run(settings: LatencyBenchSettings, model_dir: Path, workdir: Path) -> dict[str, Any]:
    from monitor.artifacts.probe_format import load_probe_dir
    from monitor.artifacts.shipped import shipped_encoder_dir, shipped_probe_dir

    started = time.monotonic()
    probe_dir = shipped_probe_dir(settings.model_name)
    if probe_dir is None:
        raise LatencyBenchError(f"no probes shipped for {settings.model_name}")
    concepts = [p.concept for p in load_probe_dir(probe_dir)]
    timing_rule = {"name": TIMING_RULE, "concept": concepts[0], "threshold": 0.0, "cooldown_s": 0.0}
    sidecar: subprocess.Popen[bytes] | None = None
    metrics_port: int | None = None
    grpc_port = free_port()  # where an unmonitored server's (disabled) plugin points
    if "monitored" in settings.arms:
        sidecar, grpc_port, metrics_port = _start_sidecar(
            workdir,
            probe_dir,
            concepts,
            shipped_encoder_dir(settings.model_name),
            model_dir,
            extra_rules=[timing_rule] if settings.alert_every_request else [],
            nice=settings.sidecar_nice,
        )
    servers: dict[str, tuple[subprocess.Popen[bytes], str, Path]] = {}
    watch: AlertWatch | None = None
    sidecar_cpus = None
    server_cpus: dict[str, frozenset[int]] = {}
    try:
        for arm in settings.arms:
            servers[arm] = _start_server(settings, model_dir, arm, grpc_port, workdir)
        _wait_healthy(servers, settings.start_timeout_s)
        processes = {
            arm: [proc.pid, *descendants(psutil.Process(proc.pid))]
            for arm, (proc, _, _) in servers.items()
        }
        engine_pids = [pid for arm in servers for pid in processes[arm][1:]]
        server_cpus = {arm: placement.cpus_of(processes[arm]) for arm in servers}
        processes["bench"] = [os.getpid()]
        if sidecar is not None:
            processes["sidecar"] = [sidecar.pid]
            sidecar_cpus = placement.place_beside(engine_pids, sidecar.pid, settings.sidecar_cpus)
            _log_placement(server_cpus, sidecar_cpus, settings.sidecar_cpus)
        urls = {arm: servers[arm][1] for arm in settings.arms}
        first = next(iter(urls.values()))
        warm_up(settings, urls)
        saturation: dict[str, Any] | None = None
        rates = list(settings.rates)
        if not rates:
            timings, wall = run_requests(
                first,
                settings.model_name,
                "lat-saturation",
                settings.saturation_requests,
                None,
                settings.max_tokens,
                settings.seed,
                settings.workload,
            )
            saturation = summarize_timings(timings, wall)
            saturation["requests_per_s"] = round(saturation["completed"] / wall, 3)
            rates = [f * saturation["requests_per_s"] for f in settings.fractions]
            log.info("saturation: %.2f requests/s", saturation["requests_per_s"])
        if "monitored" in urls:
            watch = AlertWatch(f"127.0.0.1:{grpc_port}")
        points, alerts = [], []
        for i, rate in enumerate(rates):
            point, latencies = _point(settings, urls, rate, i, watch, metrics_port, processes)
            if watch is not None:  # where in the load the tail of the alerts lies
                point["alert_latency_ms"] = alert_summary(latencies)
            points.append(point)
            alerts += latencies
        alerted = len(watch.received) if watch is not None else 0
    finally:
        if watch is not None:
            watch.close()
        for proc, _, _ in servers.values():
            stop_process_group(proc, timeout=30.0)
        if sidecar is not None:
            stop_serve(sidecar)
    # below saturation: every given rate, or the fractions under 1 of the measured one
    below = (
        points
        if settings.rates
        else [p for p, f in zip(points, settings.fractions, strict=True) if f < 1.0]
    )
    return {
        "benchmark": "latency",
        "saturation": saturation,
        "points": points,
        "alert_latency_ms": {
            "rules": "the shipped rules and one firing on every request"
            if settings.alert_every_request
            else "the shipped rules",
            "measured_from": "the client's receipt of the token the alert's step put out "
            "(after the step's end, so this slightly understates it; the sidecar's "
            "llm_monitor_capture_to_score_seconds runs from the step's end)",
            "requests_with_alerts": alerted,
            **alert_summary(alerts),
        },
        "goals": {"itl_p99_ratio_below_saturation": itl_goal(below)}
        if compared_arm(settings.arms) == "monitored"
        else {},
        "dtype": serving_dtype(settings.dtype).as_dict(),
        "sidecar_cpus": settings.sidecar_cpus,
        "engine_cpus": settings.engine_cpus,
        "control_cpus": settings.control_cpus,
        "server_cpus": {arm: placement.format_cpu_list(c) for arm, c in server_cpus.items()},
        "sidecar_bound_to": None
        if sidecar_cpus is None
        else placement.format_cpu_list(sidecar_cpus),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(settings).items()},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "duration_s": round(time.monotonic() - started, 1),
    }
