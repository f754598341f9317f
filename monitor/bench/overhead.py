"""``llm-monitor bench overhead``: vLLM throughput with vs without monitoring.

Two engines serve the same model in one run: one plain, one with the plugin shipping
to a sidecar (a separate ``llm-monitor serve`` process scoring with probes). The same
workload alternates between them, round after round, so drift of the machine affects
both alike. Each round also records the CPU seconds of the engine's processes and of the
front end per generated token, and (monitored) the plugin's own host time per step; the
paired ratios are summarized with bootstrap intervals (:mod:`monitor.bench.overhead_summary`).
Must run under ``if __name__ == "__main__"`` (vLLM spawns processes).
"""

from __future__ import annotations

import json
import logging
import os
import platform
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from monitor import placement
from monitor.bench.cpu_time import (
    INSECURE_SERIALIZATION_ENV,
    ProcessTree,
    descendants,
    plugin_timing,
    process_cpu_s,
    thread_delta,
    timing_delta,
)
from monitor.bench.overhead_summary import lag_between, scaling_row, summarize
from monitor.bench.serve_process import start_serve, stop_serve, wait_serving
from monitor.bench.settings import OverheadBenchSettings
from monitor.bench.sidecar_scrape import settle
from monitor.bench.workload import Workload, chats
from monitor.cpu import serving_dtype
from monitor.launch import UP_ENCODER_SCOPE
from monitor.model.settings import DEFAULT_MODEL_NAME

#: Seconds the sidecar may take to serve /metrics.
STARTUP_TIMEOUT_S = 60.0

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def synthetic_probes(
    directory: Path, layer: int, d_model: int, model_name: str = DEFAULT_MODEL_NAME, seed: int = 0
) -> None:
    """Probes with random directions, one per concept: the same scoring cost as trained
    ones (for benchmarks and tests of the scoring path)."""
    from monitor.artifacts.probe_format import Normalization, Probe, save_probe

    rng = np.random.default_rng(seed)
    for concept in ("deception", "eval_awareness", "misuse"):
        save_probe(
            directory / f"{concept}.probe.json",
            Probe(
                concept=concept,
                model_name=model_name,
                layer=layer,
                d_model=d_model,
                normalization=Normalization(mean=[0.0] * d_model, scale=[1.0] * d_model),
                weights=(rng.normal(size=d_model) / np.sqrt(d_model)).tolist(),
                bias=0.0,
                threshold=0.5,
                training={"synthetic": True},
            ),
        )


def _start_sidecar(
    workdir: Path,
    probe_dir: Path,
    concepts: list[str],
    encoder_dir: Path | None,
    model_dir: Path,
    extra_rules: list[dict[str, Any]] | None = None,
    hub_address: str | None = None,
    nice: int = 0,
) -> tuple[subprocess.Popen[bytes], int, int]:
    """The sidecar as `up` runs it: probes reading their chat segments, the concept
    encoder (on the flagged requests' tokens), one calibrated rule per probe (and
    ``extra_rules``) and a SQLite trace store, or, with ``hub_address``, hub mode (its
    outbox in ``workdir``) shipping to that hub; with ``nice`` > 0, at that lower CPU
    priority (every thread of it)."""
    grpc_port, metrics_port = free_port(), free_port()
    storage: dict[str, Any] = {"path": str(workdir / "traces.sqlite")}
    if hub_address is not None:
        storage = {
            "backend": "hub",
            "hub": {"address": hub_address, "spool_path": str(workdir / "outbox.sqlite")},
        }
    config = workdir / "monitor.yaml"
    config.write_text(
        json.dumps(
            {
                "probe_dir": str(probe_dir),
                "encoder_dir": str(encoder_dir) if encoder_dir is not None else None,
                "encoder_scope": UP_ENCODER_SCOPE,
                "tokenizer_path": str(model_dir),
                "grpc_address": f"127.0.0.1:{grpc_port}",
                "metrics_address": f"127.0.0.1:{metrics_port}",
                "rules": [{"name": f"{c}-calibrated", "concept": c} for c in concepts]
                + (extra_rules or []),
                "storage": storage,
                "instance_id": "bench-overhead",
            }
        )
    )
    log_path = workdir / "sidecar.log"
    proc = start_serve(config, log_path, nice)
    try:
        wait_serving(proc, log_path, metrics_port, STARTUP_TIMEOUT_S)
    except RuntimeError:
        stop_serve(proc)
        raise
    return proc, grpc_port, metrics_port


