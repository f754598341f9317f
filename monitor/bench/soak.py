"""``llm-monitor bench soak``: a real sidecar under sustained decode traffic, measured.

Starts ``llm-monitor serve`` as a subprocess on a temporary ``monitor.yaml`` (synthetic
probes, a SQLite trace store, one rule per probe) and streams synthetic decode traffic
(:mod:`monitor.bench.soak_traffic`) through real gRPC ``Ingest`` streams in two phases:
``quiet`` (no rule can fire: every threshold is 1.0, and every request's tokens stay
buffered until it finishes) and ``firing`` (the rules are reloaded through
``Admin.ReloadRules`` and one rule flags a fraction of the requests). The sidecar's RSS
is sampled throughout. After each phase the queue is drained and /metrics read until its
counters stop moving, so that ``sent == scored + dropped`` can be checked exactly.

The result only reports; callers (the CLI, the CI test) decide what to assert. The
configured budgets are read back from the written file by name, so the figures stay
meaningful while the sidecar's settings gain fields.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import yaml

from monitor.bench.overhead import free_port, synthetic_probes
from monitor.bench.serve_process import log_tail, serving
from monitor.bench.settings import SoakSettings
from monitor.bench.soak_metrics import RssSampler, counters, delta, drain, samples
from monitor.bench.soak_traffic import ProducerPlan, RowPool, messages
from monitor.v1 import ingest_pb2_grpc, query_pb2, query_pb2_grpc

#: Peak RSS may exceed the configured byte budgets by this much (interpreter, libraries,
#: gRPC and metrics state, per-request bookkeeping).
OVERHEAD_ALLOWANCE_BYTES = 150 * 1024 * 1024
CONCEPTS = ("deception", "eval_awareness", "misuse")
#: The concept whose rule fires in the ``firing`` phase, and the threshold it fires at.
FIRING_CONCEPT = "deception"
FIRING_THRESHOLD = 0.999
#: Budgets read back from the configuration, by dotted name (absent fields are None).
BUDGETS = ("ingest.max_queue_bytes", "storage.max_buffered_bytes")
LIMITS = (*BUDGETS, "ingest.queue_size", "storage.max_buffered_tokens_per_request")


class SoakError(RuntimeError):
    """The soak cannot run as asked, or the sidecar did not start or exited during it
    (the message then ends with the sidecar's log)."""


def _rules(firing: bool) -> list[dict[str, Any]]:
    return [
        {
            "name": f"soak-{concept}",
            "concept": concept,
            "threshold": FIRING_THRESHOLD if firing and concept == FIRING_CONCEPT else 1.0,
            "aggregation": {"method": "max"},
            "cooldown_s": 0.0,
        }
        for concept in CONCEPTS
    ]


def _write_config(
    path: Path, settings: SoakSettings, workdir: Path, ports: tuple[int, int], firing: bool
) -> None:
    from monitor.sidecar.storage_config import StorageConfig

    storage: dict[str, Any] = {"path": str(workdir / "traces.sqlite")}
    if settings.max_buffered_bytes is not None:
        if "max_buffered_bytes" not in StorageConfig.model_fields:
            raise SoakError("this sidecar has no storage.max_buffered_bytes to configure")
        storage["max_buffered_bytes"] = settings.max_buffered_bytes
    ingest: dict[str, Any] = {}
    if settings.max_queue_bytes is not None:
        ingest["max_queue_bytes"] = settings.max_queue_bytes
    config = {
        "model_name": settings.model_name,
        "probe_dir": str(workdir / "probes"),
        "layers": [settings.layer],
        "grpc_address": f"127.0.0.1:{ports[0]}",
        "metrics_address": f"127.0.0.1:{ports[1]}",
        "ingest": ingest,
        "rules": _rules(firing),
        "storage": storage,
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def _limits(path: Path) -> dict[str, int | None]:
    """The configured limits as the sidecar reads them (defaults included), by name."""
    from monitor.sidecar.config import load_config

    config = load_config(path)
    limits: dict[str, int | None] = {}
    for dotted in LIMITS:
        section, name = dotted.split(".")
        value = getattr(getattr(config, section), name, None)
        limits[dotted] = int(value) if value is not None else None
    return limits


def _health(channel: grpc.Channel) -> str:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    try:
        response = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=10
        )
    except grpc.RpcError as exc:
        return f"error: {exc.code().name}"
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))


