"""A whole sidecar in hub mode: ingest flows to the hub, alerts carry the replica's source,
trace queries point at the hub, settings are checked, and chDB is never imported."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import SidecarConfig, load_config
from monitor.sidecar.hub_config import HubConfig
from monitor.sidecar.rules_config import MaxAggregation, RuleConfig
from monitor.sidecar.storage_config import StorageConfig
from monitor.v1 import ingest_pb2_grpc, query_pb2, query_pb2_grpc

from .fake_hub import FakeHub
from .helpers import D_MODEL, MODEL, batch_message, hello, make_batch, make_probe, write_probe_dir


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def hub_config(
    tmp_path: Path, rng: np.random.Generator, address: str, **extra: Any
) -> SidecarConfig:
    return SidecarConfig(
        model_name=MODEL,
        instance_id="pod-7",
        probe_dir=write_probe_dir(tmp_path / "probes", [make_probe(rng, "deception")]),
        grpc_address="127.0.0.1:0",
        metrics_address="127.0.0.1:0",
        rules=[
            RuleConfig(
                name="any",
                concept="deception",
                threshold=0.0,
                aggregation=MaxAggregation(method="max"),
                cooldown_s=0.0,
            )
        ],
        storage={
            "backend": "hub",
            "hub": {
                "address": address,
                "spool_path": tmp_path / "outbox.sqlite",
                "flush_interval_s": 0.05,
                "drain_timeout_s": 5.0,
            },
        },
        **extra,
    )


def test_a_hub_mode_sidecar_ships_alerts_with_their_source(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    hub = FakeHub().start()
    registry = CollectorRegistry()
    sidecar = Sidecar(hub_config(tmp_path, rng, hub.address), registry=registry)
    sidecar.start()
    try:
        channel = grpc.insecure_channel(sidecar.grpc_target)
        query = query_pb2_grpc.TraceQueryStub(channel)
        watched: list[query_pb2.Alert] = []
        watch = query.WatchAlerts(query_pb2.WatchAlertsRequest(source="pod-7"))

        def read() -> None:
            try:
                for alert in watch:
                    watched.append(alert)
            except grpc.RpcError:
                pass

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        time.sleep(0.2)  # the subscription is in place
        ids = [f"req-{i}" for i in range(6)]
        batch = make_batch(
            rng.normal(size=(6 * 4, D_MODEL)).astype(np.float32),
            request_ids=ids,
            row_request=[i for i in range(6) for _ in range(4)],
            positions=[p for _ in ids for p in range(4)],
            finished=ids,
        )
        ingest_pb2_grpc.MonitorStub(channel).Ingest(
            iter([hello(), batch_message(batch)]), timeout=10
        )
        assert wait_for(lambda: sorted(set(hub.stored_ids())) == ids), hub.stored_ids()
        assert wait_for(lambda: len(watched) == 6)
        assert {a.source for a in watched} == {"pod-7"}
        assert {p.source for p in hub.received.pushes} == {"pod-7"}
        assert {a.source for p in hub.received.pushes for u in p.updates for a in u.alerts} == {
            "pod-7"
        }
        for call in (
            lambda: query.QueryTraces(query_pb2.QueryTracesRequest(), timeout=5),
            lambda: query.GetTrace(query_pb2.GetTraceRequest(request_id="req-0"), timeout=5),
        ):
            with pytest.raises(grpc.RpcError) as caught:
                call()
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
            assert caught.value.details() == f"traces are stored at hub {hub.address}"
        watch.cancel()
        channel.close()
    finally:
        sidecar.stop(grace=0.5)
        hub.stop()
    shipped = registry.get_sample_value(
        "llm_monitor_trace_updates_shipped_total", {"model_name": MODEL}
    )
    assert shipped == 6
    assert registry.get_sample_value("llm_monitor_trace_spool_rows", {"model_name": MODEL}) == 0


def test_a_sqlite_sidecar_stamps_its_source_on_alerts_and_traces(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    config = hub_config(tmp_path, rng, "127.0.0.1:1").model_copy(
        update={"storage": StorageConfig(path=tmp_path / "t.sqlite")}
    )
    sidecar = Sidecar(config, registry=CollectorRegistry())
    sidecar.start()
    try:
        channel = grpc.insecure_channel(sidecar.grpc_target)
        batch = make_batch(
            rng.normal(size=(4, D_MODEL)).astype(np.float32),
            request_ids=["only"],
            row_request=[0] * 4,
            positions=list(range(4)),
            finished=["only"],
        )
        ingest_pb2_grpc.MonitorStub(channel).Ingest(iter([hello(), batch_message(batch)]))
        query = query_pb2_grpc.TraceQueryStub(channel)
        assert wait_for(
            lambda: len(query.QueryTraces(query_pb2.QueryTracesRequest(), timeout=5).traces) == 1
        )
        trace = query.GetTrace(query_pb2.GetTraceRequest(request_id="only"), timeout=5)
        assert trace.summary.source == "pod-7"
        assert {a.source for a in trace.summary.alerts} == {"pod-7"}
        channel.close()
    finally:
        sidecar.stop(grace=0.5)


def test_hub_settings_are_checked_with_clear_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "outbox.sqlite"
    with pytest.raises(ValidationError, match="backend hub needs a hub section"):
        StorageConfig(backend="hub")
    with pytest.raises(ValidationError, match="unset path"):
        StorageConfig(
            backend="hub", path=tmp_path / "t.sqlite", hub={"address": "h:1", "spool_path": spool}
        )
    with pytest.raises(ValidationError, match="backend is sqlite"):
        StorageConfig(hub={"address": "h:1", "spool_path": spool})
    with pytest.raises(ValidationError, match="token or token_file, not both"):
        token_file = tmp_path / "token"
        token_file.write_text("x" * 20)
        HubConfig(address="h:1", spool_path=spool, token="y" * 20, token_file=token_file)
    with pytest.raises(ValidationError, match="one token on one line"):
        (tmp_path / "two").write_text("a" * 20 + "\n" + "b" * 20)
        HubConfig(address="h:1", spool_path=spool, token_file=tmp_path / "two")
    with pytest.raises(ValidationError, match="shorter than 16"):
        HubConfig(address="h:1", spool_path=spool, token="short")
    with pytest.raises(ValidationError, match="backoff_initial_s"):
        HubConfig(address="h:1", spool_path=spool, backoff_initial_s=10, backoff_max_s=1)
    with pytest.raises(ValidationError, match="address"):
        HubConfig(address="no-port", spool_path=spool)
    with pytest.raises(ValidationError, match="instance_id"):
        SidecarConfig(instance_id="has space")
    hub = HubConfig(address="h:1", spool_path=spool, token="t" * 20, tls_ca=None)
    assert "t" * 20 not in repr(hub) and hub.bearer_token() == "t" * 20
    assert hub.spool_max_bytes == 1024 * 2**20 and not hub.uses_tls

    monkeypatch.setenv("POD_NAME", "llm-7f9c-x2")
    assert SidecarConfig().instance_id == "llm-7f9c-x2"
    monkeypatch.setenv("LLM_MONITOR_INSTANCE_ID", "explicit")
    monkeypatch.setenv("LLM_MONITOR_STORAGE__BACKEND", "hub")
    config_file = tmp_path / "monitor.yaml"
    config_file.write_text(f"storage:\n  hub:\n    address: hub:50061\n    spool_path: {spool}\n")
    loaded = load_config(config_file)
    assert loaded.instance_id == "explicit"
    assert loaded.storage.backend == "hub" and loaded.storage.hub is not None


NO_CHDB = """
import sys
from pathlib import Path
from prometheus_client import CollectorRegistry
from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import SidecarConfig
config = SidecarConfig(
    grpc_address="127.0.0.1:0",
    metrics_address="127.0.0.1:0",
    storage={"backend": "hub", "hub": {"address": "127.0.0.1:1", "spool_path": sys.argv[1],
             "drain_timeout_s": 0}},
)
sidecar = Sidecar(config, registry=CollectorRegistry())
sidecar.start()
sidecar.stop(grace=0)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("chdb", "clickhouse_connect")
             or m.startswith("monitor.hub"))
print("IMPORTED", bad)
sys.exit(1 if bad else 0)
"""


def test_hub_mode_never_imports_chdb(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_CHDB, str(tmp_path / "o.sqlite")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "IMPORTED []" in done.stdout
