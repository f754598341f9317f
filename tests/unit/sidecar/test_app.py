from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitor.artifacts.probe_format import ProbeError
from monitor.cli.commands.serve_up import run_sidecar as run
from monitor.cli.exit_codes import ExitCode
from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import SidecarConfig

from .helpers import make_probe, write_probe_dir

RUN_SCRIPT = """
import logging, sys
from monitor.cli.commands.serve_up import run_sidecar as run
from monitor.sidecar.config import SidecarConfig
logging.basicConfig(level=logging.INFO, stream=sys.stdout)
sys.exit(run(SidecarConfig(grpc_address="127.0.0.1:0", metrics_address="127.0.0.1:0")))
"""


def test_run_stops_cleanly_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "sidecar started" in line:
            break
    assert any("sidecar started" in line for line in lines), "".join(lines)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=15)
    assert proc.returncode == ExitCode.OK, out
    assert "sidecar stopped" in out


def test_run_reports_bad_probes(tmp_path: Path) -> None:
    (tmp_path / "broken.probe.json").write_text("{}")
    config = SidecarConfig(probe_dir=tmp_path)
    assert run(config) == ExitCode.ARTIFACTS
    with pytest.raises(ProbeError, match=r"broken\.probe\.json: format"):
        Sidecar(config, registry=CollectorRegistry())


def test_probes_for_another_model_fail_fast(tmp_path: Path, rng: np.random.Generator) -> None:
    write_probe_dir(tmp_path, [make_probe(rng, model_name="model-a")])
    with pytest.raises(ProbeError, match="expects 'model-b'"):
        Sidecar(SidecarConfig(model_name="model-b", probe_dir=tmp_path), CollectorRegistry())


def test_context_manager_starts_and_stops() -> None:
    config = SidecarConfig(grpc_address="127.0.0.1:0", metrics_address="127.0.0.1:0")
    with Sidecar(config, registry=CollectorRegistry()) as app:
        port = app.metrics_port
        assert port > 0
    assert app.metrics_port == 0  # the metrics server is closed
