"""The Kubernetes manifests keep their promises: the monitor fails open (a native sidecar
without a readiness probe), HTTP probes on the endpoints the sidecar serves, Guaranteed QoS
where the comments say so, and settings the code actually reads.

Schema validity and the rendered kustomizations are checked by ``make lint-deploy``; these
tests read the source files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.plugin.settings import PluginSettings
from monitor.sidecar.config import load_config
from monitor.sidecar.security import AuthConfig

ROOT = Path(__file__).resolve().parents[3]
KUBE = ROOT / "deploy" / "kubernetes"
BASE = KUBE / "deployment.yaml"
COMPONENT = KUBE / "components" / "llm-monitor"
PATCH = COMPONENT / "sidecar-patch.yaml"
HEALTH_PATHS = {"/healthz", "/readyz"}


def _pod(path: Path) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(path.read_text())["spec"]["template"]["spec"]
    return spec


def _sidecar(pod: dict[str, Any]) -> dict[str, Any]:
    (sidecar,) = [c for c in pod.get("initContainers", []) if "serve" in c.get("args", [])]
    return sidecar


def _port(container: dict[str, Any], name: str) -> int:
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    return int(ports[name])


def _metrics_port() -> int:
    """The port of the sidecar's metrics_address in both monitor.yaml files (the same)."""
    ports = {
        int(yaml.safe_load(path.read_text())["metrics_address"].rsplit(":", 1)[1])
        for path in (KUBE / "monitor.yaml", COMPONENT / "monitor.yaml")
    }
    assert len(ports) == 1, ports
    return ports.pop()


@pytest.mark.parametrize("path", [BASE, PATCH], ids=["base", "component"])
def test_the_sidecar_is_a_native_sidecar_that_cannot_gate_readiness(path: Path) -> None:
    pod = _pod(path)
    sidecar = _sidecar(pod)
    assert sidecar["restartPolicy"] == "Always"
    assert "readinessProbe" not in sidecar
    assert all("serve" not in c.get("args", []) for c in pod["containers"])


@pytest.mark.parametrize("path", [BASE, PATCH], ids=["base", "component"])
def test_the_sidecar_probes_are_http_on_the_metrics_port(path: Path) -> None:
    pod = _pod(path)
    sidecar = _sidecar(pod)
    startup, liveness = sidecar["startupProbe"], sidecar["livenessProbe"]
    assert startup["httpGet"]["path"] == "/readyz"
    assert liveness["httpGet"]["path"] == "/healthz"
    for probe in (startup, liveness):
        assert set(probe) & {"exec", "grpc", "tcpSocket"} == set()
        assert probe["httpGet"]["path"] in HEALTH_PATHS
        assert _port(sidecar, probe["httpGet"]["port"]) == _metrics_port()


def test_no_probe_starts_a_process() -> None:
    for path in [*KUBE.rglob("*.yaml")]:
        assert "exec:" not in path.read_text(), path


@pytest.mark.parametrize("path", [BASE, PATCH], ids=["base", "component"])
def test_requests_equal_limits_with_whole_cpus(path: Path) -> None:
    """Guaranteed QoS for the pod (base) or a sidecar that keeps a Guaranteed pod so."""
    pod = _pod(path)
    containers = [*pod.get("initContainers", []), *pod["containers"]]
    if path == PATCH:
        containers = [_sidecar(pod)]
    for container in containers:
        resources = container["resources"]
        assert resources["requests"] == resources["limits"], container["name"]
        assert re.fullmatch(r"\d+", str(resources["limits"]["cpu"])), container["name"]


def test_the_metrics_service_port_is_a_number() -> None:
    """A Service cannot resolve a native sidecar's named port before Kubernetes 1.32."""
    service = yaml.safe_load((KUBE / "service.yaml").read_text())
    (metrics,) = [p for p in service["spec"]["ports"] if p["name"] == "metrics"]
    assert metrics["targetPort"] == _metrics_port()


def _env_names(path: Path) -> set[str]:
    pod = _pod(path)
    return {
        env["name"]
        for container in [*pod.get("initContainers", []), *pod["containers"]]
        for env in container.get("env", [])
    }


@pytest.mark.parametrize("path", [BASE, PATCH], ids=["base", "component"])
def test_the_token_variables_are_settings_the_code_reads(path: Path) -> None:
    names = _env_names(path)
    assert {"LLM_MONITOR_AUTH__INGEST_TOKEN", "LLM_MONITOR_PLUGIN_INGEST_TOKEN"} <= names
    for name in names:
        if name.startswith("LLM_MONITOR_PLUGIN_"):
            field = name.removeprefix("LLM_MONITOR_PLUGIN_").lower()
            assert field in PluginSettings.model_fields, name
        elif name.startswith("LLM_MONITOR_AUTH__"):
            assert name.removeprefix("LLM_MONITOR_AUTH__").lower() in AuthConfig.model_fields


def test_the_secret_tokens_reach_both_sides(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the Secret's keys become: the same ingest token on both sides, query tokens."""
    token = "0123456789abcdef0123456789abcdef"
    monkeypatch.setenv("LLM_MONITOR_AUTH__INGEST_TOKEN", token)
    monkeypatch.setenv("LLM_MONITOR_AUTH__TOKENS", f'["{token}"]')
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_INGEST_TOKEN", token)
    config = load_config(COMPONENT / "monitor.yaml")
    assert config.auth.ingest_token is not None
    assert config.auth.ingest_token.get_secret_value() == token
    assert [t.get_secret_value() for t in config.auth.tokens] == [token]
    plugin = PluginSettings()
    assert plugin.ingest_token is not None and plugin.ingest_token.get_secret_value() == token


def test_the_component_config_loads() -> None:
    config = load_config(COMPONENT / "monitor.yaml")
    assert config.grpc_address == "unix:/run/llm-monitor/ingest.sock"
    assert config.storage.path is not None


def test_nothing_says_ingest_is_unauthenticated() -> None:
    for path in [*KUBE.rglob("*.yaml"), ROOT / "deploy" / "README.md"]:
        assert "unauthenticated" not in path.read_text().lower(), path
        assert "not authenticated" not in path.read_text().lower(), path
