"""SIGKILL of a real ``llm-monitor serve`` while it writes traces: after a restart every
alert a WatchAlerts client received has its trace, and the SQLite file is intact."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import numpy as np

from monitor.v1 import ingest_pb2_grpc, query_pb2, query_pb2_grpc

from .helpers import D_MODEL, MODEL, batch_message, hello, make_batch, make_probe, write_probe_dir

ALERTS_BEFORE_KILL = 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "serve", "--config", str(config)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _wait_serving(target: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    deadline = time.monotonic() + 60
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-2000:]
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    raise AssertionError(f"serve did not start: {log.read_text()[-2000:]}")


def test_every_received_alert_has_a_trace_after_kill_9(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    store = tmp_path / "traces" / "t.sqlite"
    target = f"127.0.0.1:{_free_port()}"
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"model_name: {MODEL}\n"
        f"probe_dir: {write_probe_dir(tmp_path / 'probes', [make_probe(rng, 'deception')])}\n"
        f"grpc_address: {target}\n"
        "metrics_address: 127.0.0.1:0\n"
        f"storage:\n  path: {store}\n"
        "rules:\n"
        "  - {name: any, concept: deception, threshold: 0.0, cooldown_s: 0,\n"
        "     aggregation: {method: max}}\n"
    )
    log = tmp_path / "serve.log"
    proc = _serve(config, log)
    received: list[str] = []
    try:
        _wait_serving(target, proc, log)
        channel = grpc.insecure_channel(target)
        watch = query_pb2_grpc.TraceQueryStub(channel).WatchAlerts(query_pb2.WatchAlertsRequest())

        def read() -> None:
            try:
                for alert in watch:
                    if alert.trace_stored:  # the others are marked: their trace was lost
                        received.append(alert.request_id)
            except grpc.RpcError:
                pass  # the server died

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        stop = threading.Event()

        def produce() -> None:
            ingest = ingest_pb2_grpc.MonitorStub(channel).Ingest
            acts = rng.normal(size=(20 * 16, D_MODEL)).astype(np.float32)
            n = 0
            while not stop.is_set():
                ids = [f"r{n + i}" for i in range(20)]
                n += 20
                batch = make_batch(
                    acts,
                    request_ids=ids,
                    row_request=[i for i in range(20) for _ in range(16)],
                    positions=[p for _ in ids for p in range(16)],
                    finished=ids,
                )
                try:
                    ingest(iter([hello(), batch_message(batch)]), timeout=10)
                except grpc.RpcError:
                    return  # the server died

        producer = threading.Thread(target=produce, daemon=True)
        producer.start()
        deadline = time.monotonic() + 60
        while len(received) < ALERTS_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(received) >= ALERTS_BEFORE_KILL, log.read_text()[-2000:]
        proc.send_signal(signal.SIGKILL)  # in the middle of writing
        proc.wait(10)
        stop.set()
        reader.join(10)
        producer.join(10)
        channel.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(store)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    proc = _serve(config, log)  # restart on the same store
    try:
        _wait_serving(target, proc, log)
        with grpc.insecure_channel(target) as channel:
            get = query_pb2_grpc.TraceQueryStub(channel).GetTrace
            missing = []
            for request_id in received:
                try:
                    get(query_pb2.GetTraceRequest(request_id=request_id), timeout=10)
                except grpc.RpcError as exc:
                    assert exc.code() == grpc.StatusCode.NOT_FOUND, exc
                    missing.append(request_id)
        assert missing == [], f"{len(missing)} of {len(received)} alerts have no trace"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
