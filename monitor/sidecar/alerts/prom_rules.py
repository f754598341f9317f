"""Prometheus alerting rules generated from monitor.yaml's rules (``llm-monitor rules``).

One Prometheus alert per monitor.yaml rule, on the counter the sidecar increments when
that rule's concept and severity fire: it is pending while
``increase(llm_monitor_alerts_total{concept, severity}[window])`` is above zero, per model.
Every firing is counted, also within a rule's cooldown (the cooldown only spaces out
WatchAlerts notifications; deduplicating Prometheus alerts is Alertmanager's job); rules
that share a concept and a severity share a series.

With ``health`` settings the static health group (``health_rules``) follows; the document
is printed as a Prometheus ``rule_files`` file or as a Prometheus Operator
``PrometheusRule`` resource (same groups under ``spec``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

from monitor.sidecar.alerts.health_rules import HealthSettings, health_rules
from monitor.sidecar.config import CALIBRATED, RuleConfig

DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
GROUP_NAME = "llm-monitor"
FORMATS = ("rules", "prometheusrule")
#: labels of the PrometheusRule resource; add the ones the operator's ruleSelector wants
RESOURCE_LABELS = {
    "app.kubernetes.io/name": "llm-monitor",
    "app.kubernetes.io/component": "alerting",
}


def alert_name(rule_name: str) -> str:
    """``deception-high`` -> ``LlmMonitorDeceptionHigh`` (letters and digits only)."""
    words = re.split(r"[^A-Za-z0-9]+", rule_name)
    return "LlmMonitor" + "".join(word[:1].upper() + word[1:] for word in words if word)


def _quote(value: str) -> str:
    """A PromQL double-quoted string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _threshold_text(rule: RuleConfig) -> str:
    if rule.threshold == CALIBRATED:
        return "the probe's calibrated threshold"
    return f"threshold {rule.threshold:g}"


def prometheus_rules(
    rules: Sequence[RuleConfig], window: str = "5m", query_address: str = ""
) -> dict[str, Any]:
    """The rules file as a document (``groups: [...]``); the annotations' query command
    names ``query_address`` (the hub, in hub mode) when given."""
    where = f" --address {query_address}" if query_address else ""
    if not DURATION.match(window):
        raise ValueError(f"window must be a Prometheus duration such as 5m or 1h, got {window!r}")
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for rule in rules:
        name = alert_name(rule.name)
        base, n = name, 2
        while name in used:
            name, n = f"{base}{n}", n + 1
        used.add(name)
        selector = f"concept={_quote(rule.concept)},severity={_quote(rule.severity)}"
        out.append(
            {
                "alert": name,
                "expr": (
                    "sum by (model_name) "
                    f"(increase(llm_monitor_alerts_total{{{selector}}}[{window}])) > 0"
                ),
                "labels": {
                    "severity": rule.severity,
                    "concept": rule.concept,
                    "monitor_rule": rule.name,
                },
                "annotations": {
                    "summary": (
                        f"llm-monitor rule {rule.name} ({rule.concept}) fired for model "
                        "{{ $labels.model_name }}"
                    ),
                    "description": (
                        "{{ $value | humanize }} "
                        f"{rule.severity} alert(s) for concept {rule.concept} in the last "
                        f"{window} ({_threshold_text(rule)}, at least {rule.min_tokens} "
                        "token(s)). Flagged requests: `llm-monitor query --concept "
                        f"{rule.concept}{where}`."
                    ),
                },
            }
        )
    return {"groups": [{"name": GROUP_NAME, "rules": out}]}


def prometheus_rule_resource(
    document: dict[str, Any], name: str = GROUP_NAME, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    """The groups as a ``monitoring.coreos.com/v1`` ``PrometheusRule``."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": name, "labels": {**RESOURCE_LABELS, **(labels or {})}},
        "spec": document,
    }


def render(
    rules: Sequence[RuleConfig],
    window: str = "5m",
    *,
    health: HealthSettings | None = None,
    fmt: str = "rules",
    name: str = GROUP_NAME,
    labels: dict[str, str] | None = None,
    query_address: str = "",
) -> str:
    """The rules file (``fmt="rules"``) or PrometheusRule resource as YAML text; with
    ``health``, the health group follows the concept group."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    document = prometheus_rules(rules, window, query_address)
    if health is not None:
        document["groups"].append(health_rules(health))
    header = (
        "# Prometheus alerting rules generated by `llm-monitor rules` from monitor.yaml.\n"
        "# Regenerate after changing the rules there.\n"
    )
    body: dict[str, Any] = document
    if fmt == "prometheusrule":
        body = prometheus_rule_resource(document, name, labels)
    return header + yaml.safe_dump(body, sort_keys=False, width=1 << 16)