def _engine(
    settings: OverheadBenchSettings, monitored: bool, grpc_port: int, layers: list[int]
) -> tuple[Any, ProcessTree]:
    """A vLLM engine (the plugin is on in its processes iff ``monitored``) and the processes
    that appeared while it started (its engine core and workers)."""
    from vllm import LLM

    before = descendants()
    os.environ["LLM_MONITOR_PLUGIN_ENABLED"] = "1" if monitored else "0"
    os.environ["LLM_MONITOR_PLUGIN_SIDECAR_ADDRESS"] = f"127.0.0.1:{grpc_port}"
    os.environ["LLM_MONITOR_PLUGIN_LAYERS"] = json.dumps(layers)
    try:
        llm = LLM(
            model=str(settings.model_dir),
            served_model_name=settings.model_name,
            max_model_len=2048,
            kv_cache_memory_bytes=1 << 30,
            enforce_eager=settings.enforce_eager,
            dtype=serving_dtype(settings.dtype).dtype,
            seed=0,
        )
    finally:
        os.environ.pop("LLM_MONITOR_PLUGIN_ENABLED", None)
        os.environ.pop("LLM_MONITOR_PLUGIN_LAYERS", None)
    return llm, ProcessTree(descendants() - before)


def _round(
    llm: Any, tree: ProcessTree, requests: int, tokens: int, workload: Workload = "ordinary"
) -> dict[str, float]:
    """One round: generated tokens, wall seconds, and the CPU seconds of the engine's
    processes and of this process (the engine's front end runs here)."""
    from vllm import SamplingParams

    params = SamplingParams(max_tokens=tokens, temperature=0, ignore_eos=True)
    me = psutil.Process()
    engine_before, frontend_before = tree.cpu_s(), process_cpu_s(me)
    start = time.perf_counter()
    outs = llm.chat(chats(workload, requests), params, use_tqdm=False)
    elapsed = time.perf_counter() - start
    engine_cpu, frontend_cpu = tree.cpu_s() - engine_before, process_cpu_s(me) - frontend_before
    generated = sum(len(o.outputs[0].token_ids) for o in outs)
    return {
        "tokens": generated,
        "seconds": elapsed,
        "tokens_per_s": generated / elapsed,
        "engine_cpu_s": engine_cpu,
        "frontend_cpu_s": frontend_cpu,
        "cpu_s_per_token": (engine_cpu + frontend_cpu) / generated if generated else 0.0,
    }


def _measured_round(
    llm: Any, tree: ProcessTree, settings: OverheadBenchSettings, requests: int | None = None
) -> dict[str, Any]:
    """A round (of ``requests`` concurrent requests, default the settings'), with the
    plugin's share of step time where the engine has the plugin."""
    error: str | None = None
    try:
        before = plugin_timing(llm)
    except Exception as exc:  # collective_rpc refused: report, keep measuring throughput
        before, error = None, repr(exc)
    n = settings.requests if requests is None else requests
    figures: dict[str, Any] = _round(llm, tree, n, settings.tokens, settings.workload)
    if before is not None:
        after = plugin_timing(llm)
        assert after is not None
        timing = timing_delta(after, before)
        figures.update(
            plugin_steps=timing["steps"],
            plugin_monitor_s=timing["monitor_s"],
            plugin_step_s=timing["step_s"],
            plugin_fraction=timing["monitor_fraction"],
        )
    elif error is not None:
        figures["plugin_timing_error"] = error
    return figures


