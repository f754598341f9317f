"""Reading the shipped Grafana dashboard: its panels, their PromQL, the metrics they use."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "llm-monitor.json"

#: metric names in PromQL: the sidecar's (llm_monitor_*) and vLLM's (vllm:*)
_METRIC = re.compile(r"\b(llm_monitor_[a-z0-9_]+|vllm:[a-z0-9_:]+)")
#: suffixes Prometheus adds to a family's name for its samples
SAMPLE_SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_created")


@dataclass(frozen=True)
class PanelQuery:
    """One target of one panel."""

    panel: str
    ref_id: str
    expr: str


def load() -> dict[str, Any]:
    """The dashboard JSON."""
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel that shows data (rows skipped, panels inside collapsed rows included)."""
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def queries(dashboard: dict[str, Any]) -> list[PanelQuery]:
    """Every target's PromQL, with the panel title."""
    return [
        PanelQuery(panel["title"], target["refId"], target["expr"])
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
    ]


def metric_names(expr: str) -> set[str]:
    """The llm_monitor_* and vllm:* metric names an expression reads."""
    return set(_METRIC.findall(expr))


def family(sample_name: str) -> str:
    """``x_total`` / ``x_bucket`` ... -> ``x``."""
    for suffix in SAMPLE_SUFFIXES:
        if sample_name.endswith(suffix):
            return sample_name[: -len(suffix)]
    return sample_name


def substitute(expr: str, values: dict[str, str]) -> str:
    """The expression with Grafana variables ($name, ${name}, ${name:opt}) replaced."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise KeyError(f"no value for dashboard variable ${name} in {expr!r}")
        return values[name]

    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", one, expr)
