"""The sidecar's threads carry their names in the OS (``/proc/<pid>/task/<tid>/comm``)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import SidecarConfig
from monitor.sidecar.thread_names import name_threads, os_name

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")


def comm(thread: threading.Thread) -> str:
    return Path(f"/proc/self/task/{thread.native_id}/comm").read_text().strip()


def test_os_names_drop_the_prefix_and_fit_the_kernels_limit() -> None:
    assert os_name("llm-monitor-pipeline") == "pipeline"
    assert os_name("llm-monitor-ingest_0") == "ingest_0"
    assert os_name("llm-monitor-a-very-long-thread-name") == "a-very-long-thr"
    assert os_name("MainThread") is None and os_name("llm-monitor-") is None


def test_only_the_sidecars_threads_are_renamed() -> None:
    release = threading.Event()
    ours = threading.Thread(target=release.wait, name="llm-monitor-test-thread")
    other = threading.Thread(target=release.wait, name="someone-else")
    ours.start()
    other.start()
    try:
        before = comm(other)
        assert name_threads() >= 1
        assert comm(ours) == "test-thread"
        assert comm(other) == before
    finally:
        release.set()
        ours.join()
        other.join()


def test_a_started_sidecar_names_its_threads() -> None:
    config = SidecarConfig(grpc_address="127.0.0.1:0", metrics_address="127.0.0.1:0")
    with Sidecar(config, registry=CollectorRegistry()):
        names = {comm(t) for t in threading.enumerate() if t.name.startswith("llm-monitor-")}
    assert {"pipeline", "grpc", "http", "watchdog"} <= names
