"""build_info, probe_info and config_last_reload_successful on a real Sidecar."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitor import __version__
from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import ConfigError, load_config
from monitor.versions import vllm_distribution_version

from .helpers import LAYER, MODEL, make_probe, write_probe_dir


def test_info_metrics_and_reload_outcome(tmp_path: Path, rng: np.random.Generator) -> None:
    probe = make_probe(rng, "deception")
    probe_dir = write_probe_dir(tmp_path / "probes", [probe])
    path = tmp_path / "monitor.yaml"
    path.write_text(
        f"model_name: {MODEL}\nprobe_dir: {probe_dir}\ngrpc_address: 127.0.0.1:0\n"
        "metrics_address: 127.0.0.1:0\nrules: []\n"
    )
    registry = CollectorRegistry()
    sidecar = Sidecar(load_config(path), registry, config_path=path)
    build = {"version": __version__, "vllm_version": vllm_distribution_version() or "none"}
    assert registry.get_sample_value("llm_monitor_build_info", build) == 1
    labels = {
        "model_name": MODEL,
        "concept": "deception",
        "layer": str(LAYER),
        "threshold": f"{probe.threshold:.6g}",
    }
    assert registry.get_sample_value("llm_monitor_probe_info", labels) == 1
    reload_ok = {"model_name": MODEL}
    assert registry.get_sample_value("llm_monitor_config_last_reload_successful", reload_ok) == 1
    path.write_text(path.read_text().replace("rules: []", "rules: 7"))
    with pytest.raises(ConfigError):
        sidecar.reload_rules()
    assert registry.get_sample_value("llm_monitor_config_last_reload_successful", reload_ok) == 0
    path.write_text(path.read_text().replace("rules: 7", "rules: []"))
    assert sidecar.reload_rules() == 0
    assert registry.get_sample_value("llm_monitor_config_last_reload_successful", reload_ok) == 1
