"""The hub as a whole: tokens per service, TLS, the CLI's query against it, health, metrics."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from monitor.cli.main import main
from monitor.hub.app import Hub
from monitor.sidecar.traces.sqlite import SqliteTraceRepository
from monitor.v1 import fleet_pb2_grpc, query_pb2, query_pb2_grpc

from ..certs import make_pki
from .pushes import Sidecar
from .rig import HubFactory, sqlite_config

QUERY_TOKEN = "q" * 20
INGEST_TOKEN = "i" * 20
OTHER_INGEST = "j" * 20


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def refused(call: object) -> str:
    with pytest.raises(grpc.RpcError) as info:
        call()  # type: ignore[operator]
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    return str(info.value.details())


def test_push_needs_an_ingest_token_and_queries_a_query_token(start_hub: HubFactory) -> None:
    hub = start_hub(auth={"tokens": [QUERY_TOKEN], "ingest_tokens": [INGEST_TOKEN, OTHER_INGEST]})
    a = Sidecar("pod-a")
    push = a.push([a.flagged("r1", 2000.0)])
    assert "bearer token missing for monitor.v1.TraceIngest" in refused(
        lambda: hub.ingest.Push(push)
    )
    refused(lambda: hub.ingest.Push(push, metadata=bearer(QUERY_TOKEN)))
    assert hub.ingest.Push(push, metadata=bearer(INGEST_TOKEN)).acked_seq == 1
    assert hub.ingest.Push(push, metadata=bearer(OTHER_INGEST)).acked_seq == 1  # rotation
    everything = query_pb2.QueryTracesRequest()
    refused(lambda: hub.query.QueryTraces(everything))
    refused(lambda: hub.query.QueryTraces(everything, metadata=bearer(INGEST_TOKEN)))
    found = hub.query.QueryTraces(everything, metadata=bearer(QUERY_TOKEN))
    assert [t.request_id for t in found.traces] == ["r1"]
    failures = "llm_monitor_auth_failures_total"
    assert hub.sample(failures, model_name="", service="monitor.v1.TraceIngest") == 2
    assert hub.sample(failures, model_name="", service="monitor.v1.TraceQuery") == 2
    health = health_pb2_grpc.HealthStub(hub.channel)  # open without a token
    answer = health.Check(health_pb2.HealthCheckRequest(service="monitor.v1.TraceIngest"))
    assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_the_cli_reads_the_hub_as_it_reads_a_sidecar(
    start_hub: HubFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = start_hub()
    a, b = Sidecar("pod-a"), Sidecar("pod-b")
    assert hub.ingest.Push(a.push([a.flagged("r1", 2000.0, n=4)])).acked_seq == 1
    assert hub.ingest.Push(b.push([b.flagged("r2", 2001.0, n=3)])).acked_seq == 1
    target = hub.hub.grpc_target
    assert main(["query", "--address", target, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(t["source"], t["request_id"]) for t in listed] == [("pod-b", "r2"), ("pod-a", "r1")]
    assert main(["trace", "r1", "--address", target, "--json"]) == 0
    trace = json.loads(capsys.readouterr().out)
    assert [t["position"] for t in trace["tokens"]] == [0, 1, 2, 3]
    assert main(["trace", "nope", "--address", target]) == 5  # NOT_FOUND


def test_tls_with_tokens(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    config = sqlite_config(
        tmp_path / "hub.db",
        server={"address": "0.0.0.0:0"},
        auth={"tokens": [QUERY_TOKEN], "ingest_tokens": [INGEST_TOKEN]},
        tls={"cert_file": pki.server_cert, "key_file": pki.server_key},
    )
    with Hub(config) as hub:
        credentials = grpc.ssl_channel_credentials(root_certificates=pki.ca.read_bytes())
        with grpc.secure_channel(f"localhost:{hub.server.port}", credentials) as channel:
            a = Sidecar("pod-a")
            ingest = fleet_pb2_grpc.TraceIngestStub(channel)
            push = a.push([a.flagged("r1", 2000.0)])
            assert ingest.Push(push, metadata=bearer(INGEST_TOKEN)).acked_seq == 1
            query = query_pb2_grpc.TraceQueryStub(channel)
            found = query.QueryTraces(query_pb2.QueryTracesRequest(), metadata=bearer(QUERY_TOKEN))
            assert [t.source for t in found.traces] == ["pod-a"]


def test_health_and_metrics_over_http(start_hub: HubFactory) -> None:
    hub = start_hub()
    a = Sidecar("pod-a")
    assert hub.ingest.Push(a.push([a.flagged("r1", 2000.0)])).acked_seq == 1
    base = f"http://127.0.0.1:{hub.hub.metrics_port}"
    for path in ("/healthz", "/readyz"):
        with urllib.request.urlopen(base + path, timeout=5) as response:
            assert (response.status, response.read()) == (200, b"ok\n")
    with urllib.request.urlopen(base + "/metrics", timeout=5) as response:
        text = response.read().decode()
    assert 'llm_monitor_hub_pushes_total{outcome="ok"} 1.0' in text
    assert 'llm_monitor_hub_rows_stored_total{table="trace_tokens"} 5.0' in text
    assert "process_cpu_seconds_total" in text


def test_readiness_follows_the_store(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    down: list[str] = []

    def ping() -> None:
        if down:
            raise ConnectionError(down[0])

    config = sqlite_config(tmp_path / "hub.db")
    store = SqliteTraceRepository(tmp_path / "hub.db", retention_s=86400.0)
    hub = Hub(config, repository=store, ping=ping)
    hub.start()
    try:
        url = f"http://127.0.0.1:{hub.metrics_port}/readyz"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200
        down.append("connection refused by clickhouse:8123")
        with caplog.at_level(logging.INFO, logger="monitor.hub.app"):
            assert not hub.check_store()
            assert not hub.check_store()  # logged once while it stays down
            with pytest.raises(urllib.error.HTTPError) as failed:
                urllib.request.urlopen(url, timeout=5)
            assert failed.value.code == 503
            assert b"clickhouse:8123" in failed.value.read()
            assert hub.registry.get_sample_value("llm_monitor_hub_store_up") == 0
            down.clear()
            assert hub.check_store()
        assert caplog.text.count("the store stopped answering") == 1
        assert "the store answers again" in caplog.text
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200
        assert hub.registry.get_sample_value("llm_monitor_hub_store_up") == 1
        live = f"http://127.0.0.1:{hub.metrics_port}/healthz"
        with urllib.request.urlopen(live, timeout=5) as response:
            assert response.status == 200
    finally:
        hub.stop(grace=0.5)


def test_start_logs_the_address_and_backend_and_a_taken_port_fails(
    start_hub: HubFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="monitor.hub.app"):
        hub = start_hub()
    target = hub.hub.grpc_target
    assert f"hub listening on {target} (TraceIngest, TraceQuery); storage sqlite at" in caplog.text
    taken = sqlite_config(tmp_path / "other.db", server={"address": target})
    second = Hub(taken)
    with pytest.raises(OSError, match=f"cannot bind gRPC address {target}"):
        second.start()
    assert hub.hub.reload_rules() == 0  # SIGHUP: nothing to reload, still serving
    assert hub.ingest.Push(Sidecar("pod-a").push([])).acked_seq == 1
