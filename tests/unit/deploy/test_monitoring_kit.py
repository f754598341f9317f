"""The Grafana dashboard, its provisioning and the Kubernetes monitoring kit, read as files.

The dashboard's PromQL is also evaluated against a real Prometheus in
tests/integration/test_monitoring_kit.py; here every metric it names must exist in the
sidecar's registry (or be vLLM's, checked against the installed vLLM's source).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import SidecarConfig

from .dashboard import REPO, family, load, metric_names, panels, queries, substitute

VARIABLES = {
    "datasource": "prometheus",
    "job": "llm-monitor",
    "model_name": "m",
    "concept": "misuse",
    "__rate_interval": "1m",
    "__range": "1h",
}


def _sidecar_families(tmp_path: Path) -> set[str]:
    """Family names the sidecar registers (with a trace store, so that its families too)."""
    config = SidecarConfig(
        model_name="m",
        grpc_address="127.0.0.1:0",
        metrics_address="127.0.0.1:0",
        storage={"path": tmp_path / "traces.sqlite"},
    )
    registry = CollectorRegistry()
    Sidecar(config, registry)
    return {metric.name for metric in registry.collect()}


def test_every_panel_has_a_datasource_and_targets() -> None:
    dashboard = load()
    seen_ids: set[int] = set()
    shown = list(panels(dashboard))
    assert len(shown) >= 20
    for panel in shown:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel
        assert panel["targets"], panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"]
            assert target["expr"].strip(), panel["title"]
        assert panel["id"] not in seen_ids
        seen_ids.add(panel["id"])
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
    names = [v["name"] for v in dashboard["templating"]["list"]]
    assert names == ["datasource", "job", "model_name", "concept"]


def test_every_variable_a_panel_uses_is_defined() -> None:
    dashboard = load()
    defined = {v["name"] for v in dashboard["templating"]["list"]}
    for query in queries(dashboard):
        substitute(query.expr, {name: "x" for name in defined | {"__rate_interval", "__range"}})


def test_dashboard_covers_the_fleet_overview() -> None:
    """The issue's list: scored vs vLLM tokens joined on model_name, drops by reason, score
    distributions per concept, alerts by concept and severity, capture, queue, trace store,
    latency quantiles."""
    exprs = " ".join(q.expr for q in queries(load()))
    for needed in (
        "llm_monitor_tokens_scored_total",
        "vllm:generation_tokens_total",
        "/ on (model_name)",
        "sum by (reason) (rate(llm_monitor_activations_dropped_total",
        "llm_monitor_request_score_bucket",
        "sum by (concept, severity) (increase(llm_monitor_alerts_total",
        "llm_monitor_capture_up",
        "llm_monitor_ingest_queue_bytes",
        "llm_monitor_traces_lost_total",
        "histogram_quantile(0.99, sum by (le, model_name) "
        "(rate(llm_monitor_scoring_duration_seconds_bucket",
        "llm_monitor_ingest_to_score_seconds_bucket",
        "llm_monitor_capture_to_score_seconds_bucket",
        "llm_monitor_trace_write_duration_seconds_bucket",
    ):
        assert needed in exprs, needed


def test_every_sidecar_metric_a_panel_uses_exists(tmp_path: Path) -> None:
    families = _sidecar_families(tmp_path)
    used = {name for q in queries(load()) for name in metric_names(q.expr)}
    sidecar = {name for name in used if name.startswith("llm_monitor_")}
    assert len(sidecar) >= 15
    missing = sorted(name for name in sidecar if family(name) not in families)
    assert not missing, f"panels read metrics the sidecar does not export: {missing}"


def test_every_vllm_metric_a_panel_uses_exists_in_vllm() -> None:
    spec = importlib.util.find_spec("vllm")
    if spec is None or spec.origin is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("vllm is not installed")
        pytest.skip("vllm is not installed")
    source = (Path(spec.origin).parent / "v1" / "metrics" / "loggers.py").read_text()
    used = {name for q in queries(load()) for name in metric_names(q.expr)}
    vllm = {name for name in used if name.startswith("vllm:")}
    assert {"vllm:generation_tokens_total", "vllm:prompt_tokens_total"} <= vllm
    missing = sorted(name for name in vllm if f'"{family(name)}"' not in source)
    assert not missing, f"panels read metrics the installed vLLM does not define: {missing}"


def test_substitute() -> None:
    expr = 'rate(x{model_name=~"$model_name"}[$__rate_interval]) ${job:regex}'
    assert substitute(expr, VARIABLES) == 'rate(x{model_name=~"m"}[1m]) llm-monitor'
    with pytest.raises(KeyError, match="nope"):
        substitute("$nope", VARIABLES)


def test_compose_provisioning_matches_the_mounts() -> None:
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())
    grafana = compose["services"]["grafana"]
    mounts = dict(v.rsplit(":", 1)[0].split(":", 1) for v in grafana["volumes"] if "./" in v)
    assert mounts["./grafana/dashboards"] == "/var/lib/grafana/dashboards"
    provider = yaml.safe_load(
        (REPO / "deploy/grafana/provisioning/dashboards/llm-monitor.yaml").read_text()
    )
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    source = yaml.safe_load(
        (REPO / "deploy/grafana/provisioning/datasources/prometheus.yaml").read_text()
    )
    assert source["datasources"][0]["type"] == "prometheus"
    assert source["datasources"][0]["url"] == "http://prometheus:9090"
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            if volume.startswith("./"):
                assert (REPO / "deploy" / volume.split(":")[0]).exists(), volume


def test_compose_sidecar_can_fire_and_alertmanager_is_wired() -> None:
    """The compose sidecar runs rules, a trace store and the encoder; Prometheus sends to
    Alertmanager, whose receiver is the webhook service."""
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())
    sidecar = compose["services"]["sidecar"]
    assert "./monitor.compose.yaml:/etc/llm-monitor/monitor.yaml:ro" in sidecar["volumes"]
    config = yaml.safe_load((REPO / "deploy" / "monitor.compose.yaml").read_text())
    assert config["rules"] and config["encoder_dir"] and config["storage"]["path"]
    assert config["probe_dir"] == "/opt/llm-monitor/probes"
    prometheus = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    (target,) = prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert target == "alertmanager:9093" and "alertmanager" in compose["services"]
    jobs = [job["job_name"] for job in prometheus["scrape_configs"]]
    assert "llm-monitor" in jobs and "vllm" in jobs
    alertmanager = yaml.safe_load((REPO / "deploy/alertmanager/alertmanager.yml").read_text())
    (receiver,) = alertmanager["receivers"]
    assert alertmanager["route"]["receiver"] == receiver["name"]
    assert receiver["webhook_configs"][0]["url"].startswith("http://alert-webhook:8080/")
    assert "alert-webhook" in compose["services"]


def test_kubernetes_monitoring_kustomization() -> None:
    root = REPO / "deploy" / "kubernetes" / "monitoring"
    kustomization = yaml.safe_load((root / "kustomization.yaml").read_text())
    resources = kustomization["resources"]
    assert "../../grafana" in resources
    kinds = {}
    for name in resources:
        if name.endswith(".yaml"):
            doc = yaml.safe_load((root / name).read_text())
            kinds[doc["kind"]] = doc
    assert set(kinds) == {"ServiceMonitor", "PodMonitor", "PrometheusRule"}
    service_monitor = kinds["ServiceMonitor"]["spec"]["endpoints"][0]
    assert service_monitor["port"] == "metrics"
    assert service_monitor["relabelings"] == [{"targetLabel": "job", "replacement": "llm-monitor"}]
    assert kinds["PodMonitor"]["spec"]["podMetricsEndpoints"][0]["port"] == "http"
    grafana = yaml.safe_load((REPO / "deploy" / "grafana" / "kustomization.yaml").read_text())
    (generator,) = grafana["configMapGenerator"]
    assert generator["options"]["labels"]["grafana_dashboard"] == "1"
    assert generator["files"] == ["dashboards/llm-monitor.json"]


def test_monitors_select_the_base_manifests() -> None:
    """The ServiceMonitor's and PodMonitor's selectors and ports exist in deploy/kubernetes."""
    base = REPO / "deploy" / "kubernetes"
    monitoring = base / "monitoring"
    service = yaml.safe_load((base / "service.yaml").read_text())
    service_monitor = yaml.safe_load((monitoring / "servicemonitor.yaml").read_text())
    selector = service_monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    assert "metrics" in {port["name"] for port in service["spec"]["ports"]}
    deployment = next(
        doc
        for doc in yaml.safe_load_all((base / "deployment.yaml").read_text())
        if doc and doc.get("kind") == "Deployment"
    )
    pod = deployment["spec"]["template"]
    pod_monitor = yaml.safe_load((monitoring / "podmonitor.yaml").read_text())
    assert (
        pod_monitor["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    )
    containers = pod["spec"]["containers"] + pod["spec"].get("initContainers", [])
    ports = {port["name"] for c in containers for port in c.get("ports", [])}
    assert {"http", "metrics"} <= ports
