"""``OtlpExport`` with the SDK's in-memory exporter and with a real OTLP/gRPC receiver:
what is exported, what is counted, and that scoring never waits for the receiver."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import (
    InMemoryLogRecordExporter,
    LogRecordExporter,
    LogRecordExportResult,
)
from prometheus_client import CollectorRegistry

from monitor import __version__
from monitor.sidecar.alerts.otlp import AlertFanOut, OtlpExport
from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import ConfigError, load_config
from monitor.sidecar.ingest.batches import decode_batch
from monitor.sidecar.scoring.sinks import RequestResult
from monitor.sidecar.serving_config import OtlpConfig
from monitor.v1 import query_pb2

from ..certs import make_pki
from .helpers import D_MODEL, MODEL, make_batch, make_probe, write_probe_dir
from .otlp_collector import Collector


def _config(**fields: object) -> OtlpConfig:
    values: dict[str, object] = {"endpoint": "127.0.0.1:1", "insecure": True}
    values |= {"schedule_delay_s": 0.05, "resource_attributes": {"deployment.environment": "t"}}
    return OtlpConfig(**(values | fields))  # type: ignore[arg-type]


def _alert(n: int = 0) -> query_pb2.Alert:
    return query_pb2.Alert(
        alert_id=f"a{n}",
        request_id=f"chatcmpl-{n}-0011aabb",
        model_name=MODEL,
        concept="deception",
        rule="r",
        severity="warning",
        score=0.9,
        threshold=0.5,
    )


def _sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, {"model_name": MODEL, **labels}) or 0.0


def _dropped(registry: CollectorRegistry, reason: str) -> float:
    return _sample(registry, "llm_monitor_otlp_dropped_total", reason=reason)


class Gate(LogRecordExporter):
    """Blocks every export until released (or shut down); then answers ``result``."""

    def __init__(self, result: LogRecordExportResult = LogRecordExportResult.SUCCESS) -> None:
        self.open = threading.Event()
        self.result = result
        self.exported: list[ReadableLogRecord] = []

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        self.open.wait(30)
        self.exported.extend(batch)
        return self.result

    def shutdown(self) -> None:
        self.open.set()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class Raising(Gate):
    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        raise ConnectionError("receiver gone")


def test_alerts_are_exported_as_evaluation_events_with_the_resource(
    registry: CollectorRegistry,
) -> None:
    memory = InMemoryLogRecordExporter()
    export = OtlpExport(_config(), registry, MODEL, exporter=memory)
    export.publish(_alert(1))
    export.publish(_alert(2))
    assert export.force_flush(10)
    records = memory.get_finished_logs()
    assert [r.log_record.event_name for r in records] == ["gen_ai.evaluation.result"] * 2
    ids = sorted(str(r.log_record.attributes["gen_ai.response.id"]) for r in records)  # type: ignore[index]
    assert ids == ["chatcmpl-1", "chatcmpl-2"]
    record = records[0]
    assert record.log_record.severity_text == "WARNING"
    assert record.log_record.severity_number is not None
    assert record.log_record.severity_number.value == 13
    resource = record.resource.attributes
    assert resource["service.name"] == "llm-monitor"
    assert resource["service.version"] == __version__
    assert resource["deployment.environment"] == "t"
    assert record.instrumentation_scope is not None
    assert record.instrumentation_scope.name == "llm-monitor"
    assert _sample(registry, "llm_monitor_otlp_exported_total") == 2
    assert export.pending == 0
    assert export.shutdown(5)


def test_scores_only_when_asked(registry: CollectorRegistry) -> None:
    memory = InMemoryLogRecordExporter()
    export = OtlpExport(
        _config(alerts=False, scores=True), registry, MODEL, {"deception": 0.5}, exporter=memory
    )
    export.publish(_alert())  # alerts are off
    export.on_request_finished(RequestResult(MODEL, "r-1", "finished", {"deception": 0.7}))
    export.on_request_finished(RequestResult(MODEL, "r-2", "expired", {"deception": 0.7}))
    assert export.force_flush(10)
    (record,) = memory.get_finished_logs()
    attributes = record.log_record.attributes or {}
    assert attributes["llm_monitor.kind"] == "request_score"
    assert attributes["gen_ai.evaluation.score.label"] == "flagged"
    assert export.shutdown(5)


def test_a_full_queue_drops_new_events_without_waiting(registry: CollectorRegistry) -> None:
    gate = Gate()
    export = OtlpExport(
        _config(max_queue_size=4, max_export_batch_size=2), registry, MODEL, exporter=gate
    )
    start = time.monotonic()
    for n in range(50):
        export.publish(_alert(n))
    assert time.monotonic() - start < 1.0  # the receiver is stuck, scoring is not
    assert export.pending == 4
    assert _dropped(registry, "queue_full") == 46
    assert _sample(registry, "llm_monitor_otlp_queue_events") == 4
    gate.open.set()
    assert export.force_flush(10)
    assert len(gate.exported) == 4
    assert _sample(registry, "llm_monitor_otlp_exported_total") == 4
    assert export.pending == 0
    assert export.shutdown(5)


@pytest.mark.parametrize("exporter_class", [Gate, Raising])
def test_failed_exports_are_counted(
    registry: CollectorRegistry, exporter_class: type[Gate]
) -> None:
    exporter = exporter_class(LogRecordExportResult.FAILURE)
    exporter.open.set()
    export = OtlpExport(_config(), registry, MODEL, exporter=exporter)
    for n in range(3):
        export.publish(_alert(n))
    assert export.force_flush(10)
    assert _dropped(registry, "export_failed") == 3
    assert _sample(registry, "llm_monitor_otlp_exported_total") == 0
    assert export.shutdown(5)


def test_shutdown_gives_up_at_its_deadline(registry: CollectorRegistry) -> None:
    gate = Gate()  # never released: a receiver that does not answer
    export = OtlpExport(_config(shutdown_timeout_s=0.3), registry, MODEL, exporter=gate)
    for n in range(5):
        export.publish(_alert(n))
    time.sleep(0.2)  # the first batch is in flight
    start = time.monotonic()
    assert export.shutdown(30) is False
    assert time.monotonic() - start < 2.0
    assert _dropped(registry, "shutdown") == 5
    export.publish(_alert(9))  # after shutdown: counted, not queued
    assert _dropped(registry, "shutdown") == 6
    assert _sample(registry, "llm_monitor_otlp_exported_total") == 0


def test_an_unreachable_receiver_costs_only_the_shutdown_deadline(
    registry: CollectorRegistry,
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        endpoint = f"127.0.0.1:{s.getsockname()[1]}"
    config = _config(endpoint=endpoint, timeout_s=60, shutdown_timeout_s=0.5)
    export = OtlpExport(config, registry, MODEL)  # the real OTLP/gRPC exporter
    export.publish(_alert())
    time.sleep(0.3)  # the export is failing and backing off
    start = time.monotonic()
    assert export.shutdown(30) is False
    assert time.monotonic() - start < 3.0
    assert _dropped(registry, "shutdown") == 1
    assert (
        _dropped(registry, "export_failed") + _sample(registry, "llm_monitor_otlp_exported_total")
        == 0
    )


def test_mutual_tls_to_the_receiver(registry: CollectorRegistry, tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    collector = Collector(pki).start()
    try:
        trusted = _config(
            endpoint=f"https://{collector.endpoint}",
            insecure=False,
            ca_file=pki.ca,
            cert_file=pki.client_cert,
            key_file=pki.client_key,
        )
        export = OtlpExport(trusted, registry, MODEL)
        export.publish(_alert(1))
        assert collector.wait_for(lambda rs: len(rs) == 1, 20)
        assert export.shutdown(5)
        other = CollectorRegistry()
        untrusted = trusted.model_copy(update={"ca_file": pki.other_ca, "timeout_s": 1.0})
        export = OtlpExport(untrusted, other, MODEL)
        export.publish(_alert(2))
        assert export.force_flush(20)
        assert (
            other.get_sample_value(
                "llm_monitor_otlp_dropped_total", {"model_name": MODEL, "reason": "export_failed"}
            )
            == 1
        )
        assert export.shutdown(5)
    finally:
        collector.stop()
    assert [r.attributes["llm_monitor.alert_id"] for r in collector.records()] == ["a1"]


def test_otel_sdk_disabled_exports_nothing(
    registry: CollectorRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    memory = InMemoryLogRecordExporter()
    export = OtlpExport(_config(), registry, MODEL, exporter=memory)
    export.publish(_alert())
    assert export.force_flush(10)
    assert memory.get_finished_logs() == ()
    assert export.pending == 0 and _dropped(registry, "queue_full") == 0
    assert export.shutdown(5)


def test_without_the_sdk_the_section_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text("otlp: {endpoint: c:4317}\n")
    monkeypatch.setitem(sys.modules, "monitor.sidecar.alerts.otlp", None)  # not importable
    with pytest.raises(ConfigError, match=r"pip install 'llm-monitor\[otlp\]'"):
        Sidecar(load_config(path), CollectorRegistry())


def test_the_fan_out_gives_every_publisher_the_alert() -> None:
    got: list[str] = []

    class Broken:
        def publish(self, alert: query_pb2.Alert) -> None:
            raise RuntimeError("broken")

    class Keeps:
        def publish(self, alert: query_pb2.Alert) -> None:
            got.append(alert.alert_id)

    with pytest.raises(RuntimeError, match="broken"):
        AlertFanOut(Broken(), Keeps()).publish(_alert(3))
    assert got == ["a3"]


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector().start()
    yield server
    server.stop()


def test_a_sidecar_exports_its_alerts_to_a_real_receiver(
    tmp_path: Path, rng: np.random.Generator, collector: Collector, registry: CollectorRegistry
) -> None:
    probes = write_probe_dir(tmp_path / "probes", [make_probe(rng, "deception", method="max")])
    path = tmp_path / "monitor.yaml"
    path.write_text(
        f"model_name: {MODEL}\nprobe_dir: {probes}\n"
        "grpc_address: 127.0.0.1:0\nmetrics_address: 127.0.0.1:0\n"
        "rules:\n  - {name: all, concept: deception, threshold: 0.0, cooldown_s: 0}\n"
        f"otlp:\n  endpoint: http://{collector.endpoint}\n  insecure: true\n"
        "  headers: {x-team: monitoring}\n  scores: true\n  schedule_delay_s: 0.05\n"
    )
    sidecar = Sidecar(load_config(path), registry, config_path=path)
    sidecar.start()
    try:
        acts = rng.normal(size=(3, D_MODEL)).astype(np.float32)
        batch = make_batch(
            acts, request_ids=["chatcmpl-42-deadbeef"], finished=["chatcmpl-42-deadbeef"]
        )
        sidecar.pipeline.offer(
            decode_batch(batch, message_bytes=batch.ByteSize(), max_batch_bytes=1 << 30)
        )
        assert sidecar.pipeline.wait_idle(10.0)
        kinds = lambda rs: sorted(r.attributes["llm_monitor.kind"] for r in rs)  # noqa: E731
        assert collector.wait_for(lambda rs: kinds(rs) == ["alert", "request_score"], 20)
    finally:
        sidecar.stop(grace=0)
    for record in collector.records():
        assert record.event_name == "gen_ai.evaluation.result"
        assert record.attributes["gen_ai.response.id"] == "chatcmpl-42"
        assert record.attributes["gen_ai.evaluation.name"] == "deception"
        assert record.resource["service.name"] == "llm-monitor"
        assert record.metadata["x-team"] == "monitoring"
    assert _sample(registry, "llm_monitor_otlp_exported_total") == 2
