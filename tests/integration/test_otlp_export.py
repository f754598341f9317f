"""OpenTelemetry export end to end: a real ``llm-monitor serve`` process exports its alerts
and request scores to a real OTLP/gRPC receiver (the collector's ``LogsService``, from the
``opentelemetry-proto`` stubs) started by the test.

Activations come from a synthetic producer through the sidecar's real gRPC ``Ingest``
stream, not from the shared vLLM engine: what is under test is the sidecar's export (alert
-> OTLP event), which the producer does not change, and a rule at threshold 0 makes the
alerts deterministic and the test take seconds instead of the engine's minutes.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest
import yaml

from monitor import __version__
from monitor.v1 import ingest_pb2_grpc, query_pb2, query_pb2_grpc
from tests.integration.stack import free_port, metric, scrape, wait_until
from tests.unit.sidecar.helpers import (
    D_MODEL,
    MODEL,
    batch_message,
    hello,
    make_batch,
    make_probe,
    write_probe_dir,
)
from tests.unit.sidecar.otlp_collector import Collector, Received

REQUEST_ID = "chatcmpl-otlp-7f3e-0a1b2c3d"  # what vLLM's engine calls the request
EXTERNAL_ID = "chatcmpl-otlp-7f3e"  # what the API client saw


class Serve:
    """``llm-monitor serve`` on a temporary monitor.yaml."""

    def __init__(self, workdir: Path, probe_dir: Path, otlp: dict[str, object]) -> None:
        self.grpc_address = f"127.0.0.1:{free_port()}"
        self.metrics_port = free_port()
        config = {
            "model_name": MODEL,
            "probe_dir": str(probe_dir),
            "grpc_address": self.grpc_address,
            "metrics_address": f"127.0.0.1:{self.metrics_port}",
            "storage": {"path": str(workdir / "traces.sqlite")},
            "rules": [
                {"name": "any-deception", "concept": "deception", "threshold": 0.0, "cooldown_s": 0}
            ],
            "otlp": otlp,
        }
        path = workdir / "monitor.yaml"
        path.write_text(yaml.safe_dump(config))
        self.log = workdir / "serve.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "serve", "--config", str(path)],
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        assert wait_until(self._up, 60), self.tail()

    def _up(self) -> bool:
        assert self.proc.poll() is None, self.tail()
        try:
            scrape(self.metrics_port)
        except OSError:
            return False
        return True

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def send(self, request_ids: list[str], rng: np.random.Generator) -> None:
        """One Ingest stream: a hello, then 4 tokens of each request, all finished."""
        acts = rng.normal(size=(4 * len(request_ids), D_MODEL)).astype(np.float32)
        batch = make_batch(
            acts,
            request_ids=request_ids,
            row_request=[i for i in range(len(request_ids)) for _ in range(4)],
            positions=[p for _ in request_ids for p in range(4)],
            finished=request_ids,
        )
        with grpc.insecure_channel(self.grpc_address) as channel:
            ingest = ingest_pb2_grpc.MonitorStub(channel).Ingest
            ingest(iter([hello(), batch_message(batch)]), timeout=30)

    def metric(self, name: str, **labels: str) -> float:
        return metric(scrape(self.metrics_port), name, model_name=MODEL, **labels)

    def stop(self) -> int:
        """SIGTERM; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(f"serve did not stop on SIGTERM: {self.tail()}") from None


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector().start()
    yield server
    server.stop()


@pytest.fixture
def probe_dir(tmp_path: Path) -> Path:
    rng = np.random.default_rng(11)
    return write_probe_dir(tmp_path / "probes", [make_probe(rng, "deception", method="max")])


def _kinds(records: list[Received]) -> list[str]:
    return sorted(str(r.attributes["llm_monitor.kind"]) for r in records)


