"""Real processes for integration tests: vLLM with the plugin, and the sidecar.

vLLM starts once per test session (it takes minutes on a CPU). The sidecar it ships
to listens on a fixed port, so tests can stop, kill, stall and restart it, either
in this process (to see the activations that arrived) or as a real
``llm-monitor serve`` subprocess.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from monitor.artifacts.probe_format import load_probe_dir
from monitor.launch import (
    VllmServerSettings,
    plugin_environment,
    shipped_probe_dir,
    stop_process_group,
    vllm_command,
)
from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import SidecarConfig
from monitor.sidecar.ingest.recorder import ActivationRecorder

SERVED_NAME = "SmolLM2-135M-Instruct"
LAYER = 15
VLLM_START_TIMEOUT_S = 1200.0


#: The lowest port tried: above the well-known and most registered service ports.
LOWEST_PORT = 20000


def ephemeral_floor() -> int:
    """The first port of the kernel's ephemeral range (what outgoing connections take)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A TCP port nothing listens on right now, below the ephemeral range.

    A server that tests kill and restart on one port must not own an ephemeral port:
    while it is down, any outgoing connection on the machine (a request to vLLM, the
    plugin reconnecting) may be given that port as its local one, and the restart then
    fails with "address already in use".
    """
    top = ephemeral_floor()
    if top <= LOWEST_PORT + 100:
        raise RuntimeError(f"ephemeral port range starts at {top}: no room below it")
    rng = random.Random()
    for _ in range(1000):
        port = rng.randrange(LOWEST_PORT, top)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {LOWEST_PORT}..{top - 1}")


def captured_layers() -> list[int]:
    """``LAYER`` and the layers the shipped probes read (tests run them on this stack)."""
    probe_dir = shipped_probe_dir(SERVED_NAME)
    shipped = {p.layer for p in load_probe_dir(probe_dir)} if probe_dir is not None else set()
    return sorted({LAYER, *shipped})


@dataclass
class SidecarProcess:
    """``llm-monitor serve`` as a subprocess."""

    proc: subprocess.Popen[bytes]
    metrics_port: int
    log_path: Path

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Scrape /metrics over HTTP."""
        return scrape(self.metrics_port)

    def stop(self) -> None:
        """Stop it cleanly (SIGTERM), or kill it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Scrape a /metrics endpoint into {(sample name, sorted labels): value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def metric(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    """Sum of the samples named ``name`` whose labels include ``labels``."""
    return sum(
        v
        for (n, lab), v in samples.items()
        if n == name and all(dict(lab).get(k) == want for k, want in labels.items())
    )


@dataclass
class Stack:
    """vLLM with the plugin on a fixed sidecar address, and whatever sidecar is up."""

    model_dir: Path
    workdir: Path
    api_port: int
    grpc_port: int
    probe_dir: Path
    vllm: subprocess.Popen[bytes] | None = None
    sidecar: Sidecar | None = None
    recorder: ActivationRecorder = field(default_factory=lambda: ActivationRecorder([LAYER]))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/v1"

    @property
    def grpc_address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def sidecar_config(self, metrics_port: int = 0) -> SidecarConfig:
        return SidecarConfig(
            model_name=SERVED_NAME,
            probe_dir=self.probe_dir,
            grpc_address=self.grpc_address,
            metrics_address=f"127.0.0.1:{metrics_port}",
        )

    def start_sidecar(self) -> Sidecar:
        """Start an in-process sidecar recording layer ``LAYER``'s activations into a fresh
        recorder."""
        self.recorder = ActivationRecorder([LAYER])
        self.sidecar = Sidecar(
            self.sidecar_config(),
            registry=CollectorRegistry(),
            activation_sinks=[self.recorder],
        )
        self.sidecar.start()
        return self.sidecar

    def stop_sidecar(self) -> None:
        if self.sidecar is not None:
            self.sidecar.stop(grace=1.0)
            self.sidecar = None

    def start_sidecar_process(self) -> SidecarProcess:
        """Start ``llm-monitor serve`` on the stack's gRPC port; wait until it serves."""
        metrics_port = free_port()
        config = self.workdir / f"sidecar-{metrics_port}.yaml"
        config.write_text(
            json.dumps(
                {
                    "model_name": SERVED_NAME,
                    "probe_dir": str(self.probe_dir),
                    "grpc_address": self.grpc_address,
                    "metrics_address": f"127.0.0.1:{metrics_port}",
                }
            )
        )
        log_path = self.workdir / f"sidecar-{metrics_port}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "serve", "--config", str(config)],
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"sidecar exited: {log_path.read_text()[-2000:]}")
            try:
                scrape(metrics_port)
                return SidecarProcess(proc, metrics_port, log_path)
            except OSError:
                time.sleep(0.2)
        proc.kill()
        raise RuntimeError("sidecar did not start within 60 s")

    def start_vllm(self, extra_env: dict[str, str] | None = None) -> None:
        """Start ``vllm serve`` with the plugin and wait until it answers /health."""
        settings = VllmServerSettings(
            model_dir=self.model_dir,
            served_model_name=SERVED_NAME,
            port=self.api_port,
            layers=captured_layers(),
            # small chunks so that long prompts are split across steps (chunked prefill)
            extra_args=["--max-num-batched-tokens", "256", "--max-num-seqs", "64"],
        )
        env = plugin_environment(settings, self.grpc_address)
        env.update(extra_env or {})
        log = (self.workdir / "vllm.log").open("wb")
        self.vllm = subprocess.Popen(
            vllm_command(settings),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + VLLM_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.vllm.poll() is not None:
                raise RuntimeError(f"vLLM exited: {self.vllm_log()[-4000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.api_port}/health", timeout=5):
                    return
            except OSError:
                time.sleep(2)
        raise RuntimeError(f"vLLM did not start in time: {self.vllm_log()[-4000:]}")

    def vllm_log(self) -> str:
        return (self.workdir / "vllm.log").read_text(errors="replace")

    def close(self) -> None:
        if self.vllm is not None and self.vllm.poll() is None:
            stop_process_group(self.vllm, timeout=30)
        self.stop_sidecar()


def wait_until(predicate, timeout: float, interval: float = 0.2) -> bool:  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it is true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
