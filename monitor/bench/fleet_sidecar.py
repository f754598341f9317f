"""The sidecar's side of ``bench fleet``: its cost in hub mode, and alert latency from it.

``llm-monitor serve`` runs twice on a temporary configuration (synthetic probes, one rule
per probe, the ``deception`` rule firing on ``alert_samples`` requests, no cooldown), under
the same paced synthetic decode traffic (:mod:`monitor.bench.soak_traffic`) through real
gRPC ``Ingest``: once with the SQLite store, once in hub mode shipping to a running hub.
Its RSS is sampled throughout; its memory map is read for a chDB library (a sidecar must
not load it). In hub mode each alert's arrival on the hub's ``WatchAlerts`` is timed
against its ``fired_at``.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import yaml

from monitor.bench.fleet_alerts import HubWatch
from monitor.bench.fleet_hub import FleetBenchError
from monitor.bench.fleet_settings import FleetBenchSettings
from monitor.bench.overhead import free_port, synthetic_probes
from monitor.bench.serve_process import serving
from monitor.bench.soak_metrics import RssSampler, counters, drain, samples
from monitor.bench.soak_traffic import ProducerPlan, RowPool, messages
from monitor.v1 import ingest_pb2_grpc

FIRING_CONCEPT = "deception"
PROBE_CONCEPTS = ("deception", "eval_awareness", "misuse")
PRODUCERS = 2
PROMPT_TOKENS = 32
ENGINE_LIBRARY_MARKERS = ("chdb", "libclickhouse")


def hub_mode_available() -> bool:
    """True when this sidecar's configuration has ``storage.backend: hub``."""
    from monitor.sidecar.storage_config import StorageConfig

    return "backend" in StorageConfig.model_fields


def engine_libraries(pid: int) -> list[str]:
    """Mapped files of process ``pid`` that belong to chDB / ClickHouse (none expected)."""
    try:
        text = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return []
    found = {
        line.split()[-1]
        for line in text.splitlines()
        if any(marker in line.lower() for marker in ENGINE_LIBRARY_MARKERS)
    }
    return sorted(found)


def sidecar_config(
    settings: FleetBenchSettings,
    workdir: Path,
    probe_dir: Path,
    ports: tuple[int, int],
    hub_address: str | None,
) -> dict[str, Any]:
    """``monitor.yaml`` of one run: SQLite store, or hub mode when ``hub_address`` is set."""
    rules = [
        {
            "name": f"fleet-{concept}",
            "concept": concept,
            "threshold": 0.999 if concept == FIRING_CONCEPT else 1.0,
            "aggregation": {"method": "max"},
            "cooldown_s": 0.0,
        }
        for concept in PROBE_CONCEPTS
    ]
    storage: dict[str, Any]
    if hub_address is None:
        storage = {"path": str(workdir / "traces.sqlite")}
    else:
        storage = {
            "backend": "hub",
            "hub": {"address": hub_address, "spool_path": str(workdir / "outbox.sqlite")},
        }
    return {
        "model_name": settings.model_name,
        "instance_id": "bench-sidecar-hub" if hub_address else "bench-sidecar-sqlite",
        "probe_dir": str(probe_dir),
        "layers": [settings.layer],
        "grpc_address": f"127.0.0.1:{ports[0]}",
        "metrics_address": f"127.0.0.1:{ports[1]}",
        "rules": rules,
        "storage": storage,
    }


def _plans(settings: FleetBenchSettings, mode: str) -> list[ProducerPlan]:
    n = settings.sidecar_requests
    firing = np.zeros(n, dtype=bool)
    n_firing = min(n, settings.alert_samples)
    firing[np.linspace(0, n - 1, n_firing).round().astype(int)] = True
    ids = [f"fleet-{mode}-{i}" for i in range(n)]
    return [
        ProducerPlan(
            producer_id=f"fleet-{mode}-producer-{k}",
            model_name=settings.model_name,
            layer=settings.layer,
            request_ids=ids[k::PRODUCERS],
            firing=firing[k::PRODUCERS],
            prompt_tokens=PROMPT_TOKENS,
            tokens=settings.sidecar_tokens,
            seed=settings.seed + k,
            steps_per_s=settings.steps_per_s,
        )
        for k in range(PRODUCERS)
        if ids[k::PRODUCERS]
    ]


