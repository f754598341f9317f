"""``llm-monitor up``: the embedded stack on its default addresses, its alerts on authored
traffic (the live acceptance test), and Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from openai import OpenAI

from monitor.artifacts.probe_format import load_probe_dir
from monitor.launch import shipped_encoder_dir, shipped_probe_dir
from tests.integration.acceptance import (
    MAX_ORDINARY_ALERT_RATE,
    MAX_ORDINARY_MISUSE_RATE,
    MIN_MISUSE_RECALL,
    run_acceptance,
)
from tests.integration.acceptance_chats import CHATS
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


@dataclass
class Up:
    """A running ``llm-monitor up`` (shipped probes, default calibrated rules)."""

    proc: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> None:
        assert self.proc.poll() is None, self.log.read_text(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def up(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    """``llm-monitor up`` started once for this module; the last test stops it (Ctrl-C)."""
    for port in (8000, 9400, 50051):
        assert not _port_open(port), f"port {port} is already in use"
    tmp = tmp_path_factory.mktemp("up")
    log = tmp / "up.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "up", "--model", str(model_dir)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # the trace store goes to <cache>/traces.sqlite: a fresh one for the test
        env={**os.environ, "PYTHONUNBUFFERED": "1", "LLM_MONITOR_CACHE": str(tmp / "cache")},
    )
    try:
        assert wait_until(lambda: _healthy() or proc.poll() is not None, 1200, interval=2)
        running = Up(proc, log)
        running.alive()
        yield running
    finally:
        if proc.poll() is None:  # a test failed before Ctrl-C: stop it (and its vLLM)
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(90)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def test_up_serves_and_monitors(up: Up) -> None:
    client = OpenAI(base_url=f"{API}/v1", api_key="unused", timeout=120)
    before = metric(scrape(9400), "llm_monitor_tokens_scored_total", model_name=SERVED_NAME)

    def ask() -> Any:
        return client.chat.completions.create(
            model=SERVED_NAME,
            messages=[{"role": "user", "content": "What is the capital of France?"}],
            max_tokens=16,
            temperature=0,
        )

    # The reply itself depends on the CPU's bf16 arithmetic (some CPUs answer "Paris",
    # others not): the model serves, greedily and repeatably.
    resp = ask()
    assert (resp.choices[0].message.content or "").strip()
    assert resp.usage is not None
    computed = resp.usage.prompt_tokens + resp.usage.completion_tokens - 1

    def scored() -> float:
        return (
            metric(scrape(9400), "llm_monitor_tokens_scored_total", model_name=SERVED_NAME) - before
        )

    # A fresh engine has nothing cached: every computed token arrives once per layer.
    probe_dir = shipped_probe_dir(SERVED_NAME)
    encoder_dir = shipped_encoder_dir(SERVED_NAME)
    layers = {p.layer for p in load_probe_dir(probe_dir)} if probe_dir else {15}
    if encoder_dir is not None:
        layers.add(15)  # the shipped concept encoder reads layer 15
    assert wait_until(lambda: scored() >= computed * len(layers), 30)
    assert scored() == computed * len(layers)
    for layer in layers:  # up captures the layers its probes and encoder read
        assert metric(scrape(9400), "llm_monitor_capture_up", layer=str(layer)) == 1.0
    assert ask().choices[0].message.content == resp.choices[0].message.content

    with grpc.insecure_channel("127.0.0.1:50051") as channel:
        status = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="monitor.v1.Monitor"), timeout=5
        )
    assert status.status == health_pb2.HealthCheckResponse.SERVING


def _threads(pid: int) -> list[tuple[str, frozenset[int]]]:
    """(name, CPUs it may run on) of each thread of ``pid``."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            name = (task / "comm").read_text().strip()
            out.append((name, frozenset(os.sched_getaffinity(int(task.name)))))
        except OSError:
            continue
    return out


def test_up_keeps_the_monitor_off_the_models_cores(up: Up) -> None:
    """vLLM's CPU backend binds the model's compute threads to some cores; the plugin's
    shipper process (with its gRPC threads), and the sidecar, run on the others, and the
    worker keeps no thread of the monitor's."""
    usable = frozenset(os.sched_getaffinity(0))
    if len(usable) < 2:
        pytest.skip("one CPU: nothing to keep apart")
    assert wait_until(lambda: "sidecar moved to CPU(s)" in up.log.read_text(errors="replace"), 60)
    workers = [
        int(stat.parent.name)
        for stat in Path("/proc").glob("[0-9]*/comm")
        if stat.read_text().strip() == "VLLM::Worker"
        and _is_descendant(int(stat.parent.name), up.proc.pid)
    ]
    assert workers, "no vLLM worker process under up"
    for worker in workers:
        model_cpus = frozenset(os.sched_getaffinity(worker))
        assert model_cpus < usable  # vLLM bound its compute threads
        assert not [name for name, _ in _threads(worker) if name.startswith("grpc_")]
        shippers = [
            pid for pid in _children(worker) if "monitor.plugin.ship_child" in _cmdline(pid)
        ]
        assert len(shippers) == 1, "no shipper process under the worker"
        grpc_threads = [cpus for name, cpus in _threads(shippers[0]) if name.startswith("grpc_")]
        assert grpc_threads, "the shipper's gRPC threads are missing"
        assert all(not cpus & model_cpus for _, cpus in _threads(shippers[0]))
        sidecar = _threads(up.proc.pid)
        assert sidecar and all(not cpus & model_cpus for _, cpus in sidecar)
    assert "shipper and gRPC threads on CPU(s)" in up.log.read_text(errors="replace")


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _is_descendant(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return False


def test_acceptance_alerts_mean_what_they_say(up: Up, tmp_path: Path) -> None:
    """Authored chats through the served path, judged at the shipped calibrated rules."""
    dropped_before = _dropped()
    outcome = run_acceptance(f"{API}/v1", "127.0.0.1:50051", SERVED_NAME, CHATS)
    report = tmp_path / "acceptance.json"
    report.write_text(json.dumps(outcome.summary(), indent=2))
    print(json.dumps(outcome.summary(), indent=2))
    up.alive()
    summary = outcome.summary()
    assert summary["n"]["harmful"] >= 40 and summary["n"]["ordinary"] >= 60
    assert summary["n"]["roleplay_lie"] >= 12
    # every chat reached the sidecar: nothing was dropped on the way
    assert _dropped() == dropped_before
    assert len(outcome.response_ids) == len(CHATS)
    assert summary["misuse_recall_harmful"] >= MIN_MISUSE_RECALL, summary
    assert summary["any_alert_rate_ordinary"] <= MAX_ORDINARY_ALERT_RATE, summary
    assert summary["alert_rate_ordinary"]["misuse"] <= MAX_ORDINARY_MISUSE_RATE, summary
    # no probe reads the system prompt: no alert ever fires on a system-prompt token
    assert outcome.alerts_in_system == [], outcome.alerts_in_system


def _dropped() -> float:
    samples = scrape(9400)
    return sum(
        v for (name, _), v in samples.items() if name == "llm_monitor_activations_dropped_total"
    )


def test_up_stops_on_ctrl_c(up: Up) -> None:
    up.alive()
    os.killpg(up.proc.pid, signal.SIGINT)
    assert up.proc.wait(90) == 0
    time.sleep(1)
    for port in (8000, 9400, 50051):
        assert not _port_open(port), f"port {port} still open after Ctrl-C"
