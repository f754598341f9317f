"""Fixtures of the fuzz suite: a real in-process ``Sidecar`` (gRPC on 127.0.0.1:0, the
SQLite trace store, one rule) and the probes it scores with.

The number of generated Ingest messages is ``LLM_MONITOR_FUZZ_EXAMPLES`` (default
10,000, what CI runs); set it higher for a longer local run. Every run is derandomized:
the same code generates the same messages.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from monitor.artifacts.probe_format import Probe
from monitor.sidecar.app import Sidecar, default_registry
from monitor.sidecar.config import IngestConfig, RuleConfig, SidecarConfig
from monitor.sidecar.storage_config import StorageConfig
from tests.unit.sidecar.helpers import MODEL, make_probe, write_probe_dir

#: Ingest messages one run generates (read before fixtures clear LLM_MONITOR_* variables).
FUZZ_MESSAGES = int(os.environ.get("LLM_MONITOR_FUZZ_EXAMPLES", "10000"))
#: The fuzzed sidecar's message limit: small, so oversized messages are cheap to make.
FUZZ_MAX_BATCH_BYTES = 256 * 1024


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("LLM_MONITOR_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="module")
def probes() -> list[Probe]:
    rng = np.random.default_rng(7)
    return [make_probe(rng, "deception", method="max"), make_probe(rng, "misuse", method="ema")]


def sidecar_config(directory: Path, probes: list[Probe], max_batch_bytes: int) -> SidecarConfig:
    """The fuzzed sidecar's settings: the probes, a SQLite store and one rule."""
    return SidecarConfig(
        model_name=MODEL,
        probe_dir=write_probe_dir(directory / "probes", probes),
        grpc_address="127.0.0.1:0",
        metrics_address="127.0.0.1:0",
        ingest=IngestConfig(max_batch_bytes=max_batch_bytes),
        storage=StorageConfig(path=directory / "traces.db"),
        rules=[RuleConfig(name="hot", concept="deception", threshold=0.9)],
    )


@pytest.fixture(scope="module")
def fuzz_sidecar(
    tmp_path_factory: pytest.TempPathFactory, probes: list[Probe]
) -> Iterator[Sidecar]:
    config = sidecar_config(tmp_path_factory.mktemp("fuzz"), probes, FUZZ_MAX_BATCH_BYTES)
    app = Sidecar(config, registry=default_registry())
    app.start()
    try:
        yield app
    finally:
        app.stop(grace=0.5)
