"""A real ``llm-monitor hub`` subprocess for the integration tests.

``HubProcess`` writes a hub.yaml into its work directory (chDB in ``data_dir`` by default,
loopback ports chosen once, so a restart listens where the sidecars already dial), starts
``python -m monitor.cli hub`` and waits until gRPC health reports TraceIngest SERVING.
``kill()`` is kill -9; ``start()`` again restarts on the same directory and ports.

    with running_hub(tmp_path, ingest_tokens=[TOKEN]) as hub:
        sidecar_config["storage"] = {"backend": "hub", "hub_address": hub.address, ...}
        ...
        hub.kill(); hub.start()           # crash and restart on the same data
        hub.query().QueryTraces(...)      # TraceQuery stub (with the query token)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

from monitor.v1 import fleet_pb2_grpc, query_pb2_grpc
from tests.integration.child_process import ChildProcess
from tests.integration.stack import free_port, scrape

START_TIMEOUT_S = 60.0


class HubProcess(ChildProcess):
    """One hub subprocess on fixed ports and a fixed data directory (restartable)."""

    stop_timeout_s = 30.0

    def __init__(
        self,
        workdir: Path,
        *,
        backend: str = "chdb",
        tokens: Sequence[str] = (),
        ingest_tokens: Sequence[str] = (),
        sections: dict[str, dict[str, Any]] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.metrics_port = free_port()
        self.data_dir = workdir / ("hub-data" if backend == "chdb" else "hub.db")
        self.tokens = list(tokens)
        self.ingest_tokens = list(ingest_tokens)
        config: dict[str, Any] = {
            "server": {
                "address": f"127.0.0.1:{self.port}",
                "metrics_address": f"127.0.0.1:{self.metrics_port}",
            },
            "storage": {"backend": backend, "path": str(self.data_dir)},
            "auth": {"tokens": self.tokens, "ingest_tokens": self.ingest_tokens},
        }
        for name, values in (sections or {}).items():
            config[name] = {**config.get(name, {}), **values}
        self.config_path = workdir / "hub.yaml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.log_path = workdir / "hub.log"
        self._env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def address(self) -> str:
        """What sidecars and clients dial (``127.0.0.1:PORT``)."""
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        """Start the hub (again) and wait until TraceIngest serves; raises with its log."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("the hub is already running")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LLM_MONITOR_HUB_")}
        env.update(self._env)
        with self.log_path.open("ab") as log:
            log.write(f"---- start {self.starts + 1}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "monitor.cli", "hub", "--config", str(self.config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while not self.serving():
            if self.process.poll() is not None:
                raise RuntimeError(f"the hub exited with {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"the hub did not serve within {timeout:g} s:\n{self.log()}")
            time.sleep(0.1)

    def serving(self) -> bool:
        """True when gRPC health says TraceIngest is SERVING."""
        try:
            with grpc.insecure_channel(self.address) as channel:
                answer = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service="monitor.v1.TraceIngest"), timeout=1
                )
        except grpc.RpcError:
            return False
        return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """The hub's /metrics, parsed (see ``tests.integration.stack.scrape``)."""
        return scrape(self.metrics_port)

    def channel(self) -> grpc.Channel:
        """A new insecure channel to the hub (the caller closes it)."""
        return grpc.insecure_channel(self.address)

    def ingest(self, channel: grpc.Channel) -> fleet_pb2_grpc.TraceIngestStub:
        return fleet_pb2_grpc.TraceIngestStub(channel)

    def query(self, channel: grpc.Channel) -> query_pb2_grpc.TraceQueryStub:
        return query_pb2_grpc.TraceQueryStub(channel)

    def ingest_metadata(self) -> tuple[tuple[str, str], ...]:
        """The ``authorization`` metadata of the first ingest token (empty without one)."""
        return (("authorization", f"Bearer {self.ingest_tokens[0]}"),) if self.ingest_tokens else ()

    def query_metadata(self) -> tuple[tuple[str, str], ...]:
        """The ``authorization`` metadata of the first query token (empty without one)."""
        return (("authorization", f"Bearer {self.tokens[0]}"),) if self.tokens else ()


@contextmanager
def running_hub(workdir: Path, **options: Any) -> Iterator[HubProcess]:
    """A started ``HubProcess`` (options as its constructor's), stopped on the way out."""
    hub = HubProcess(workdir, **options)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()