def _alternating_rounds(
    engines: dict[str, tuple[Any, ProcessTree]],
    settings: OverheadBenchSettings,
    requests: int,
    count: int,
) -> dict[str, list[dict[str, Any]]]:
    """``count`` rounds of ``requests`` concurrent requests on every engine, the order
    reversed every other round so the machine's drift reaches each alike."""
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in engines}
    order = list(engines)
    for r in range(count):
        for name in order if r % 2 == 0 else order[::-1]:
            log.info("%d requests, round %d/%d: %s", requests, r + 1, count, name)
            rounds[name].append(_measured_round(*engines[name], settings, requests))
    return rounds


def _stop_hub(hub: Any) -> None:
    if hub is not None:
        from monitor.bench.fleet_hub import stop_hub

        stop_hub(hub)


def run_overhead(settings: OverheadBenchSettings) -> dict[str, Any]:
    """Run the interleaved benchmark; return the JSON-ready result."""
    from monitor.artifacts.encoder_format import CARD_FILE, read_card
    from monitor.artifacts.probe_format import load_probe_dir
    from monitor.artifacts.shipped import shipped_encoder_dir, shipped_probe_dir

    model_dir = settings.model_dir
    workdir = Path(tempfile.mkdtemp(prefix="llm-monitor-bench-"))
    probe_dir = settings.probe_dir or shipped_probe_dir(settings.model_name)
    synthetic = probe_dir is None
    if probe_dir is None:
        probe_dir = workdir / "probes"
        probe_dir.mkdir()
        synthetic_probes(probe_dir, layer=15, d_model=576, model_name=settings.model_name)
    probes = load_probe_dir(probe_dir)
    encoder_dir = (
        settings.encoder_dir or shipped_encoder_dir(settings.model_name)
        if settings.encoder
        else None
    )
    layers = sorted({p.layer for p in probes} | set(settings.extra_layers))
    if encoder_dir is not None:  # up captures the encoder's layer too
        layers = sorted({*layers, read_card(encoder_dir / CARD_FILE).layer})
    hub = None
    if settings.trace_store == "hub":
        from monitor.bench.fleet_hub import start_hub

        hub = start_hub(workdir, workdir / "hub-data", "hub", timeout_s=120)
    try:
        sidecar, grpc_port, metrics_port = _start_sidecar(
            workdir,
            probe_dir,
            [p.concept for p in probes],
            encoder_dir,
            model_dir,
            hub_address=hub.address if hub is not None else None,
            nice=settings.sidecar_nice,
        )
    except BaseException:
        _stop_hub(hub)
        raise
    os.environ.setdefault(INSECURE_SERIALIZATION_ENV, "1")  # to read the plugin's timing
    hub_cpu_before = hub.cpu_s() if hub is not None else 0.0
    try:
        engines = {
            "unmonitored": _engine(settings, False, grpc_port, layers),
            "monitored": _engine(settings, True, grpc_port, layers),
        }
        sidecar_cpus = placement.place_beside(
            [pid for _, tree in engines.values() for pid in tree.pids],
            sidecar.pid,
            settings.sidecar_cpus,
        )
        for llm, _ in engines.values():
            _round(llm, ProcessTree([]), 8, 16, settings.workload)  # warm-up, not measured
        # its rows scored first: counted in the window they would carry the wait for it
        before = settle(metrics_port)
        threads_before = {name: tree.thread_cpu_s() for name, (_, tree) in engines.items()}
        sidecar_cpu = psutil.Process(sidecar.pid)
        cpu_before = process_cpu_s(sidecar_cpu)
        wall_start = time.perf_counter()
        rounds = _alternating_rounds(engines, settings, settings.requests, settings.rounds)
        scaling = [scaling_row(settings.requests, rounds)]
        engine_tokens = {name: sum(x["tokens"] for x in rounds[name]) for name in engines}
        monitored_requests = settings.requests * settings.rounds + settings.sweep_rounds * sum(
            settings.sweep_requests
        )
        for n in settings.sweep_requests:
            point = _alternating_rounds(engines, settings, n, settings.sweep_rounds)
            scaling.append(scaling_row(n, point))
            for name in engines:
                engine_tokens[name] += sum(x["tokens"] for x in point[name])
        after = settle(metrics_port)  # the last round's rows scored
        sidecar_cpu_s = process_cpu_s(sidecar_cpu) - cpu_before
        engine_threads = {
            name: thread_delta(tree.thread_cpu_s(), threads_before[name])
            for name, (_, tree) in engines.items()
        }
        wall_s = time.perf_counter() - wall_start
        engine_pids = {name: tree.pids for name, (_, tree) in engines.items()}
        hub_cpu_s = hub.cpu_s() - hub_cpu_before if hub is not None else None
    finally:
        stop_serve(sidecar)
        _stop_hub(hub)

    def rate(name: str) -> float:
        return sum(x["tokens"] for x in rounds[name]) / sum(x["seconds"] for x in rounds[name])

    def counted(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    unmonitored, monitored = rate("unmonitored"), rate("monitored")
    monitored_tokens = engine_tokens["monitored"]
    return {
        "benchmark": "overhead",
        "tokens_per_s_unmonitored": round(unmonitored, 2),
        "tokens_per_s_monitored": round(monitored, 2),
        "pooled_throughput_ratio": round(monitored / unmonitored, 4),
        **summarize(rounds, settings.confidence, settings.seed),
        "scaling_by_concurrency": sorted(scaling, key=lambda row: int(row["requests"])),
        "rounds": rounds,
        "workload": {
            "concurrent_requests": settings.requests,
            "generated_tokens_per_request": settings.tokens,
            "rounds_per_engine": settings.rounds,
            "chats": settings.workload,
            "dtype": serving_dtype(settings.dtype).as_dict(),
        },
        "monitoring": {
            "layers": layers,
            "compiled": not settings.enforce_eager,
            "probes": str(probe_dir),
            "synthetic_probes": synthetic,
            "concept_encoder": str(encoder_dir) if encoder_dir is not None else None,
            "encoder_scope": UP_ENCODER_SCOPE,
            "rules": len(probes),
            "trace_store": settings.trace_store,
            "sidecar_nice": settings.sidecar_nice,
            "sidecar_cpus": settings.sidecar_cpus,
            "sidecar_bound_to": None
            if sidecar_cpus is None
            else placement.format_cpu_list(sidecar_cpus),
            # from a step's end to its scores: the alert's latency short of its delivery
            **lag_between(before, after, "llm_monitor_capture_to_score_seconds"),
            "alerts_fired": counted("llm_monitor_alerts_total"),
            "alerts_by_concept": {
                key.split(":", 1)[1]: counted(key)
                for key in sorted(after)
                if key.startswith("llm_monitor_alerts_total:") and counted(key)
            },
            "monitored_requests": monitored_requests,
            "trace_writes_dropped": counted("llm_monitor_trace_writes_dropped_total"),
            "trace_updates_shipped_to_hub": counted("llm_monitor_trace_updates_shipped_total")
            if hub is not None
            else None,
            "hub_cpu_seconds": round(hub_cpu_s, 2) if hub_cpu_s is not None else None,
            "tokens_scored_by_sidecar": counted("llm_monitor_tokens_scored_total"),
            "rows_dropped": counted("llm_monitor_activations_dropped_total"),
            "sidecar_cpu_seconds": round(sidecar_cpu_s, 2),
            "sidecar_cpu_s_per_million_tokens": round(sidecar_cpu_s / monitored_tokens * 1e6, 1)
            if monitored_tokens
            else None,
            "sidecar_cpu_share_of_wall": round(sidecar_cpu_s / wall_s, 4),
        },
        "engine_thread_cpu_s_per_million_tokens": {
            name: {
                group: round(cpu / engine_tokens[name] * 1e6, 1)
                for group, cpu in engine_threads[name].items()
            }
            for name in engines
        },
        "processes": {"bench": os.getpid(), "sidecar": sidecar.pid, **engine_pids},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
    }