def _stored_traces(channel: grpc.Channel, prefix: str) -> int:
    """Stored traces whose request id starts with ``prefix`` (every page)."""
    stub = query_pb2_grpc.TraceQueryStub(channel)
    count, token = 0, ""
    while True:
        page = stub.QueryTraces(
            query_pb2.QueryTracesRequest(page_size=1000, page_token=token), timeout=30
        )
        count += sum(1 for t in page.traces if t.request_id.startswith(prefix))
        token = page.next_page_token
        if not token:
            return count


def _produce(address: str, plan: ProducerPlan, pool: RowPool, errors: list[str]) -> int:
    """Stream ``plan`` on one channel; returns the rows the sidecar acknowledged."""
    with grpc.insecure_channel(address) as channel:
        try:
            summary = ingest_pb2_grpc.MonitorStub(channel).Ingest(messages(plan, pool))
        except grpc.RpcError as exc:
            errors.append(f"{plan.producer_id}: {exc.code().name}: {exc.details()}")
            return 0
    return int(summary.rows_accepted)


def _plans(settings: SoakSettings, phase: str, firing_fraction: float) -> list[ProducerPlan]:
    """Requests dealt round-robin to the producers; firing ones spread evenly."""
    n = settings.requests
    firing = np.zeros(n, dtype=bool)
    n_firing = max(1, round(firing_fraction * n)) if firing_fraction > 0 else 0
    firing[np.linspace(0, n - 1, n_firing).round().astype(int)] = True
    ids = [f"soak-{phase}-{i}" for i in range(n)]
    return [
        ProducerPlan(
            producer_id=f"soak-{phase}-producer-{k}",
            model_name=settings.model_name,
            layer=settings.layer,
            request_ids=ids[k :: settings.producers],
            firing=firing[k :: settings.producers],
            prompt_tokens=settings.prompt_tokens,
            tokens=settings.tokens,
            seed=settings.seed + k,
            steps_per_s=settings.steps_per_s,
        )
        for k in range(settings.producers)
        if ids[k :: settings.producers]
    ]


def _run_phase(
    settings: SoakSettings,
    phase: str,
    fraction: float,
    pool: RowPool,
    ports: tuple[int, int],
    sampler: RssSampler,
) -> dict[str, Any]:
    """Stream one phase from ``settings.producers`` threads, then drain and read back."""
    address = f"127.0.0.1:{ports[0]}"
    before = counters(samples(ports[1]))
    plans = _plans(settings, phase, fraction)
    errors: list[str] = []
    accepted = [0] * len(plans)

    def run(i: int) -> None:
        accepted[i] = _produce(address, plans[i], pool, errors)

    sampler.take_peak()
    start = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(plans))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    streamed = time.monotonic() - start
    sent = sum(plan.rows_sent for plan in plans)
    drained = drain(ports[1], before["accounted"] + sent, settings.drain_timeout_s)
    figures = delta(drained.figures, before)
    processed = (drained.accounted_at or time.monotonic()) - start
    with grpc.insecure_channel(address) as channel:
        stored = _stored_traces(channel, f"soak-{phase}-")
        deadline = time.monotonic() + 10.0  # the store commits on its own thread
        while stored < figures["alerts"] and time.monotonic() < deadline:
            time.sleep(0.2)
            stored = _stored_traces(channel, f"soak-{phase}-")
    return {
        "phase": phase,
        "requests": settings.requests,
        "firing_requests": sum(int(plan.firing.sum()) for plan in plans),
        "rows_sent": sent,
        "messages_sent": sum(plan.messages_sent for plan in plans),
        "rows_acknowledged": sum(accepted),
        **figures,
        "sent_equals_accounted": sent == figures["accounted"],
        "settled": drained.settled,
        "stored_traces": stored,
        "stream_errors": errors,
        "peak_rss_bytes": sampler.take_peak(),
        "stream_s": round(streamed, 2),
        "processed_s": round(processed, 2),
        "rows_per_s": round(sent / processed, 1) if processed > 0 else None,
    }


