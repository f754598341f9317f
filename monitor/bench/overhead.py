"""``llm-monitor bench overhead``: vLLM throughput with vs without monitoring.

Two engines serve the same model in one run: one plain, one with the plugin shipping
to a sidecar (a separate ``llm-monitor serve`` process scoring with probes). The same
workload alternates between them, round after round, so drift of the machine affects
both alike. Must run under ``if __name__ == "__main__"`` (vLLM spawns processes).
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from monitor.bench.settings import OverheadBenchSettings
from monitor.model.settings import DEFAULT_MODEL_NAME


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scrape(port: int) -> dict[str, float]:
    """Sum every sample of /metrics by name (labels folded)."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


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
) -> tuple[subprocess.Popen[bytes], int, int]:
    """The sidecar as `up` runs it: probes reading their chat segments, the concept
    encoder, one calibrated rule per probe and a SQLite trace store."""
    grpc_port, metrics_port = free_port(), free_port()
    config = workdir / "monitor.yaml"
    config.write_text(
        json.dumps(
            {
                "probe_dir": str(probe_dir),
                "encoder_dir": str(encoder_dir) if encoder_dir is not None else None,
                "tokenizer_path": str(model_dir),
                "grpc_address": f"127.0.0.1:{grpc_port}",
                "metrics_address": f"127.0.0.1:{metrics_port}",
                "rules": [{"name": f"{c}-calibrated", "concept": c} for c in concepts],
                "storage": {"path": str(workdir / "traces.sqlite")},
            }
        )
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "serve", "--config", str(config)],
        stdout=(workdir / "sidecar.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((workdir / "sidecar.log").read_text()[-2000:])
        try:
            _scrape(metrics_port)
            return proc, grpc_port, metrics_port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("sidecar did not start")


def _engine(
    settings: OverheadBenchSettings, monitored: bool, grpc_port: int, layers: list[int]
) -> Any:
    """A vLLM engine; the plugin is on in its processes iff ``monitored``."""
    from vllm import LLM

    os.environ["LLM_MONITOR_PLUGIN_ENABLED"] = "1" if monitored else "0"
    os.environ["LLM_MONITOR_PLUGIN_SIDECAR_ADDRESS"] = f"127.0.0.1:{grpc_port}"
    os.environ["LLM_MONITOR_PLUGIN_LAYERS"] = json.dumps(layers)
    try:
        return LLM(
            model=str(settings.model_dir),
            served_model_name=settings.model_name,
            max_model_len=2048,
            kv_cache_memory_bytes=1 << 30,
            enforce_eager=settings.enforce_eager,
            seed=0,
        )
    finally:
        os.environ.pop("LLM_MONITOR_PLUGIN_ENABLED", None)
        os.environ.pop("LLM_MONITOR_PLUGIN_LAYERS", None)


def _workload(n: int) -> list[list[dict[str, str]]]:
    topics = ["rivers", "stars", "bread", "trains", "music", "chess", "forests", "robots"]
    return [
        [{"role": "user", "content": f"Write a long story about {topics[i % len(topics)]} #{i}."}]
        for i in range(n)
    ]


def _round(llm: Any, requests: int, tokens: int) -> tuple[int, float]:
    from vllm import SamplingParams

    params = SamplingParams(max_tokens=tokens, temperature=0, ignore_eos=True)
    start = time.perf_counter()
    outs = llm.chat(_workload(requests), params, use_tqdm=False)
    elapsed = time.perf_counter() - start
    return sum(len(o.outputs[0].token_ids) for o in outs), elapsed


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
    layers = sorted({p.layer for p in probes})
    if encoder_dir is not None:  # up captures the encoder's layer too
        layers = sorted({*layers, read_card(encoder_dir / CARD_FILE).layer})
    sidecar, grpc_port, metrics_port = _start_sidecar(
        workdir, probe_dir, [p.concept for p in probes], encoder_dir, model_dir
    )
    try:
        engines = {
            "unmonitored": _engine(settings, False, grpc_port, layers),
            "monitored": _engine(settings, True, grpc_port, layers),
        }
        for llm in engines.values():
            _round(llm, 8, 16)  # warm-up, not measured
        before = _scrape(metrics_port)
        sidecar_cpu = psutil.Process(sidecar.pid)
        cpu_before = sum(sidecar_cpu.cpu_times()[:2])
        wall_start = time.perf_counter()
        rounds: dict[str, list[dict[str, float]]] = {k: [] for k in engines}
        order = list(engines)
        for r in range(settings.rounds):
            for name in order if r % 2 == 0 else order[::-1]:
                generated, elapsed = _round(engines[name], settings.requests, settings.tokens)
                rounds[name].append(
                    {"tokens": generated, "seconds": elapsed, "tokens_per_s": generated / elapsed}
                )
        time.sleep(2.0)
        after = _scrape(metrics_port)
        sidecar_cpu_s = sum(sidecar_cpu.cpu_times()[:2]) - cpu_before
        wall_s = time.perf_counter() - wall_start
    finally:
        sidecar.terminate()
        sidecar.wait(20)

    def rate(name: str) -> float:
        return sum(x["tokens"] for x in rounds[name]) / sum(x["seconds"] for x in rounds[name])

    scored = after.get("llm_monitor_tokens_scored_total", 0.0) - before.get(
        "llm_monitor_tokens_scored_total", 0.0
    )
    dropped = after.get("llm_monitor_activations_dropped_total", 0.0) - before.get(
        "llm_monitor_activations_dropped_total", 0.0
    )
    unmonitored, monitored = rate("unmonitored"), rate("monitored")
    paired = [
        m["tokens_per_s"] / u["tokens_per_s"]
        for m, u in zip(rounds["monitored"], rounds["unmonitored"], strict=True)
    ]
    return {
        "benchmark": "overhead",
        "tokens_per_s_unmonitored": round(unmonitored, 2),
        "tokens_per_s_monitored": round(monitored, 2),
        "throughput_ratio": round(monitored / unmonitored, 4),
        "paired_round_ratios": [round(r, 4) for r in paired],
        "median_paired_ratio": round(float(np.median(paired)), 4),
        "rounds": rounds,
        "workload": {
            "concurrent_requests": settings.requests,
            "generated_tokens_per_request": settings.tokens,
            "rounds_per_engine": settings.rounds,
        },
        "monitoring": {
            "layers": layers,
            "compiled": not settings.enforce_eager,
            "probes": str(probe_dir),
            "synthetic_probes": synthetic,
            "concept_encoder": str(encoder_dir) if encoder_dir is not None else None,
            "rules": len(probes),
            "trace_store": "sqlite",
            "tokens_scored_by_sidecar": scored,
            "rows_dropped": dropped,
            "sidecar_cpu_seconds": round(sidecar_cpu_s, 2),
            "sidecar_cpu_share_of_wall": round(sidecar_cpu_s / wall_s, 4),
        },
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
    }
