"""`llm-monitor rules` output checked and unit-tested by the real `promtool` (Prometheus).

promtool comes from the Debian package `prometheus` (scripts/install_prometheus.sh). Under
CI=true a missing promtool fails the test; elsewhere it is skipped with the install hint.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

MONITOR_YAML = """
rules:
  - name: deception
    concept: deception
    min_tokens: 4
  - name: misuse-burst
    concept: misuse
    threshold: 0.9
    aggregation: {method: rolling_mean_max, window: 8}
    severity: critical
  - name: "eval \\"awareness\\""
    concept: eval_awareness
    threshold: 0.7
    aggregation: {method: ema, alpha: 0.2}
    severity: info
"""


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        message = "promtool not found: run scripts/install_prometheus.sh"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def llm_monitor_rules(config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "rules", "--config", str(config), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def test_generated_rules_pass_promtool_check(promtool: str, tmp_path: Path) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(MONITOR_YAML)
    result = llm_monitor_rules(config)
    assert result.returncode == 0, result.stderr
    rules = tmp_path / "rules.yml"
    rules.write_text(result.stdout)
    check = subprocess.run(
        [promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 3 rules found" in check.stdout


def test_shipped_example_passes_promtool_check(promtool: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    result = llm_monitor_rules(REPO / "deploy" / "monitor.yaml", "--output", str(rules))
    assert result.returncode == 0, result.stderr
    check = subprocess.run(
        [promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_alert_fires_while_the_counter_increases(promtool: str, tmp_path: Path) -> None:
    """promtool's rule unit test: the misuse alert is pending only within 5m of an increase,
    per model, and not for the other concepts' or severities' series."""
    config = tmp_path / "monitor.yaml"
    config.write_text(MONITOR_YAML)
    result = llm_monitor_rules(config, "--output", str(tmp_path / "rules.yml"))
    assert result.returncode == 0, result.stderr
    generated = yaml.safe_load((tmp_path / "rules.yml").read_text())
    misuse = next(
        r for r in generated["groups"][0]["rules"] if r["alert"] == "LlmMonitorMisuseBurst"
    )
    labels = {
        "model_name": "m",
        "severity": "critical",
        "concept": "misuse",
        "monitor_rule": "misuse-burst",
    }
    series = 'llm_monitor_alerts_total{{model_name="{m}",concept="{c}",severity="{s}"}}'
    tests = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {
                        "series": series.format(m="m", c="misuse", s="critical"),
                        "values": "0 0 1 1 1 1 1 1 1 1 1 1",
                    },
                    {
                        "series": series.format(m="m", c="misuse", s="warning"),
                        "values": "0 5 10 15 20 25 30 35 40 45 50 55",
                    },
                    {
                        "series": series.format(m="other", c="deception", s="warning"),
                        "values": "0 0 0 0 0 0 0 0 0 0 0 0",
                    },
                ],
                "alert_rule_test": [
                    {"eval_time": "1m", "alertname": "LlmMonitorMisuseBurst", "exp_alerts": []},
                    {
                        "eval_time": "3m",
                        "alertname": "LlmMonitorMisuseBurst",
                        "exp_alerts": [
                            {
                                "exp_labels": labels,
                                "exp_annotations": {
                                    "summary": misuse["annotations"]["summary"].replace(
                                        "{{ $labels.model_name }}", "m"
                                    ),
                                    "description": misuse["annotations"]["description"].replace(
                                        "{{ $value | humanize }}", "1"
                                    ),
                                },
                            }
                        ],
                    },
                    {"eval_time": "10m", "alertname": "LlmMonitorMisuseBurst", "exp_alerts": []},
                    {"eval_time": "5m", "alertname": "LlmMonitorDeception", "exp_alerts": []},
                ],
            }
        ],
    }
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    run = subprocess.run(
        [promtool, "test", "rules", "tests.yml"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout


def test_deployed_rules_file_is_current_and_valid(promtool: str, tmp_path: Path) -> None:
    """deploy/prometheus/rules/llm-monitor.yml is what `llm-monitor rules --health` makes of
    deploy/monitor.compose.yaml (the compose sidecar's configuration), and promtool accepts
    it."""
    shipped = REPO / "deploy" / "prometheus" / "rules" / "llm-monitor.yml"
    check = subprocess.run(
        [promtool, "check", "rules", str(shipped)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr
    config = yaml.safe_load((REPO / "deploy" / "monitor.compose.yaml").read_text())
    # image paths, not needed for rules
    config["probe_dir"] = config["encoder_dir"] = config["tokenizer_path"] = None
    local = tmp_path / "monitor.yaml"
    local.write_text(yaml.safe_dump(config))
    result = llm_monitor_rules(local, "--health")
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout) == yaml.safe_load(shipped.read_text())