def _stream(address: str, plans: list[ProducerPlan], pool: RowPool) -> list[str]:
    errors: list[str] = []

    def run(plan: ProducerPlan) -> None:
        with grpc.insecure_channel(address) as channel:
            try:
                ingest_pb2_grpc.MonitorStub(channel).Ingest(messages(plan, pool))
            except grpc.RpcError as exc:
                errors.append(f"{plan.producer_id}: {exc.code().name}: {exc.details()}")

    threads = [threading.Thread(target=run, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def run_mode(
    settings: FleetBenchSettings, workdir: Path, pool: RowPool, hub_address: str | None
) -> dict[str, Any]:
    """One ``serve`` under the load: RSS, counts, engine libraries; with ``hub_address``
    also the alert latencies at the hub."""
    mode = "hub" if hub_address else "sqlite"
    run_dir = workdir / f"sidecar-{mode}"
    run_dir.mkdir()
    ports = (free_port(), free_port())
    config = run_dir / "monitor.yaml"
    config.write_text(
        yaml.safe_dump(sidecar_config(settings, run_dir, workdir / "probes", ports, hub_address))
    )
    watch = HubWatch(hub_address) if hub_address else None
    try:
        with (
            serving(
                config, run_dir / "serve.log", ports[1], settings.start_timeout_s, FleetBenchError
            ) as proc,
            RssSampler(proc.pid, 0.1) as sampler,
        ):
            time.sleep(1.0)
            idle_rss = sampler.rss()
            plans = _plans(settings, mode)
            began = time.monotonic()
            errors = _stream(f"127.0.0.1:{ports[0]}", plans, pool)
            sent = sum(p.rows_sent for p in plans)
            drained = drain(ports[1], sent, 120.0)
            streamed_s = time.monotonic() - began
            figures = counters(samples(ports[1]))
            alerts_seen = None
            if watch is not None:
                watch.wait_for(int(figures["alerts"]), 30.0)
                alerts_seen = watch.count()
            libraries = engine_libraries(proc.pid)
            end_rss = sampler.rss()
            peak_rss = max(sampler.overall_peak, end_rss)
    finally:
        if watch is not None:
            watch.close()
    return {
        "mode": mode,
        "rows_sent": sent,
        "rows_scored": figures["scored"],
        "rows_dropped": figures["dropped"],
        "settled": drained.settled,
        "alerts_fired": figures["alerts"],
        "trace_writes_dropped": figures["trace_writes_dropped"],
        "trace_errors": figures["trace_errors"],
        "alerts_seen_at_hub": alerts_seen,
        "stream_errors": errors,
        "load_s": round(streamed_s, 2),
        "idle_rss_mib": round(idle_rss / 2**20, 1),
        "peak_rss_mib": round(peak_rss / 2**20, 1),
        "end_rss_mib": round(end_rss / 2**20, 1),
        "engine_libraries_mapped": libraries,
        "latencies_s": watch.latencies_s() if watch is not None else None,
    }


def run_sidecars(
    settings: FleetBenchSettings, workdir: Path, hub_address: str, sqlite_too: bool = True
) -> dict[str, Any]:
    """Hub mode, and before it SQLite mode under the same load when ``sqlite_too``."""
    from monitor.artifacts.probe_format import load_probe

    (workdir / "probes").mkdir(exist_ok=True)
    synthetic_probes(
        workdir / "probes", settings.layer, settings.d_model, settings.model_name, settings.seed
    )
    probe = load_probe(workdir / "probes" / f"{FIRING_CONCEPT}.probe.json")
    pool = RowPool.build(settings.d_model, np.asarray(probe.weights), settings.seed)
    out = {"sqlite": run_mode(settings, workdir, pool, None)} if sqlite_too else {}
    out["hub"] = run_mode(settings, workdir, pool, hub_address)
    return out
