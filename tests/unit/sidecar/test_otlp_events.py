"""The ``otlp:`` settings, and alerts / request scores as ``gen_ai.evaluation.result``
attributes."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.sidecar.alerts.otlp_events import (
    EVENT_NAME,
    alert_event,
    request_score_events,
)
from monitor.sidecar.config import ConfigError, load_config
from monitor.sidecar.scoring.sinks import RequestResult
from monitor.sidecar.serving_config import OtlpConfig
from monitor.v1 import query_pb2


def test_a_minimal_section_exports_alerts_not_scores(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text("otlp:\n  endpoint: otel-collector:4317\n")
    otlp = load_config(path).otlp
    assert otlp is not None
    assert (otlp.alerts, otlp.scores, otlp.insecure) == (True, False, False)
    assert otlp.address == "otel-collector:4317"
    assert load_config(None).otlp is None


def test_headers_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text("otlp:\n  endpoint: http://127.0.0.1:4317\n  insecure: true\n")
    monkeypatch.setenv("LLM_MONITOR_OTLP__HEADERS", '{"authorization": "Bearer s3cret"}')
    otlp = load_config(path).otlp
    assert otlp is not None
    assert otlp.headers == {"authorization": "Bearer s3cret"}
    assert otlp.address == "127.0.0.1:4317"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({}, r"otlp\.endpoint: Field required"),
        ({"endpoint": "collector"}, r"otlp\.endpoint: .*expected host:port"),
        ({"endpoint": "http://c:4317"}, r"plaintext: set insecure: true"),
        ({"endpoint": "https://c:4317", "insecure": True}, r"is TLS but insecure is true"),
        ({"endpoint": "c:4317", "headers": {"Authorization": "x"}}, r"lower-case"),
        ({"endpoint": "c:4317", "alerts": False}, r"both off"),
        (
            {"endpoint": "c:4317", "max_queue_size": 10, "max_export_batch_size": 20},
            r"max_export_batch_size \(20\) exceeds max_queue_size \(10\)",
        ),
        ({"endpoint": "c:4317", "ca_file": "/nonexistent.pem"}, r"not a file"),
        ({"endpoint": "c:4317", "timeout_s": 0}, r"otlp\.timeout_s"),
        ({"endpoint": "c:4317", "compression": "zstd"}, r"otlp\.compression"),
        ({"endpoint": "c:4317", "colour": "red"}, r"Extra inputs are not permitted"),
    ],
)
def test_invalid_sections_are_refused_naming_the_field(
    tmp_path: Path, section: dict[str, object], message: str
) -> None:
    import yaml

    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump({"otlp": section}))
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_client_certificate_needs_its_key(tmp_path: Path) -> None:
    pem = tmp_path / "c.pem"
    pem.write_text("x")
    with pytest.raises(ValueError, match="cert_file and key_file together"):
        OtlpConfig(endpoint="c:4317", cert_file=pem)
    with pytest.raises(ValueError, match="need TLS"):
        OtlpConfig(endpoint="c:4317", insecure=True, ca_file=pem)


def _alert(**fields: object) -> query_pb2.Alert:
    values: dict[str, object] = dict(
        alert_id="a-1",
        request_id="chatcmpl-9f2c-0a1b2c3d",
        model_name="SmolLM2",
        concept="deception",
        rule="deception-high",
        severity="critical",
        score=0.93,
        threshold=0.8,
        position=17,
        trace_stored=True,
        top_concepts=[
            query_pb2.ConceptActivation(id=4, value=2.5, label="lying"),
            query_pb2.ConceptActivation(id=9, value=1.0, label=""),
        ],
    )
    alert = query_pb2.Alert(**(values | fields))  # type: ignore[arg-type]
    alert.fired_at.FromNanoseconds(1_700_000_000_123_456_789)
    return alert


def test_an_alert_follows_the_genai_evaluation_event() -> None:
    event = alert_event(_alert())
    attributes = event.attributes
    assert EVENT_NAME == "gen_ai.evaluation.result"
    assert attributes["gen_ai.evaluation.name"] == "deception"
    assert attributes["gen_ai.evaluation.score.value"] == pytest.approx(0.93)
    assert attributes["gen_ai.evaluation.score.label"] == "flagged"
    assert attributes["gen_ai.response.id"] == "chatcmpl-9f2c"  # vLLM's suffix stripped
    assert attributes["gen_ai.request.model"] == attributes["gen_ai.response.model"] == "SmolLM2"
    explanation = attributes["gen_ai.evaluation.explanation"]
    assert isinstance(explanation, str) and "deception-high" in explanation
    assert "0.930" in explanation and "0.800" in explanation and "token 17" in explanation
    assert attributes["llm_monitor.kind"] == "alert"
    assert attributes["llm_monitor.request_id"] == "chatcmpl-9f2c-0a1b2c3d"
    assert attributes["llm_monitor.alert_id"] == "a-1"
    assert attributes["llm_monitor.rule"] == "deception-high"
    assert attributes["llm_monitor.severity"] == "critical"
    assert attributes["llm_monitor.threshold"] == pytest.approx(0.8)
    assert attributes["llm_monitor.position"] == 17
    assert attributes["llm_monitor.suppressed"] is False
    assert attributes["llm_monitor.trace_stored"] is True
    assert attributes["llm_monitor.top_concepts"] == ["lying", "9"]
    assert attributes["llm_monitor.top_concept_ids"] == [4, 9]
    assert attributes["llm_monitor.top_concept_values"] == [2.5, 1.0]
    assert "llm_monitor.tenant" not in attributes
    assert (event.severity_text, event.severity_number) == ("CRITICAL", 17)  # ERROR
    assert event.timestamp_ns == 1_700_000_000_123_456_789


def test_severities_map_to_log_severity_numbers() -> None:
    numbers = {s: alert_event(_alert(severity=s)).severity_number for s in ("info", "warning")}
    assert numbers == {"info": 9, "warning": 13}
    assert "llm_monitor.top_concepts" not in alert_event(query_pb2.Alert(concept="x")).attributes


def test_the_alert_carries_the_external_id_and_tenant_when_set() -> None:
    fields = query_pb2.Alert.DESCRIPTOR.fields_by_name
    assert "external_request_id" in fields and "tenant" in fields
    attributes = alert_event(
        _alert(external_request_id="chatcmpl-client", tenant="acme")
    ).attributes
    assert attributes["gen_ai.response.id"] == "chatcmpl-client"
    assert attributes["llm_monitor.tenant"] == "acme"


def test_request_scores_are_labelled_against_the_calibrated_threshold() -> None:
    result = RequestResult(
        model_name="SmolLM2",
        request_id="cmpl-7-00ff00ff",
        end="finished",
        scores={"misuse": 0.2, "deception": 0.7},
        tokens_scored={"misuse": 30, "deception": 30},
    )
    events = request_score_events(result, {"deception": 0.5, "misuse": 0.5}, now_ns=42)
    by_concept = {e.attributes["gen_ai.evaluation.name"]: e for e in events}
    assert sorted(by_concept) == ["deception", "misuse"]
    deception = by_concept["deception"].attributes
    assert deception["gen_ai.evaluation.score.label"] == "flagged"
    assert by_concept["misuse"].attributes["gen_ai.evaluation.score.label"] == "pass"
    assert deception["gen_ai.evaluation.score.value"] == pytest.approx(0.7)
    assert deception["gen_ai.response.id"] == "cmpl-7"
    assert deception["llm_monitor.kind"] == "request_score"
    assert deception["llm_monitor.threshold"] == 0.5
    assert deception["llm_monitor.tokens_scored"] == 30
    assert "0.700 >= calibrated threshold 0.500 over 30 tokens" in str(
        deception["gen_ai.evaluation.explanation"]
    )
    assert {(e.timestamp_ns, e.severity_number) for e in events} == {(42, 9)}


def test_only_finished_requests_have_score_events() -> None:
    for end in ("expired", "shutdown"):
        result = RequestResult("m", "r", end, scores={"deception": 0.9})  # type: ignore[arg-type]
        assert request_score_events(result, {"deception": 0.5}) == []
    unknown = RequestResult("m", "r", "finished", scores={"new": 0.9})
    (event,) = request_score_events(unknown, {})
    assert "gen_ai.evaluation.score.label" not in event.attributes
    assert event.attributes["gen_ai.evaluation.score.value"] == pytest.approx(0.9)
