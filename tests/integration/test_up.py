"""``llm-monitor up``: the embedded stack on its default addresses, stopped by Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from openai import OpenAI

from monitor.launch import shipped_probe_dir
from monitor.sidecar.probes import load_probe_dir
from tests.integration.stack import SERVED_NAME, metric, scrape, wait_until

API = "http://127.0.0.1:8000"


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _healthy() -> bool:
    try:
        with urllib.request.urlopen(f"{API}/health", timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def test_up_serves_monitors_and_stops_on_ctrl_c(model_dir: Path, tmp_path: Path) -> None:
    for port in (8000, 9400, 50051):
        assert not _port_open(port), f"port {port} is already in use"
    log = (tmp_path / "up.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "up", "--model", str(model_dir)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert wait_until(lambda: _healthy() or proc.poll() is not None, 1200, interval=2)
        assert proc.poll() is None, (tmp_path / "up.log").read_text()[-3000:]

        client = OpenAI(base_url=f"{API}/v1", api_key="unused", timeout=120)
        resp = client.chat.completions.create(
            model=SERVED_NAME,
            messages=[{"role": "user", "content": "What is the capital of France?"}],
            max_tokens=16,
            temperature=0,
        )
        assert "Paris" in (resp.choices[0].message.content or "")
        assert resp.usage is not None
        computed = resp.usage.prompt_tokens + resp.usage.completion_tokens - 1

        def scored() -> float:
            return metric(scrape(9400), "llm_monitor_tokens_scored_total", model_name=SERVED_NAME)

        # A fresh engine has nothing cached: every computed token arrives once per layer.
        probe_layers = shipped_probe_dir(SERVED_NAME)
        n_layers = len({p.layer for p in load_probe_dir(probe_layers)}) if probe_layers else 1
        assert wait_until(lambda: scored() >= computed * n_layers, 30)
        assert scored() == computed * n_layers
        probe_dir = shipped_probe_dir(SERVED_NAME)
        layers = {p.layer for p in load_probe_dir(probe_dir)} if probe_dir else {15}
        for layer in layers:  # up captures the layers its probes read
            assert metric(scrape(9400), "llm_monitor_capture_up", layer=str(layer)) == 1.0

        with grpc.insecure_channel("127.0.0.1:50051") as channel:
            status = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service="monitor.v1.Monitor"), timeout=5
            )
        assert status.status == health_pb2.HealthCheckResponse.SERVING

        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(90) == 0
        time.sleep(1)
        for port in (8000, 9400, 50051):
            assert not _port_open(port), f"port {port} still open after Ctrl-C"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
