"""``llm-monitor bench sidecar``: the tokens/s one sidecar sustains, stage by stage.

Each stage starts ``llm-monitor serve`` (a subprocess) on a temporary configuration:
``probes`` (synthetic probes only), ``encoder`` (+ the concept encoder), ``full`` (+ one
rule per probe and a SQLite trace store; every n-th request makes a rule fire and its
alert is timed on WatchAlerts), ``full-flagged`` (the same with ``encoder_scope: flagged``:
the encoder runs only on the flagged requests' tokens). Synthetic producers
(:mod:`monitor.bench.capacity_traffic`) stream through the real gRPC ``Ingest`` at a
rising ladder of offered rates; a level is sustained when every row was scored about as
fast as it was sent, none dropped, and the queue drained. The sidecar runs on a core of
its own (:mod:`monitor.bench.capacity_sidecar`); its CPU seconds per token are read from
its process. Scaling tables repeat the probes-only stage, unpaced,
for several layer and probe counts and for several rows per step. The figures are set
against the machine's unmonitored vLLM generation rate (measured in the same run, or
given).
"""

from __future__ import annotations

import dataclasses
import os
import platform
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import psutil

from monitor import placement
from monitor.bench.alert_watch import AlertWatch
from monitor.bench.capacity_sidecar import (
    FULL_STAGES,
    Setup,
    layers_of,
    one_core,
    with_sidecar,
)
from monitor.bench.capacity_traffic import CapacityStream, capacity_messages
from monitor.bench.cpu_time import ProcessTree, process_cpu_s, thread_delta
from monitor.bench.overhead import synthetic_probes
from monitor.bench.settings import SidecarBenchSettings
from monitor.bench.soak_metrics import counters, delta, drain, samples
from monitor.bench.soak_traffic import RowPool
from monitor.bench.stats import goal, ratio, rounded_percentiles
from monitor.v1 import ingest_pb2_grpc

STAGES = ("probes", "encoder", "full", "full-flagged")
#: Goals, as multiples of vLLM's unmonitored generation rate, per core of the sidecar.
PROBES_GOAL_X = 400.0
FULL_GOAL_X = 40.0
ALERT_P99_GOAL_MS = 100.0


def _produce(address: str, stream: CapacityStream, pool: RowPool, errors: list[str]) -> None:
    with grpc.insecure_channel(address) as channel:
        try:
            ingest_pb2_grpc.MonitorStub(channel).Ingest(capacity_messages(stream, pool))
        except grpc.RpcError as exc:
            errors.append(f"{stream.producer_id}: {exc.code().name}: {exc.details()}")


def _level(
    settings: SidecarBenchSettings,
    setup: Setup,
    name: str,
    rate: float | None,
    seconds: float,
    ports: tuple[int, int],
    proc: psutil.Process,
    pool: RowPool,
) -> dict[str, Any]:
    """Stream ``rate`` tokens/s (None: unpaced) for ``seconds``; drain; read back."""
    address = f"127.0.0.1:{ports[0]}"
    before = counters(samples(ports[1]))
    cpu_before = process_cpu_s(proc)
    threads_before = ProcessTree([proc.pid]).thread_cpu_s()
    streams = [
        CapacityStream(
            producer_id=f"{name}-p{k}",
            model_name=settings.model_name,
            layers=setup.layers,
            tokens_per_s=None if rate is None else rate / settings.producers,
            duration_s=seconds,
            batch=settings.batch,
            tokens=settings.tokens,
            prompt_tokens=settings.prompt_tokens,
            firing_every=settings.firing_every if setup.stage in FULL_STAGES else 0,
            seed=settings.seed + k,
        )
        for k in range(settings.producers)
    ]
    errors: list[str] = []
    start = time.monotonic()
    threads = [threading.Thread(target=_produce, args=(address, s, pool, errors)) for s in streams]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    streamed = time.monotonic() - start
    rows = sum(s.rows_sent for s in streams)
    tokens = sum(s.tokens_sent for s in streams)
    drained = drain(ports[1], before["accounted"] + rows, max(2.0, seconds))
    figures = delta(drained.figures, before)
    cpu_s = process_cpu_s(proc) - cpu_before
    by_thread = thread_delta(ProcessTree([proc.pid]).thread_cpu_s(), threads_before)
    processed_s = (drained.accounted_at or time.monotonic()) - start
    scored_tokens = figures["scored"] / len(setup.layers)
    dropped = sum(figures["dropped"].values())
    return {
        "offered_tokens_per_s": rate,
        "sent_tokens_per_s": round(tokens / streamed, 1),
        "scored_tokens_per_s": round(scored_tokens / processed_s, 1),
        "tokens_sent": tokens,
        "rows_sent": rows,
        "rows_scored": figures["scored"],
        "rows_dropped": figures["dropped"],
        # kept up: nothing dropped, all drained, and scored about as fast as it was sent
        "sustained": dropped == 0
        and drained.settled
        and not errors
        and scored_tokens / processed_s >= 0.9 * tokens / streamed,
        "producer_limited": rate is not None and tokens / streamed < 0.9 * rate,
        "sidecar_cpu_s": round(cpu_s, 3),
        "cpu_us_per_token": round(cpu_s / scored_tokens * 1e6, 2) if scored_tokens else None,
        "cpu_us_per_token_by_thread": per_token_by_thread(by_thread, scored_tokens),
        "stream_errors": errors,
        "_sent_at": {k: v for s in streams for k, v in s.loud_sent_at.items()},
    }


