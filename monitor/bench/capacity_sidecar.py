"""The sidecar of ``bench sidecar``: its probes and configuration per stage, and its
process, on a core of its own while a stage is measured.

The goals count a sidecar's throughput per core. With two or more usable CPUs the
sidecar's threads run on the last one and the bench's (the synthetic producers') on the
others, so the producers neither slow the sidecar nor are counted in its CPU time, and
its threads hand the GIL to each other on one core rather than across two.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import yaml

from monitor import placement
from monitor.bench.overhead import free_port, synthetic_probes
from monitor.bench.serve_process import serving
from monitor.bench.settings import SidecarBenchSettings
from monitor.bench.soak_traffic import RowPool

FULL_STAGES = ("full", "full-flagged")


@dataclasses.dataclass(frozen=True)
class Setup:
    """What one sidecar start loads."""

    stage: str
    layers: list[int]
    probes: int


def layers_of(settings: SidecarBenchSettings, count: int) -> list[int]:
    return [settings.first_layer - i for i in range(count)]


def _write_probes(directory: Path, settings: SidecarBenchSettings, setup: Setup) -> list[str]:
    """``setup.probes`` synthetic probes per layer; returns the concepts of the first layer
    (the first one is the probe firing requests carry the signal of)."""
    from monitor.artifacts.probe_format import load_probe, save_probe

    directory.mkdir(parents=True, exist_ok=True)
    synthetic_probes(
        directory, setup.layers[0], settings.d_model, settings.model_name, settings.seed
    )
    base = load_probe(directory / "deception.probe.json")
    for path in directory.glob("*.probe.json"):
        path.unlink()
    rng = np.random.default_rng(settings.seed)
    first: list[str] = []
    for layer in setup.layers:
        for i in range(setup.probes):
            concept = "deception" if (layer, i) == (setup.layers[0], 0) else f"c{layer}_{i}"
            weights = (
                base.weights
                if concept == "deception"
                else (rng.normal(size=settings.d_model) / np.sqrt(settings.d_model)).tolist()
            )
            probe = base.model_copy(update={"concept": concept, "layer": layer, "weights": weights})
            save_probe(directory / f"{concept}.probe.json", probe)
            if layer == setup.layers[0]:
                first.append(concept)
    return first


def write_config(
    path: Path, workdir: Path, setup: Setup, settings: SidecarBenchSettings, ports: tuple[int, int]
) -> list[str]:
    """The stage's monitor.yaml; returns the concepts of the first layer."""
    from monitor.artifacts.shipped import shipped_encoder_dir

    concepts = _write_probes(workdir / "probes", settings, setup)
    config: dict[str, Any] = {
        "model_name": settings.model_name,
        "probe_dir": str(workdir / "probes"),
        "layers": setup.layers,
        "grpc_address": f"127.0.0.1:{ports[0]}",
        "metrics_address": f"127.0.0.1:{ports[1]}",
        "rules": [],
    }
    if setup.stage in ("encoder", *FULL_STAGES):
        encoder = settings.encoder_dir or shipped_encoder_dir(settings.model_name)
        if encoder is None:
            raise RuntimeError(f"no concept encoder shipped for {settings.model_name}")
        config["encoder_dir"] = str(encoder)
        config["encoder_precision"] = settings.encoder_precision
    if setup.stage == "full-flagged":
        config["encoder_scope"] = "flagged"
    if setup.stage in FULL_STAGES:
        config["rules"] = [
            {
                "name": f"bench-{c}",
                "concept": c,
                "threshold": 0.999 if c == "deception" else 1.0,
                "aggregation": {"method": "max"},
                "cooldown_s": 0.0,
            }
            for c in concepts
        ]
        config["storage"] = {"path": str(workdir / "traces.sqlite")}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return concepts


def one_core(settings: SidecarBenchSettings) -> tuple[frozenset[int], frozenset[int]] | None:
    """(the sidecar's CPU, the producers' CPUs) when the sidecar gets a core of its own:
    the last usable CPU, the others for this process; None when unpinned or on one CPU."""
    if not settings.one_core or not placement.supported():
        return None
    usable = sorted(placement.usable_cpus())
    if len(usable) < 2:
        return None
    return frozenset(usable[-1:]), frozenset(usable[:-1])


def with_sidecar(settings: SidecarBenchSettings, setup: Setup, pool: RowPool, run: Any) -> Any:
    """Start a sidecar for ``setup``, call ``run(ports, process)``, stop it; returns what
    ``run`` returned. With ``one_core`` the sidecar's threads run on one CPU and this
    process's (the producers') on the others while ``run`` runs."""
    cores = one_core(settings)
    with tempfile.TemporaryDirectory(prefix="llm-monitor-sidecar-bench-") as tmp:
        workdir = Path(tmp)
        ports = (free_port(), free_port())
        config = workdir / "monitor.yaml"
        write_config(config, workdir, setup, settings, ports)
        with serving(config, workdir / "sidecar.log", ports[1]) as proc:
            own = placement.affinity()
            if cores is not None:
                placement.pin_process(proc.pid, cores[0])
                placement.pin_process(os.getpid(), cores[1])
            try:
                time.sleep(0.5)
                return run(ports, psutil.Process(proc.pid))
            finally:
                if cores is not None:
                    placement.pin_process(os.getpid(), own)
