"""Sidecars in hub mode as real ``llm-monitor serve`` subprocesses, fed through the real
Ingest gRPC with synthetic activations (no vLLM), for the fleet tests.

Every request is sent in one batch and finished in it, and the rule fires on its first
token, so each request makes exactly one trace update: the counts the tests compare
(requests sent, updates spooled, dropped, stored at the hub) are exact.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

from monitor.v1 import ingest_pb2_grpc, query_pb2, query_pb2_grpc
from tests.integration.child_process import ChildProcess
from tests.integration.stack import free_port, metric, scrape
from tests.unit.sidecar.helpers import (
    D_MODEL,
    MODEL,
    batch_message,
    hello,
    make_batch,
    make_probe,
    write_probe_dir,
)

TOKENS_PER_REQUEST = 16
START_TIMEOUT_S = 60.0


def probe_dir(directory: Path) -> Path:
    """One synthetic probe (concept ``deception``) for the test model."""
    return write_probe_dir(directory, [make_probe(np.random.default_rng(5), "deception")])


class FleetSidecar(ChildProcess):
    """One ``llm-monitor serve`` in hub mode on fixed ports and a fixed outbox file."""

    stop_timeout_s = 60.0

    def __init__(
        self,
        workdir: Path,
        name: str,
        probes: Path,
        hub_address: str,
        *,
        hub: dict[str, Any] | None = None,
        storage: dict[str, Any] | None = None,
        model_name: str = MODEL,
        port: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.workdir = workdir
        self.name = name
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = port if port is not None else free_port()
        self.metrics_port = free_port()
        self.spool_path = workdir / f"{name}-outbox.sqlite"
        settings = {
            "address": hub_address,
            "spool_path": str(self.spool_path),
            "flush_interval_s": 0.2,
            "backoff_initial_s": 0.2,
            "backoff_max_s": 2.0,
            "drain_timeout_s": 10.0,
            **(hub or {}),
        }
        config: dict[str, Any] = {
            "model_name": model_name,
            "instance_id": name,
            "probe_dir": str(probes),
            "grpc_address": self.address,
            "metrics_address": f"127.0.0.1:{self.metrics_port}",
            "rules": [
                {
                    "name": "any",
                    "concept": "deception",
                    "threshold": 0.0,
                    "cooldown_s": 0,
                    "aggregation": {"method": "max"},
                }
            ],
            "storage": {"backend": "hub", "hub": settings, **(storage or {})},
            **(extra or {}),
        }
        self.config_path = workdir / f"{name}.yaml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._rng = np.random.default_rng(zlib.crc32(name.encode()))
        self.sent: list[str] = []  # request ids sent, in order

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start ``llm-monitor serve`` and wait until gRPC health says SERVING."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "monitor.cli", "serve", "--config", str(self.config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        with grpc.insecure_channel(self.address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited:\n{self.log()}")
                try:
                    reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"{self.name} did not serve in time:\n{self.log()}")

    def send(self, request_ids: Sequence[str]) -> None:
        """One Ingest stream: a batch of ``TOKENS_PER_REQUEST`` tokens per request, all
        finished in it (each request: exactly one trace update)."""
        n = len(request_ids)
        acts = self._rng.normal(size=(n * TOKENS_PER_REQUEST, D_MODEL)).astype(np.float32)
        batch = make_batch(
            acts,
            request_ids=list(request_ids),
            row_request=[i for i in range(n) for _ in range(TOKENS_PER_REQUEST)],
            positions=[p for _ in range(n) for p in range(TOKENS_PER_REQUEST)],
            finished=list(request_ids),
        )
        with grpc.insecure_channel(self.address) as channel:
            ingest_pb2_grpc.MonitorStub(channel).Ingest(
                iter([hello(), batch_message(batch)]), timeout=30
            )
        self.sent.extend(request_ids)

    def sample(self, name: str, **labels: str) -> float:
        """A metric of this sidecar (summed over other labels)."""
        return metric(scrape(self.metrics_port), name, **labels)

    def spooled(self) -> float:
        return self.sample("llm_monitor_trace_updates_spooled_total")

    def spool_rows(self) -> float:
        return self.sample("llm_monitor_trace_spool_rows")

    def dropped(self, reason: str = "spool_full") -> float:
        return self.sample("llm_monitor_trace_writes_dropped_total", reason=reason)


class AlertWatch:
    """A WatchAlerts stream of one sidecar, read on a thread."""

    def __init__(self, address: str) -> None:
        self._channel = grpc.insecure_channel(address)
        self._call = query_pb2_grpc.TraceQueryStub(self._channel).WatchAlerts(
            query_pb2.WatchAlertsRequest()
        )
        self.alerts: list[query_pb2.Alert] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for alert in self._call:
                self.alerts.append(alert)
        except grpc.RpcError:
            pass

    def close(self) -> None:
        self._call.cancel()
        self._channel.close()
        self._thread.join(5)


def hub_traces(
    channel: grpc.Channel, page_size: int = 25, **filters: Any
) -> list[query_pb2.TraceSummary]:
    """Every trace the hub lists, following the pages."""
    stub = query_pb2_grpc.TraceQueryStub(channel)
    found: list[query_pb2.TraceSummary] = []
    token = ""
    while True:
        page = stub.QueryTraces(
            query_pb2.QueryTracesRequest(page_size=page_size, page_token=token, **filters),
            timeout=30,
        )
        found.extend(page.traces)
        token = page.next_page_token
        if not token:
            return found