def _latency_ms(values: list[float]) -> dict[str, Any]:
    return {"alerts_timed": len(values), **rounded_percentiles(values)}


def _ladder(
    settings: SidecarBenchSettings, stage: str, pool: RowPool, vllm_rate: float | None
) -> dict[str, Any]:
    """Rising offered rates until a level is not sustained (or the producers fall short).
    The ``full`` stage first streams at ``vllm_rate`` (when known): the load a sidecar
    next to this machine's vLLM sees, where its alert latency is the headline figure."""
    setup = Setup(stage, layers_of(settings, settings.layers), settings.probes)

    def run(ports: tuple[int, int], proc: psutil.Process) -> dict[str, Any]:
        watch = AlertWatch(f"127.0.0.1:{ports[0]}") if stage in FULL_STAGES else None
        levels: list[dict[str, Any]] = []
        plans = [
            (settings, settings.start_tokens_per_s * settings.growth**i, settings.level_s)
            for i in range(settings.max_levels)
        ]
        if watch is not None and vllm_rate is not None:
            # a batch and a length like vLLM's own, long enough for alerts to fire
            like_vllm = dataclasses.replace(
                settings, producers=1, batch=settings.alert_batch, firing_every=2
            )
            seconds = 3.0 * settings.tokens * settings.alert_batch / vllm_rate
            plans.insert(0, (like_vllm, vllm_rate, min(120.0, max(settings.level_s, seconds))))
        try:
            for i, (level_settings, rate, seconds) in enumerate(plans):
                level = _level(
                    level_settings, setup, f"{stage}-{i}", rate, seconds, ports, proc, pool
                )
                sent_at = level.pop("_sent_at")
                if watch is not None:
                    time.sleep(0.5)
                    level["alert_latency_ms"] = _latency_ms(
                        [
                            (watch.received[r] - t) * 1e3
                            for r, t in sent_at.items()
                            if r in watch.received
                        ]
                    )
                levels.append(level)
                if not level["sustained"] or level["producer_limited"]:
                    break
        finally:
            if watch is not None:
                watch.close()
        good = [lv for lv in levels if lv["sustained"]]
        best = max(good, key=lambda lv: lv["scored_tokens_per_s"]) if good else None
        out: dict[str, Any] = {
            "stage": stage,
            "layers": setup.layers,
            "probes_per_layer": setup.probes,
            "sustained_tokens_per_s": best["scored_tokens_per_s"] if best else None,
            "cpu_us_per_token": best["cpu_us_per_token"] if best else None,
            "cpu_us_per_token_by_thread": best["cpu_us_per_token_by_thread"] if best else {},
            "limited_by": "producers" if levels and levels[-1]["producer_limited"] else "sidecar",
            "levels": levels,
        }
        if watch is not None and levels:
            out["alert_latency_ms"] = {
                "measured_from": "the synthetic producer handing the row to gRPC (the plugin "
                "sends after the step's copy lands, so this leaves out the copy; the sidecar's "
                "llm_monitor_capture_to_score_seconds covers it from the step's end)",
                "at_tokens_per_s": levels[0]["offered_tokens_per_s"],
                **levels[0]["alert_latency_ms"],
            }
        return out

    return with_sidecar(settings, setup, pool, run)


def _sweep(settings: SidecarBenchSettings, pool: RowPool) -> list[dict[str, Any]]:
    """Probes-only stage, unpaced, for each layer count and probe count."""
    table = []
    for layers in settings.sweep_layers:
        for probes in settings.sweep_probes:
            setup = Setup("probes", layers_of(settings, layers), probes)

            def run(
                ports: tuple[int, int], proc: psutil.Process, setup: Setup = setup
            ) -> dict[str, Any]:
                name = f"sweep-{len(setup.layers)}-{setup.probes}"
                return _level(settings, setup, name, None, settings.sweep_s, ports, proc, pool)

            level = with_sidecar(settings, setup, pool, run)
            table.append({"layers": layers, "probes_per_layer": probes, **_point(level)})
    return table


