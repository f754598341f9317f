"""The watchdog, gRPC health and the HTTP server's /healthz, /readyz and /metrics."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CollectorRegistry

from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import SidecarConfig
from monitor.sidecar.health import Watchdog
from monitor.sidecar.http_server import HealthHttpServer
from monitor.sidecar.scoring import scorer
from monitor.sidecar.service_metrics import ServiceMetrics
from monitor.sidecar.serving_config import HealthConfig


class FakePipeline:
    def __init__(self) -> None:
        self.heartbeat = time.monotonic()
        self.running = True
        self.queue_age = 0.0

    def alive(self) -> bool:
        return self.running

    def oldest_queued_age(self) -> float:
        return self.queue_age


class FakeWriter:
    def __init__(self) -> None:
        self.running = True
        self.failing = 0.0

    def alive(self) -> bool:
        return self.running

    def failing_for(self) -> float:
        return self.failing


class FakeServer:
    running = True

    def alive(self) -> bool:
        return self.running


def test_each_check_fails_readiness_and_flips_are_reported() -> None:
    registry = CollectorRegistry()
    pipeline, writer, server = FakePipeline(), FakeWriter(), FakeServer()
    flips: list[bool] = []
    config = HealthConfig(max_heartbeat_age_s=5, max_queue_age_s=5, max_write_failure_s=5)
    dog = Watchdog(
        config,
        pipeline,
        server,
        trace_writer=writer,
        metrics=ServiceMetrics.of(registry),
        model_name="m",
        on_change=flips.append,
    )
    assert dog.evaluate().ready and flips == [True]
    pipeline.heartbeat -= 10  # wedged worker: alive but not ready
    report = dog.evaluate()
    assert (report.ready, report.live, report.failing) == (False, True, ("pipeline",))
    assert (
        registry.get_sample_value(
            "llm_monitor_health_check", {"model_name": "m", "check": "pipeline"}
        )
        == 0.0
    )
    assert registry.get_sample_value("llm_monitor_serving", {"model_name": "m"}) == 0.0
    pipeline.heartbeat = time.monotonic()
    pipeline.queue_age = 6
    writer.failing = 6
    assert dog.evaluate().failing == ("queue_age", "trace_writes")
    pipeline.queue_age, writer.failing = 0, 0
    writer.running = False
    report = dog.evaluate()
    assert (report.failing, report.live) == (("trace_writer",), False)
    writer.running = True
    assert dog.evaluate().ready
    assert flips == [True, False, True]  # one call per flip, not per evaluation


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_sidecar_health_turns_not_serving_when_the_pipeline_wedges(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = SidecarConfig(
        grpc_address="127.0.0.1:0",
        metrics_address="127.0.0.1:0",
        health=HealthConfig(check_interval_s=0.05, max_heartbeat_age_s=1),
    )
    with Sidecar(config, registry=CollectorRegistry()) as app:
        base = f"http://127.0.0.1:{app.metrics_port}"
        assert _get(f"{base}/readyz") == (200, "ok\n")
        assert _get(f"{base}/healthz") == (200, "ok\n")
        status, body = _get(f"{base}/metrics")
        assert status == 200 and "llm_monitor_health_check" in body
        assert _get(f"{base}/nope")[0] == 404
        with grpc.insecure_channel(app.grpc_target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            check = health_pb2.HealthCheckRequest(service="monitor.v1.Monitor")
            assert stub.Check(check, timeout=5).status == health_pb2.HealthCheckResponse.SERVING
            # the worker's loop stops coming round (as if stuck in a sink): its clock stops
            frozen = time.monotonic()
            monkeypatch.setattr(scorer, "time", SimpleNamespace(monotonic=lambda: frozen))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if stub.Check(check, timeout=5).status != health_pb2.HealthCheckResponse.SERVING:
                    break
                time.sleep(0.05)
            assert stub.Check(check, timeout=5).status == health_pb2.HealthCheckResponse.NOT_SERVING
        status, body = _get(f"{base}/readyz")
        assert status == 503 and "pipeline" in body
        assert _get(f"{base}/healthz")[0] == 200  # threads still run: no restart needed


def test_http_server_caps_connections_and_times_out_idle_ones() -> None:
    server = HealthHttpServer(
        ("127.0.0.1", 0),
        CollectorRegistry(),
        live=lambda: (True, "ok"),
        ready=lambda: (True, "ok"),
        timeout_s=0.5,
        max_connections=2,
    )
    server.serve_in_thread()
    try:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(2)]
        time.sleep(0.2)
        extra = socket.create_connection(("127.0.0.1", server.port))
        extra.settimeout(5)
        assert extra.recv(1) == b""  # closed at once: both slots are taken
        assert server.refused >= 1
        for sock in idle:
            sock.settimeout(5)
            assert sock.recv(1) == b""  # closed by the socket timeout
        status, _ = _get(f"http://127.0.0.1:{server.port}/healthz")  # slots free again
        assert status == 200
        for sock in (*idle, extra):
            sock.close()
    finally:
        server.close()


def test_a_busy_metrics_port_names_the_address() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = SidecarConfig(grpc_address="127.0.0.1:0", metrics_address=f"127.0.0.1:{port}")
        app = Sidecar(config, registry=CollectorRegistry())
        with pytest.raises(OSError, match=f"cannot bind metrics_address 127.0.0.1:{port}"):
            app.start()