def test_alerts_and_scores_reach_the_receiver_with_the_conventions(
    tmp_path: Path, probe_dir: Path, collector: Collector
) -> None:
    serve = Serve(
        tmp_path,
        probe_dir,
        {
            "endpoint": f"http://{collector.endpoint}",
            "insecure": True,
            "headers": {"authorization": "Bearer otlp-token"},
            "scores": True,
            "schedule_delay_s": 0.1,
            "resource_attributes": {"deployment.environment.name": "ci"},
        },
    )
    try:
        serve.send([REQUEST_ID], np.random.default_rng(1))
        assert collector.wait_for(lambda rs: _kinds(rs) == ["alert", "request_score"], 30), (
            serve.tail()
        )
        assert wait_until(lambda: serve.metric("llm_monitor_otlp_exported_total") == 2, 10)
        assert serve.metric("llm_monitor_otlp_dropped_total") == 0
        with grpc.insecure_channel(serve.grpc_address) as channel:
            trace = query_pb2_grpc.TraceQueryStub(channel).GetTrace(
                query_pb2.GetTraceRequest(request_id=REQUEST_ID), timeout=10
            )
    finally:
        assert serve.stop() == 0, serve.tail()
    records = {str(r.attributes["llm_monitor.kind"]): r for r in collector.records()}
    alert, score = records["alert"], records["request_score"]
    for record in (alert, score):
        assert record.event_name == "gen_ai.evaluation.result"
        assert record.attributes["gen_ai.evaluation.name"] == "deception"
        assert record.attributes["gen_ai.response.id"] == EXTERNAL_ID
        assert record.attributes["gen_ai.request.model"] == MODEL
        assert record.attributes["gen_ai.response.model"] == MODEL
        assert record.attributes["llm_monitor.request_id"] == REQUEST_ID
        assert record.resource["service.name"] == "llm-monitor"
        assert record.resource["service.version"] == __version__
        assert record.resource["deployment.environment.name"] == "ci"
        assert (record.scope, record.scope_version) == ("llm-monitor", __version__)
        assert record.metadata["authorization"] == "Bearer otlp-token"
    (stored,) = trace.summary.alerts  # the exported alert is the stored one
    assert alert.attributes["llm_monitor.alert_id"] == stored.alert_id
    assert alert.attributes["llm_monitor.rule"] == "any-deception"
    assert alert.attributes["llm_monitor.severity"] == "warning"
    assert alert.attributes["llm_monitor.position"] == stored.position
    assert alert.attributes["llm_monitor.threshold"] == 0.0
    assert alert.attributes["llm_monitor.trace_stored"] is True
    assert alert.attributes["llm_monitor.suppressed"] is False
    assert alert.attributes["gen_ai.evaluation.score.label"] == "flagged"
    assert alert.attributes["gen_ai.evaluation.score.value"] == pytest.approx(stored.score)
    assert "any-deception" in str(alert.attributes["gen_ai.evaluation.explanation"])
    assert (alert.severity_text, alert.severity_number) == ("WARNING", 13)
    assert alert.time_unix_nano == stored.fired_at.ToNanoseconds()
    assert score.attributes["gen_ai.evaluation.score.label"] in ("flagged", "pass")
    assert score.attributes["llm_monitor.tokens_scored"] == 4
    assert 0.0 <= float(score.attributes["gen_ai.evaluation.score.value"]) <= 1.0


def test_a_failing_receiver_is_counted_and_scoring_goes_on(
    tmp_path: Path, probe_dir: Path, collector: Collector
) -> None:
    collector.reject = grpc.StatusCode.INVALID_ARGUMENT  # not retried: fails at once
    serve = Serve(
        tmp_path,
        probe_dir,
        {"endpoint": collector.endpoint, "insecure": True, "schedule_delay_s": 0.1},
    )
    try:
        rng = np.random.default_rng(2)
        serve.send([f"r-{n}" for n in range(5)], rng)
        assert wait_until(
            lambda: serve.metric("llm_monitor_otlp_dropped_total", reason="export_failed") == 5,
            30,
        ), serve.tail()
        assert collector.requests >= 1 and collector.records() == []
        assert serve.metric("llm_monitor_tokens_scored_total") == 20
        collector.reject = None  # the receiver is back: later alerts go out
        serve.send(["r-late"], rng)
        assert collector.wait_for(lambda rs: len(rs) == 1, 30), serve.tail()
        assert collector.records()[0].attributes["llm_monitor.request_id"] == "r-late"
    finally:
        assert serve.stop() == 0, serve.tail()


def test_sigterm_exports_what_is_queued(
    tmp_path: Path, probe_dir: Path, collector: Collector
) -> None:
    serve = Serve(
        tmp_path,
        probe_dir,
        # nothing leaves before shutdown: a long delay and batches larger than the traffic
        {"endpoint": collector.endpoint, "insecure": True, "schedule_delay_s": 60},
    )
    try:
        serve.send([f"q-{n}" for n in range(3)], np.random.default_rng(3))
        assert wait_until(lambda: serve.metric("llm_monitor_otlp_queue_events") == 3, 30), (
            serve.tail()
        )
        time.sleep(0.5)
        assert collector.records() == []
    finally:
        assert serve.stop() == 0, serve.tail()
    ids = sorted(str(r.attributes["llm_monitor.request_id"]) for r in collector.records())
    assert ids == ["q-0", "q-1", "q-2"]
