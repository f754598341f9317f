"""The fuzzed streams against a real ``llm-monitor serve`` process: it stays alive and
SERVING, answers every stream as the contract says, keeps /metrics bounded and free of
input labels, and exits cleanly on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import yaml
from hypothesis import HealthCheck, given, settings

from monitor.artifacts.probe_format import Probe
from tests.unit.sidecar.helpers import MODEL, write_probe_dir

from .conftest import FUZZ_MAX_BATCH_BYTES, FUZZ_MESSAGES
from .streams import MARK, Plan, build, plans
from .wire_client import (
    INGEST_CODES,
    SERVING,
    health,
    metrics_text,
    rss_bytes,
    send_stream,
    series_count,
)

#: A tenth of the in-process run: the process is the point, not the volume.
STREAMS = max(30, FUZZ_MESSAGES // 80)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_process_survives_fuzzed_streams(tmp_path: Path, probes: list[Probe]) -> None:
    grpc_port, metrics_port = _free_port(), _free_port()
    config = {
        "model_name": MODEL,
        "probe_dir": str(write_probe_dir(tmp_path / "probes", probes)),
        "grpc_address": f"127.0.0.1:{grpc_port}",
        "metrics_address": f"127.0.0.1:{metrics_port}",
        "ingest": {"max_batch_bytes": FUZZ_MAX_BATCH_BYTES},
        "storage": {"path": str(tmp_path / "traces.db")},
    }
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(config))
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "serve", "--config", str(path)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
            try:
                if health(channel, timeout=1) == SERVING:
                    break
            except grpc.RpcError:
                pass
            assert time.monotonic() < deadline, "serve did not become SERVING"
            time.sleep(0.2)
        rss_start = rss_bytes(process.pid)

        @settings(
            max_examples=STREAMS,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(plans(16384, FUZZ_MAX_BATCH_BYTES))
        def one_stream(plan: Plan) -> None:
            stream = build(plan)
            answer = send_stream(channel, stream.messages)
            assert answer.code in INGEST_CODES, (plan, answer)
            if stream.reason not in (None, "*"):
                assert answer.details.startswith(f"{stream.reason}:"), plan

        one_stream()
        assert process.poll() is None
        assert health(channel) == SERVING
        text = metrics_text(metrics_port)
        assert MARK not in text
        assert series_count(text) < 2000
        growth = rss_bytes(process.pid) - rss_start
        print(f"serve: {STREAMS} streams, RSS +{growth >> 20} MiB, {series_count(text)} samples")
        assert growth < 200 * 1024 * 1024
    finally:
        channel.close()
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
            log.close()
    assert code == 0, (tmp_path / "serve.log").read_text()[-2000:]
    log_text = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in log_text
    assert max(len(line) for line in log_text.splitlines()) < 2000