def _batch_sweep(settings: SidecarBenchSettings, pool: RowPool) -> list[dict[str, Any]]:
    """Probes-only stage, one layer, unpaced, for each number of rows per step: what a
    step costs apart from its rows (receiving, decoding, waking the scorer)."""
    setup = Setup("probes", layers_of(settings, 1), settings.probes)

    def run(ports: tuple[int, int], proc: psutil.Process) -> list[dict[str, Any]]:
        points = []
        for batch in settings.sweep_batches:
            at = dataclasses.replace(settings, batch=batch)
            level = _level(at, setup, f"rows-{batch}", None, settings.sweep_s, ports, proc, pool)
            points.append({"rows_per_step": batch, **_point(level)})
        return points

    points: list[dict[str, Any]] = with_sidecar(settings, setup, pool, run)
    return points


def _point(level: dict[str, Any]) -> dict[str, Any]:
    """One row of a scaling table, from an unpaced level."""
    return {
        "scored_tokens_per_s": level["scored_tokens_per_s"],
        "cpu_us_per_token": level["cpu_us_per_token"],
        "rows_dropped": sum(level["rows_dropped"].values()),
    }


def per_token_by_thread(cpu_s: dict[str, float], tokens: float) -> dict[str, float]:
    """CPU µs per token of each of the sidecar's threads (``pipeline``, ``grpc``, gRPC's
    ``event_engine``, ...; ``python``: threads it does not name), largest first."""
    if not tokens:
        return {}
    out: dict[str, float] = {}
    for key, seconds in cpu_s.items():
        name = key.split("/", 1)[-1]
        out[name] = out.get(name, 0.0) + seconds / tokens * 1e6
    return {k: round(v, 2) for k, v in sorted(out.items(), key=lambda kv: -kv[1]) if v >= 0.01}


def per_core(cpu_us_per_token: float | None, rate: float | None) -> float | None:
    """Tokens one core scores per second, as a multiple of vLLM's ``rate``."""
    if cpu_us_per_token is None or rate is None:
        return None
    return ratio(1e6 / cpu_us_per_token, rate)


def run_sidecar_bench(
    settings: SidecarBenchSettings, vllm: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Every stage's ladder, the scaling table, and the ratios to ``vllm``'s rate (a dict
    with ``tokens_per_s``; None: none known, ratios left out)."""
    from monitor.artifacts.probe_format import load_probe

    unknown = set(settings.stages) - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stage(s) {sorted(unknown)}; expected some of {STAGES}")
    started = time.monotonic()
    cores = one_core(settings)
    with tempfile.TemporaryDirectory() as tmp:
        synthetic_probes(
            Path(tmp), settings.first_layer, settings.d_model, settings.model_name, settings.seed
        )
        direction = np.asarray(load_probe(Path(tmp) / "deception.probe.json").weights)
    pool = RowPool.build(settings.d_model, direction, settings.seed)
    rate = None if vllm is None else float(vllm["tokens_per_s"])
    stages = {stage: _ladder(settings, stage, pool, rate) for stage in settings.stages}
    table = _sweep(settings, pool) if settings.sweep_layers and settings.sweep_probes else []
    per_step = _batch_sweep(settings, pool) if settings.sweep_batches else []

    def per_core_x(stage: str) -> float | None:
        return per_core(stages.get(stage, {}).get("cpu_us_per_token"), rate)

    alerts = stages.get("full", {}).get("alert_latency_ms", {})
    return {
        "benchmark": "sidecar",
        "vllm_unmonitored": vllm,
        "stages": stages,
        "ratios_to_vllm": {
            stage: {
                "sustained_x": ratio(stages[stage]["sustained_tokens_per_s"], rate),
                "per_core_x": per_core_x(stage),
            }
            for stage in stages
        },
        "goals": {
            "probes_per_core_x": goal(per_core_x("probes"), ">=", PROBES_GOAL_X),
            "full_per_core_x": goal(per_core_x("full"), ">=", FULL_GOAL_X),
            # the same features with the encoder on flagged requests only
            "full_flagged_per_core_x": goal(per_core_x("full-flagged"), ">=", FULL_GOAL_X),
            "alert_latency_p99_ms": goal(alerts.get("p99"), "<=", ALERT_P99_GOAL_MS),
        },
        "scaling": table,
        "scaling_rows_per_step": [
            {**point, "per_core_x": per_core(point["cpu_us_per_token"], rate)} for point in per_step
        ],
        "settings": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in dataclasses.asdict(settings).items()
        },
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "sidecar_cpus": None if cores is None else placement.format_cpu_list(cores[0]),
        "producer_cpus": None if cores is None else placement.format_cpu_list(cores[1]),
        "duration_s": round(time.monotonic() - started, 1),
    }
