"""A whole sidecar on a full disk: health turns NOT_SERVING, each lost trace is counted
once, alerting goes on, and everything recovers when space returns."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import grpc
import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CollectorRegistry

from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import SidecarConfig
from monitor.sidecar.rules_config import MaxAggregation, RuleConfig
from monitor.sidecar.serving_config import HealthConfig
from monitor.sidecar.traces.reader import TraceFilter
from monitor.v1 import ingest_pb2_grpc

from .helpers import D_MODEL, MODEL, batch_message, hello, make_batch, make_probe, write_probe_dir


def _wait(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _ready(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_disk_full_turns_health_off_counts_and_recovers(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    registry = CollectorRegistry()
    config = SidecarConfig(
        model_name=MODEL,
        probe_dir=write_probe_dir(tmp_path / "probes", [make_probe(rng, "deception")]),
        grpc_address="127.0.0.1:0",
        metrics_address="127.0.0.1:0",
        rules=[  # fires on the first token of every request
            RuleConfig(
                name="any",
                concept="deception",
                threshold=0.0,
                aggregation=MaxAggregation(method="max"),
                cooldown_s=0.0,
            )
        ],
        storage={"path": tmp_path / "traces" / "t.sqlite", "write_attempts": 2},
        health=HealthConfig(check_interval_s=0.1, max_write_failure_s=1.0),
    )
    sidecar = Sidecar(config, registry=registry)
    store = sidecar.trace_store
    assert store is not None
    repository = store.repository
    with repository._write_lock:  # the file may not grow beyond what it has
        conn = repository._writer()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
    sidecar.start()
    try:
        health = grpc.insecure_channel(sidecar.grpc_target)
        check = health_pb2_grpc.HealthStub(health).Check
        ingest = ingest_pb2_grpc.MonitorStub(health).Ingest

        def status() -> int:
            return int(check(health_pb2.HealthCheckRequest(service=""), timeout=5).status)

        def send(request_ids: list[str], start: int) -> None:
            acts = rng.normal(size=(200 * len(request_ids), D_MODEL)).astype(np.float32)
            batch = make_batch(
                acts,
                request_ids=request_ids,
                row_request=[i for i in range(len(request_ids)) for _ in range(200)],
                positions=[start + p for _ in request_ids for p in range(200)],
                finished=request_ids,
            )
            ingest(iter([hello(), batch_message(batch)]), timeout=10)

        def lost() -> float:
            value = registry.get_sample_value(
                "llm_monitor_traces_lost_total", {"model_name": MODEL, "reason": "disk_full"}
            )
            return value or 0.0

        def alerts() -> float:
            value = registry.get_sample_value(
                "llm_monitor_alerts_total",
                {"model_name": MODEL, "concept": "deception", "severity": "warning"},
            )
            return value or 0.0

        assert status() == health_pb2.HealthCheckResponse.SERVING
        send([f"full-{i}" for i in range(5)], 0)
        assert _wait(lambda: lost() == 5), lost()
        assert _wait(lambda: status() == health_pb2.HealthCheckResponse.NOT_SERVING)
        assert _ready(sidecar.metrics_port) == 503
        assert alerts() == 5  # alerting goes on without the disk
        time.sleep(0.5)
        assert lost() == 5  # each lost trace counted once

        with repository._write_lock:  # space returns
            repository._writer().execute("PRAGMA max_page_count = 1000000")
        send(["after"], 0)
        assert _wait(lambda: status() == health_pb2.HealthCheckResponse.SERVING)
        assert _ready(sidecar.metrics_port) == 200
        assert store.flush(10.0)
        summaries, _ = store.query_traces(TraceFilter(), 10, "")
        assert [s.request_id for s in summaries] == ["after"]
        assert lost() == 5
        health.close()
    finally:
        sidecar.stop(grace=0.5)
