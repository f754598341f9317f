"""Fixtures of the hub tests: a clean environment and started hubs over SQLite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from monitor.hub.app import Hub
from monitor.sidecar.traces.sqlite import SqliteTraceRepository

from .rig import HubFactory, RunningHub, Wrapped, sqlite_config


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("LLM_MONITOR_"):
            monkeypatch.delenv(key)


@pytest.fixture
def start_hub(tmp_path: Path) -> Iterator[HubFactory]:
    """Starts hubs on one SQLite file (``start_hub(**config sections)``), each over a
    ``Wrapped`` repository; all stopped after the test."""
    started: list[RunningHub] = []

    def start(**sections: Any) -> RunningHub:
        config = sqlite_config(tmp_path / "hub.db", **sections)
        store = Wrapped(SqliteTraceRepository(tmp_path / "hub.db", retention_s=90 * 86400.0))
        hub = Hub(config, repository=store)
        hub.start()
        running = RunningHub(hub, store, grpc.insecure_channel(hub.grpc_target))
        started.append(running)
        return running

    yield start
    for running in started:
        running.store.gate.set()
        running.channel.close()
        running.hub.stop(grace=0.5)
