"""The health-alert group, the PrometheusRule format and the shipped rule files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.cli import main
from monitor.cli.exit_codes import ExitCode
from monitor.sidecar.alerts.health_rules import HEALTH_GROUP_NAME, HealthSettings, health_rules
from monitor.sidecar.alerts.prom_rules import render
from monitor.sidecar.config import IngestConfig, RuleConfig

REPO = Path(__file__).resolve().parents[3]
EXPECTED = {
    "LlmMonitorTargetDown",
    "LlmMonitorCaptureDown",
    "LlmMonitorActivationsDropped",
    "LlmMonitorIngestQueueSaturated",
    "LlmMonitorUnhealthy",
    "LlmMonitorTraceWritesDropped",
    "LlmMonitorTracesLost",
    "LlmMonitorTraceSpoolBacklog",
    "LlmMonitorConfigReloadFailed",
}


def _by_name(group: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for rule in group["rules"]}


def test_health_group_alerts_and_runbook_links() -> None:
    group = health_rules(HealthSettings(IngestConfig(), runbook_url="https://x/README.md"))
    assert group["name"] == HEALTH_GROUP_NAME
    rules = _by_name(group)
    assert set(rules) == EXPECTED
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["runbook_url"] == f"https://x/README.md#{name.lower()}"
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert re.fullmatch(r"[0-9]+m", rule["for"])
    assert rules["LlmMonitorTargetDown"]["expr"] == 'up{job="llm-monitor"} == 0'
    assert rules["LlmMonitorCaptureDown"]["expr"] == "llm_monitor_capture_up == 0"
    dropped = rules["LlmMonitorActivationsDropped"]["expr"]
    assert 'llm_monitor_activations_dropped_total{reason!="opted_out"}' in dropped
    assert dropped.endswith("> 0.05")


def test_queue_thresholds_and_job_come_from_the_settings() -> None:
    ingest = IngestConfig(queue_size=100, max_queue_bytes=1000)
    rules = _by_name(health_rules(HealthSettings(ingest, job='my"job')))
    assert rules["LlmMonitorTargetDown"]["expr"] == 'up{job="my\\"job"} == 0'
    expr = rules["LlmMonitorIngestQueueSaturated"]["expr"]
    assert "(llm_monitor_ingest_queue_depth) > 80 or" in expr
    assert expr.endswith("(llm_monitor_ingest_queue_bytes) > 800")
    assert "100 batches" in rules["LlmMonitorIngestQueueSaturated"]["annotations"]["description"]


def test_runbook_anchors_exist_in_deploy_readme() -> None:
    """Every runbook_url anchor is a heading of the Runbook section of deploy/README.md."""
    text = (REPO / "deploy" / "README.md").read_text()
    runbook = text[text.index("\n## Runbook\n") :]
    anchors = {h.strip().lower() for h in re.findall(r"^### (.+)$", runbook, re.MULTILINE)}
    assert {n.lower() for n in EXPECTED} <= anchors


def test_render_formats() -> None:
    rules = [RuleConfig.model_validate({"name": "m", "concept": "misuse"})]
    plain = yaml.safe_load(render(rules))
    assert [g["name"] for g in plain["groups"]] == ["llm-monitor"]
    health = HealthSettings(IngestConfig())
    both = yaml.safe_load(render(rules, health=health))
    assert [g["name"] for g in both["groups"]] == ["llm-monitor", HEALTH_GROUP_NAME]
    resource = yaml.safe_load(
        render(rules, health=health, fmt="prometheusrule", name="mon", labels={"release": "k"})
    )
    assert resource["apiVersion"] == "monitoring.coreos.com/v1"
    assert resource["kind"] == "PrometheusRule"
    assert resource["metadata"]["name"] == "mon"
    assert resource["metadata"]["labels"]["release"] == "k"
    assert resource["metadata"]["labels"]["app.kubernetes.io/name"] == "llm-monitor"
    assert resource["spec"] == both
    with pytest.raises(ValueError, match="format must be one of"):
        render(rules, fmt="json")


def test_cli_prometheusrule_and_health(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text("ingest: {queue_size: 10}\nrules: [{name: d, concept: deception}]\n")
    assert main(["rules", "--config", str(config)]) == 0
    default = yaml.safe_load(capsys.readouterr().out)
    assert [g["name"] for g in default["groups"]] == ["llm-monitor"]  # unchanged default
    args = ["rules", "--config", str(config), "--format", "prometheusrule", "--health"]
    extra = ["--label", "release=kps", "--job", "sidecar", "--runbook-url", "https://h/r.md"]
    assert main([*args, *extra]) == 0
    resource = yaml.safe_load(capsys.readouterr().out)
    assert resource["kind"] == "PrometheusRule"
    assert resource["metadata"]["labels"]["release"] == "kps"
    health = _by_name(resource["spec"]["groups"][1])
    assert health["LlmMonitorTargetDown"]["expr"] == 'up{job="sidecar"} == 0'
    assert "> 8 or" in health["LlmMonitorIngestQueueSaturated"]["expr"]
    runbook = health["LlmMonitorTracesLost"]["annotations"]["runbook_url"]
    assert runbook == "https://h/r.md#llmmonitortraceslost"
    assert main([*args, "--label", "novalue"]) == ExitCode.USAGE
    assert "KEY=VALUE" in capsys.readouterr().err


def _generated(config_path: Path, tmp_path: Path, *args: str) -> Any:
    """`llm-monitor rules` of a shipped monitor.yaml, with its image paths unset."""
    config = yaml.safe_load(config_path.read_text())
    config["probe_dir"] = config["encoder_dir"] = config["tokenizer_path"] = None
    local = tmp_path / "monitor.yaml"
    local.write_text(yaml.safe_dump(config))
    out = tmp_path / "out.yaml"
    assert main(["rules", "--config", str(local), "--output", str(out), *args]) == 0
    return yaml.safe_load(out.read_text())


def test_shipped_rule_files_are_current(tmp_path: Path) -> None:
    """The committed rule files are what their commands (in their headers) print now."""
    compose = _generated(REPO / "deploy" / "monitor.compose.yaml", tmp_path, "--health")
    shipped = REPO / "deploy" / "prometheus" / "rules" / "llm-monitor.yml"
    assert compose == yaml.safe_load(shipped.read_text()), "regenerate " + str(shipped)
    kubernetes = _generated(
        REPO / "deploy" / "kubernetes" / "monitor.yaml",
        tmp_path,
        "--format",
        "prometheusrule",
        "--health",
    )
    resource = REPO / "deploy" / "kubernetes" / "monitoring" / "prometheusrule.yaml"
    assert kubernetes == yaml.safe_load(resource.read_text()), "regenerate " + str(resource)
    assert [g["name"] for g in kubernetes["spec"]["groups"]] == [
        "llm-monitor",
        "llm-monitor-health",
    ]