def _reload_rules(address: str) -> int:
    with grpc.insecure_channel(address) as channel:
        response = query_pb2_grpc.AdminStub(channel).ReloadRules(
            query_pb2.ReloadRulesRequest(), timeout=30
        )
    return int(response.rules)


def _phases(
    settings: SoakSettings,
    workdir: Path,
    config: Path,
    ports: tuple[int, int],
    pool: RowPool,
    sampler: RssSampler,
) -> dict[str, Any]:
    """Both phases against a started sidecar, and its health and RSS at the end."""
    time.sleep(1.0)
    baseline = sampler.rss()
    quiet = _run_phase(settings, "quiet", 0.0, pool, ports, sampler)
    _write_config(config, settings, workdir, ports, firing=True)
    rules = _reload_rules(f"127.0.0.1:{ports[0]}")
    firing = _run_phase(settings, "firing", settings.firing_fraction, pool, ports, sampler)
    with grpc.insecure_channel(f"127.0.0.1:{ports[0]}") as channel:
        health = _health(channel)
    end_rss = sampler.rss()
    return {
        "baseline_rss_bytes": baseline,
        "peak_rss_bytes": max(sampler.overall_peak, end_rss),
        "end_rss_bytes": end_rss,
        "reloaded_rules": rules,
        "health": health,
        "phases": [quiet, firing],
    }


def run_soak(settings: SoakSettings) -> dict[str, Any]:
    """Run both phases against a fresh sidecar and return every figure; asserts nothing.
    Raises ``SoakError`` when the sidecar does not start or dies during the soak."""
    from monitor.artifacts.probe_format import load_probe

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="llm-monitor-soak-") as tmp:
        workdir = Path(tmp)
        (workdir / "probes").mkdir()
        synthetic_probes(
            workdir / "probes", settings.layer, settings.d_model, settings.model_name, settings.seed
        )
        probe = load_probe(workdir / "probes" / f"{FIRING_CONCEPT}.probe.json")
        pool = RowPool.build(settings.d_model, np.asarray(probe.weights), settings.seed)
        ports = (free_port(), free_port())
        config, log_path = workdir / "monitor.yaml", workdir / "sidecar.log"
        _write_config(config, settings, workdir, ports, firing=False)
        limits = _limits(config)
        with (
            serving(config, log_path, ports[1], error=SoakError) as proc,
            RssSampler(proc.pid, settings.sample_interval_s) as sampler,
        ):
            try:
                measured = _phases(settings, workdir, config, ports, pool, sampler)
            except (OSError, grpc.RpcError) as exc:
                if proc.poll() is None:
                    raise
                raise SoakError(
                    f"the sidecar exited with {proc.returncode} during the soak ({exc!r}): "
                    + log_tail(log_path)
                ) from None
        exit_code = proc.returncode
    phases = measured["phases"]
    sent = sum(p["rows_sent"] for p in phases)
    accounted = sum(p["accounted"] for p in phases)
    budget = sum(limits[name] or 0 for name in BUDGETS)
    peak = measured["peak_rss_bytes"]
    return {
        "benchmark": "soak",
        "settings": dataclasses.asdict(settings),
        "limits": limits,
        "budget_bytes": budget,
        "rss_limit_bytes": budget + OVERHEAD_ALLOWANCE_BYTES,
        "peak_rss_mib": round(peak / 2**20, 1),
        "peak_rss_within_limit": peak <= budget + OVERHEAD_ALLOWANCE_BYTES,
        "rows_sent": sent,
        "tokens_scored": sum(p["scored"] for p in phases),
        "rows_dropped": sum(sum(p["dropped"].values()) for p in phases),
        "accounted": accounted,
        "sent_equals_accounted": all(p["sent_equals_accounted"] for p in phases),
        "evictions": sum(p["evictions"] for p in phases),
        "alerts": sum(p["alerts"] for p in phases),
        "stored_traces": sum(p["stored_traces"] for p in phases),
        **measured,
        "sidecar_exit_code": exit_code,
        "cpus": os.cpu_count(),
        "duration_s": round(time.monotonic() - started, 2),
    }
