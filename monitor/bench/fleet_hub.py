"""``llm-monitor hub`` as a subprocess for ``bench fleet``: configure, start, time, stop.

The hub runs with the chDB backend in a directory the benchmark owns, on loopback without
tokens. It is ready when ``/readyz`` answers 200; its CPU time is read from ``/proc``
(user + system, all threads). ``stop`` ends it with SIGTERM, so the data directory is
released for the next process that opens it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import yaml

from monitor.bench.cpu_time import process_cpu_s
from monitor.bench.overhead import free_port
from monitor.bench.serve_process import log_tail

#: Characters of the hub's log quoted in an error.
HUB_LOG_CHARS = 3000


class FleetBenchError(RuntimeError):
    """A part of ``bench fleet`` could not run (the message says which and why)."""


@dataclass
class Hub:
    """A started hub subprocess."""

    process: subprocess.Popen[bytes]
    address: str
    metrics_port: int
    data_dir: Path
    log_path: Path

    def cpu_s(self) -> float:
        """CPU seconds the hub has used so far (its threads; 0 once it has gone)."""
        try:
            return process_cpu_s(psutil.Process(self.process.pid))
        except psutil.Error:
            return 0.0

    def rss_bytes(self) -> int:
        try:
            return int(psutil.Process(self.process.pid).memory_info().rss)
        except psutil.Error:
            return 0

    def check_alive(self, stage: str) -> None:
        if self.process.poll() is not None:
            raise FleetBenchError(
                f"the hub exited with {self.process.returncode} during {stage}: "
                + log_tail(self.log_path, HUB_LOG_CHARS)
            )


def hub_config(data_dir: Path, grpc_port: int, metrics_port: int) -> dict[str, Any]:
    """The hub's configuration: chDB in ``data_dir``, loopback ports, no tokens."""
    return {
        "server": {
            "address": f"127.0.0.1:{grpc_port}",
            "metrics_address": f"127.0.0.1:{metrics_port}",
        },
        "storage": {"backend": "chdb", "path": str(data_dir)},
    }


def _ready(metrics_port: int) -> bool:
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{metrics_port}/readyz", timeout=5
        ) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def start_hub(workdir: Path, data_dir: Path, name: str, timeout_s: float) -> Hub:
    """Start a hub on ``data_dir`` (config and log in ``workdir``, named ``name``) and wait
    until it is ready; ``FleetBenchError`` with its log when it does not get there."""
    grpc_port, metrics_port = free_port(), free_port()
    config = workdir / f"{name}.yaml"
    config.write_text(yaml.safe_dump(hub_config(data_dir, grpc_port, metrics_port)))
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "hub", "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    hub = Hub(process, f"127.0.0.1:{grpc_port}", metrics_port, data_dir, log_path)
    deadline = time.monotonic() + timeout_s
    while not _ready(metrics_port):
        if process.poll() is not None:
            raise FleetBenchError(
                f"the hub exited with {process.returncode}: {log_tail(log_path, HUB_LOG_CHARS)}"
            )
        if time.monotonic() > deadline:
            stop_hub(hub)
            raise FleetBenchError(
                f"the hub was not ready within {timeout_s:g} s: {log_tail(log_path, HUB_LOG_CHARS)}"
            )
        time.sleep(0.2)
    return hub


def stop_hub(hub: Hub, timeout_s: float = 60.0) -> int | None:
    """SIGTERM, then SIGKILL after ``timeout_s``; the exit code."""
    if hub.process.poll() is None:
        hub.process.send_signal(signal.SIGTERM)
        try:
            hub.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            hub.process.kill()
            hub.process.wait()
    return hub.process.returncode


@contextmanager
def running_hub(workdir: Path, data_dir: Path, name: str, timeout_s: float) -> Iterator[Hub]:
    """A started hub, stopped on the way out."""
    hub = start_hub(workdir, data_dir, name, timeout_s)
    try:
        yield hub
    finally:
        stop_hub(hub)
