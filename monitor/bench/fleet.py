"""``llm-monitor bench fleet``: the fleet store measured against the issue's goals.

One run, chDB backend at the hub, everything in a temporary directory:

1. **ingest**: ``llm-monitor hub`` and ``pushers`` sidecar-like processes pushing over gRPC
   for ``duration_s`` (:mod:`.fleet_ingest`); rows/s, refused pushes, acknowledged rows
   against the rows in the database afterwards, hub CPU seconds per million rows, and the
   alert latency on the hub's WatchAlerts under that load (no goal: the pushers saturate
   the hub, so it is queueing under overload);
2. **storage**: bytes on disk per token row in ClickHouse (that ingest's table) and in the
   sidecar's SQLite store (:mod:`.fleet_storage`); runs the ingest when it was not asked;
3. **query**: millions of generated traces, QueryTraces per filter and page and GetTrace
   through the repository, then a subset through a hub's gRPC (:mod:`.fleet_query`);
4. **alerts**: alert latency from a sidecar in hub mode (or a direct pusher when the
   sidecar has no hub mode) to the hub's WatchAlerts;
5. **sidecar**: ``serve`` RSS in SQLite vs hub mode under the same load, and no chDB
   library in its memory map (:mod:`.fleet_sidecar`).

Progress goes to stderr; the result is one dict in which every goal reads
``{"value", "goal", "met"}``, with ``verdict`` listing the goals not met.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitor.bench.fleet_alerts import HubWatch, push_alerts
from monitor.bench.fleet_chdb import generate_and_query, in_subprocess, ingest_readback, plan_for
from monitor.bench.fleet_hub import HUB_LOG_CHARS, running_hub, start_hub, stop_hub
from monitor.bench.fleet_ingest import run_pushers
from monitor.bench.fleet_query import grpc_cases
from monitor.bench.fleet_settings import FleetBenchSettings
from monitor.bench.fleet_sidecar import hub_mode_available, run_sidecars
from monitor.bench.fleet_storage import clickhouse_bytes, sqlite_bytes
from monitor.bench.fleet_summary import (
    ingest_figures,
    latency_case,
    quantiles_ms,
    rate_bins,
    verdict,
)
from monitor.bench.serve_process import log_tail
from monitor.bench.soak_metrics import samples
from monitor.bench.stats import goal

Progress = Callable[[str], None]
RATE_BIN_S = 5.0
WATCH_WAIT_S = 10.0  # for the last alerts to reach the watcher after the pushes


def stderr_progress() -> Progress:
    """Timestamped progress lines on stderr."""
    began = time.monotonic()

    def say(message: str) -> None:
        print(
            f"[bench fleet {time.monotonic() - began:7.1f}s] {message}", file=sys.stderr, flush=True
        )

    return say


def _ingest(settings: FleetBenchSettings, workdir: Path, say: Progress) -> dict[str, Any]:
    data_dir = workdir / "ingest-data"
    say(f"ingest: starting a hub and {settings.pushers} pushers for {settings.duration_s:g} s")
    hub = start_hub(workdir, data_dir, "hub-ingest", settings.start_timeout_s)
    watch = HubWatch(hub.address)
    try:
        pushers, window_s, hub_cpu_s = run_pushers(settings, hub)
        acked_alerts = sum(int(p["alerts_acked"]) for p in pushers)
        watch.wait_for(acked_alerts, WATCH_WAIT_S)
        hub_rss = hub.rss_bytes()
        dropped = sum(
            int(value)
            for name, _, value in samples(hub.metrics_port)
            if name == "llm_monitor_alerts_dropped_total"
        )
    finally:
        watch.close()
        stop_hub(hub)
    errors = [e for p in pushers for e in p["errors"]]
    say("ingest: reading the store back (counts, sizes, merge)")
    readback = in_subprocess(ingest_readback, data_dir)
    acks = [tuple(a) for p in pushers for a in p.pop("acks")]
    figures = ingest_figures(
        pushers, readback["stored"], window_s, hub_cpu_s, settings.goals.ingest_rows_per_s
    )
    figures["rows_per_s_by_window"] = rate_bins(acks, 0.0, window_s, RATE_BIN_S)
    figures["raw_token_rows"] = readback["raw_token_rows"]
    figures["hub_rss_mib_at_end"] = round(hub_rss / 2**20, 1)
    if errors:
        figures["hub_log_tail"] = log_tail(hub.log_path, HUB_LOG_CHARS)
    # no goal: the pushers saturate the hub, so this is queueing under overload
    figures["alert_latency_under_load"] = {
        "alerts_acknowledged": acked_alerts,
        "alerts_dropped_for_watchers": dropped,
        **quantiles_ms(watch.latencies_s()),
    }
    figures["per_pusher"] = [
        {k: p[k] for k in ("source", "rows_acked", "pushes_acked", "refused", "errors", "cpu_s")}
        | {"push_latency": p["push_latency"]}
        for p in pushers
    ]
    rate = figures["rows_per_s"]["value"]
    say(f"ingest: {rate} rows/s, drops {figures['drops']['value']}")
    return {"ingest": figures, "readback": readback}


def _query(settings: FleetBenchSettings, workdir: Path, say: Progress) -> dict[str, Any]:
    data_dir = workdir / "query-data"
    say(f"query: generating {settings.rows:,} token rows / {settings.traces:,} traces")
    result = in_subprocess(generate_and_query, data_dir, settings)
    say(f"query: generated in {result['generate_s']} s; timing through the hub's gRPC")
    plan = dataclasses.replace(plan_for(settings, 0.0), now_us=int(result["plan"]["now_us"]))
    goals = settings.goals
    with running_hub(workdir, data_dir, "hub-query", settings.start_timeout_s) as hub:
        result["grpc"] = grpc_cases(
            hub.address,
            plan,
            str(result["deep_cursor"]),
            settings.page_size,
            settings.grpc_samples,
            (goals.query_p95_ms, goals.get_trace_p95_ms),
        )
    del result["deep_cursor"]
    return result


def _alerts_and_sidecar(
    settings: FleetBenchSettings, workdir: Path, say: Progress
) -> dict[str, Any]:
    goals = settings.goals
    out: dict[str, Any] = {}
    with running_hub(
        workdir, workdir / "alerts-data", "hub-alerts", settings.start_timeout_s
    ) as hub:
        if hub_mode_available():
            both = "sidecar" in settings.phases
            say("sidecar: serve " + ("in sqlite mode, then " if both else "") + "in hub mode")
            runs = run_sidecars(settings, workdir, hub.address, sqlite_too=both)
            latencies = runs["hub"].pop("latencies_s") or []
            path = "llm-monitor serve in hub mode, fed synthetic activations"
            if both:
                runs["sqlite"].pop("latencies_s")
                extra = runs["hub"]["peak_rss_mib"] - runs["sqlite"]["peak_rss_mib"]
                libraries = runs["hub"]["engine_libraries_mapped"]
                out["sidecar"] = {
                    **runs,
                    "extra_peak_rss_mb": goal(
                        round(extra * 2**20 / 1e6, 1), "<=", goals.sidecar_extra_rss_mb
                    ),
                    "no_chdb_in_sidecar": {
                        "value": libraries,
                        "goal": "no chDB library mapped",
                        "met": not libraries,
                    },
                }
        else:
            say("alerts: the sidecar has no hub mode; timing alerts from a direct pusher")
            pushed = push_alerts(settings, hub.address)
            latencies = pushed.pop("latencies_s")
            path = "direct pusher (the sidecar has no hub mode)"
            out["alerts_pushed"] = pushed
            if "sidecar" in settings.phases:
                out["sidecar"] = {"not_measured": "this sidecar has no storage.backend hub"}
    if "alerts" in settings.phases:
        out["alerts"] = {
            "path": path,
            **latency_case("alert_to_watch", latencies, goals.alert_p95_s * 1000),
        }
    return out


def run_fleet_bench(settings: FleetBenchSettings, say: Progress | None = None) -> dict[str, Any]:
    """Every asked part against a fresh temporary directory; the result (asserts nothing).
    Raises ``FleetBenchError`` when a part cannot run."""
    settings.check()
    say = say or stderr_progress()
    started = time.monotonic()
    result: dict[str, Any] = {
        "benchmark": "fleet",
        "backend": "chdb",
        "settings": dataclasses.asdict(settings),
        "cpus": os.cpu_count(),
    }
    durations: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="llm-monitor-fleet-") as tmp:
        workdir = Path(tmp)
        phases = set(settings.phases)
        if phases & {"ingest", "storage"}:
            began = time.monotonic()
            ingested = _ingest(settings, workdir, say)
            result["ingest"] = ingested["ingest"]
            durations["ingest"] = time.monotonic() - began
            if "storage" in phases:
                began = time.monotonic()
                say("storage: SQLite store bytes per row")
                result["storage"] = {
                    "clickhouse": clickhouse_bytes(
                        ingested["readback"], settings.goals.clickhouse_bytes_per_row
                    ),
                    "sqlite": sqlite_bytes(settings),
                }
                durations["storage"] = time.monotonic() - began
        if "query" in phases:
            began = time.monotonic()
            result["query"] = _query(settings, workdir, say)
            durations["query"] = time.monotonic() - began
        if phases & {"alerts", "sidecar"}:
            began = time.monotonic()
            result |= _alerts_and_sidecar(settings, workdir, say)
            durations["alerts_and_sidecar"] = time.monotonic() - began
    result["phase_s"] = {k: round(v, 1) for k, v in durations.items()}
    result["duration_s"] = round(time.monotonic() - started, 1)
    result["verdict"] = verdict(result)
    say(
        "done: "
        + (
            "every goal met"
            if result["verdict"]["all_goals_met"]
            else "goals not met: " + ", ".join(result["verdict"]["goals_not_met"])
        )
    )
    return result
