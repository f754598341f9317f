"""The fleet store on Kubernetes: the hub (deploy/kubernetes/hub/) and the sidecar in hub
mode (components/hub-mode), wired to each other, to their Secrets, and to settings the code
accepts (each configuration loaded with its process's loader and the environment the
manifests give it).

Rendering and schema validity are checked by ``make lint-deploy``; these tests read the
source files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.hub.config import ENV_PREFIX as HUB_ENV_PREFIX
from monitor.hub.config import HubAuthConfig, HubConfig, load_hub_config
from monitor.sidecar.addresses import parse_host_port
from monitor.sidecar.config import ConfigError, SidecarConfig, load_config

ROOT = Path(__file__).resolve().parents[3]
KUBE = ROOT / "deploy" / "kubernetes"
HUB = KUBE / "hub"
HUB_MODE = KUBE / "components" / "hub-mode"
AUTH_SECRET = "llm-monitor-hub-auth"
MIB = 2**20
TOKEN = "0123456789abcdef0123456789abcdef"
#: what the Secret llm-monitor-hub-auth holds (deploy/README.md "Fleet store")
SECRET = {
    "ingest-token": TOKEN,
    "ingest-tokens": json.dumps([TOKEN]),
    "query-tokens": json.dumps(["fedcba9876543210fedcba9876543210"]),
}
POD_NAME = "llm-monitor-7d9f8b6c5-x2k4q"


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def _hub_pod() -> dict[str, Any]:
    pod: dict[str, Any] = _load(HUB / "deployment.yaml")["spec"]["template"]["spec"]
    return pod


def _hub_container() -> dict[str, Any]:
    (container,) = _hub_pod()["containers"]
    return container


def _mount(container: dict[str, Any], volume: str) -> str:
    (path,) = [m["mountPath"] for m in container["volumeMounts"] if m["name"] == volume]
    return str(path)


def _volume(pod: dict[str, Any], name: str) -> dict[str, Any]:
    (volume,) = [v for v in pod["volumes"] if v["name"] == name]
    return volume


def _port(container: dict[str, Any], name: str) -> int:
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    return int(ports[name])


def _secret_env(container: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Set the container's env as Kubernetes would from ``SECRET``; the names set."""
    names = set()
    for env in container.get("env", []):
        ref = env.get("valueFrom", {}).get("secretKeyRef")
        if ref is None:
            continue
        assert ref["name"] == AUTH_SECRET and not ref.get("optional", False), env
        monkeypatch.setenv(env["name"], SECRET[ref["key"]])
        names.add(env["name"])
    return names


def _hub_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> HubConfig:
    """hub.yaml with the Deployment's Secret env; the mounted password file stood in for."""
    _secret_env(_hub_container(), monkeypatch)
    password = tmp_path / "password"
    password.write_text("secret\n")
    monkeypatch.setenv(f"{HUB_ENV_PREFIX}STORAGE__PASSWORD_FILE", str(password))
    return load_hub_config(HUB / "hub.yaml")


def test_two_stateless_replicas_spread_and_disruption_bounded() -> None:
    deployment = _load(HUB / "deployment.yaml")
    assert deployment["spec"]["replicas"] == 2
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    pdb = _load(HUB / "pdb.yaml")
    assert pdb["spec"]["selector"]["matchLabels"] == labels
    assert pdb["spec"]["minAvailable"] == 1
    service = _load(HUB / "service.yaml")
    assert service["spec"]["selector"] == labels
    assert "volumeClaimTemplates" not in deployment["spec"]
    pod = _hub_pod()
    assert all("persistentVolumeClaim" not in v for v in pod["volumes"])


def test_the_hub_runs_the_configmap_generated_from_hub_yaml() -> None:
    container = _hub_container()
    args = container["args"]
    assert args[:2] == ["llm-monitor", "hub"]
    config_path = Path(args[args.index("--config") + 1])
    assert str(config_path.parent) == _mount(container, "config")
    kustomization = _load(HUB / "kustomization.yaml")
    (generator,) = kustomization["configMapGenerator"]
    assert generator["files"] == [config_path.name]
    assert _volume(_hub_pod(), "config")["configMap"]["name"] == generator["name"]
    assert {image["name"] for image in kustomization["images"]} == {container["image"]}


def test_the_hub_config_loads_with_the_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = _hub_config(monkeypatch, tmp_path)
    assert config.storage.backend == "clickhouse"
    assert [t.get_secret_value() for t in config.auth.ingest_tokens] == [TOKEN]
    assert len(config.auth.tokens) == 1 and not config.allow_insecure
    assert config.storage.password() == "secret"


def test_without_the_secret_the_hub_refuses_to_listen_open(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    password = tmp_path / "password"
    password.write_text("secret")
    monkeypatch.setenv(f"{HUB_ENV_PREFIX}STORAGE__PASSWORD_FILE", str(password))
    with pytest.raises(ConfigError, match=r"auth\.tokens and auth\.ingest_tokens"):
        load_hub_config(HUB / "hub.yaml")


def test_the_secret_variables_are_hub_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    names = _secret_env(_hub_container(), monkeypatch)
    prefix = f"{HUB_ENV_PREFIX}AUTH__"
    assert {n.removeprefix(prefix).lower() for n in names} == set(HubAuthConfig.model_fields)


def test_the_clickhouse_password_is_the_mounted_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _load(HUB / "hub.yaml")["storage"]
    password_file = Path(data["password_file"])
    container = _hub_container()
    assert str(password_file.parent) == _mount(container, "clickhouse")
    secret = _volume(_hub_pod(), "clickhouse")["secret"]
    assert secret["secretName"] == "llm-monitor-clickhouse"
    assert [item["path"] for item in secret["items"]] == [password_file.name]
    config_mount = _mount(container, "config")
    # sibling directories: a mount inside the read-only ConfigMap volume could not be made
    assert not password_file.is_relative_to(config_mount)


def test_ports_probes_and_service_match_the_hub_addresses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = _hub_config(monkeypatch, tmp_path)
    container = _hub_container()
    grpc = parse_host_port(config.server.address)[1]
    metrics = parse_host_port(config.server.metrics_address)[1]
    assert _port(container, "grpc") == grpc and _port(container, "metrics") == metrics
    for probe, path in (
        ("startupProbe", "/readyz"),
        ("readinessProbe", "/readyz"),
        ("livenessProbe", "/healthz"),
    ):
        assert container[probe]["httpGet"] == {"path": path, "port": "metrics"}
    ports = {p["name"]: p for p in _load(HUB / "service.yaml")["spec"]["ports"]}
    assert ports["grpc"]["port"] == grpc and ports["grpc"]["targetPort"] == "grpc"
    assert ports["metrics"]["port"] == metrics


def test_the_memory_limit_holds_the_pushes_in_flight(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = _hub_config(monkeypatch, tmp_path)
    limit = _hub_container()["resources"]["limits"]["memory"]
    assert limit.endswith("Gi")
    in_flight = config.limits.max_inflight_pushes * config.limits.max_push_bytes
    assert in_flight + 512 * MIB <= int(limit.removesuffix("Gi")) * 1024 * MIB


def test_the_hub_is_locked_down() -> None:
    pod, container = _hub_pod(), _hub_container()
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]


# ---- the sidecar in hub mode ---------------------------------------------------------------


def _base_sidecar() -> dict[str, Any]:
    pod = _load(KUBE / "deployment.yaml")["spec"]["template"]["spec"]
    (sidecar,) = [c for c in pod["initContainers"] if "serve" in c["args"]]
    return sidecar


def _patched_sidecar() -> dict[str, Any]:
    patch = _load(HUB_MODE / "sidecar-env.yaml")
    assert patch["metadata"]["name"] == _load(KUBE / "deployment.yaml")["metadata"]["name"]
    (container,) = patch["spec"]["template"]["spec"]["initContainers"]
    return container


def _sidecar_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> SidecarConfig:
    """The component's monitor.yaml with the patched env (pod name from the downward API),
    the image-only paths set to null."""
    for env in _patched_sidecar()["env"]:
        field_ref = env.get("valueFrom", {}).get("fieldRef")
        if field_ref is not None:
            assert field_ref["fieldPath"] == "metadata.name"
            monkeypatch.setenv(env["name"], POD_NAME)
    _secret_env(_patched_sidecar(), monkeypatch)
    data = _load(HUB_MODE / "monitor.yaml")
    for key in ("probe_dir", "encoder_dir", "tokenizer_path"):
        data[key] = None
    copy = tmp_path / "monitor.yaml"
    copy.write_text(yaml.safe_dump(data))
    return load_config(copy)


def test_the_component_replaces_the_base_configmap() -> None:
    base = _load(KUBE / "kustomization.yaml")["configMapGenerator"]
    (component,) = _load(HUB_MODE / "kustomization.yaml")["configMapGenerator"]
    assert component["name"] in {generator["name"] for generator in base}
    assert component["behavior"] == "replace"
    assert component["files"] == ["monitor.yaml"]


def test_the_patch_targets_the_base_sidecar() -> None:
    patched = _patched_sidecar()
    assert patched["name"] == _base_sidecar()["name"]
    # only env: the rest of the base sidecar container is kept
    assert set(patched) == {"name", "env"}


def test_the_hub_mode_config_is_the_base_one_but_storage() -> None:
    hub_mode, base = _load(HUB_MODE / "monitor.yaml"), _load(KUBE / "monitor.yaml")
    assert {k for k in hub_mode.keys() | base.keys() if hub_mode.get(k) != base.get(k)} == {
        "storage"
    }


def test_instance_id_is_the_pod_name_and_the_token_the_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = _sidecar_config(monkeypatch, tmp_path)
    assert config.instance_id == POD_NAME
    assert config.storage.backend == "hub" and config.storage.hub is not None
    assert config.storage.hub.bearer_token() == SECRET["ingest-token"]
    names = {env["name"] for env in _patched_sidecar()["env"]}
    assert names == {"LLM_MONITOR_INSTANCE_ID", "LLM_MONITOR_STORAGE__HUB__TOKEN"}
    assert "instance_id" in SidecarConfig.model_fields


def test_the_sidecars_token_is_one_the_hub_accepts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sidecar = _sidecar_config(monkeypatch, tmp_path)
    hub = _hub_config(monkeypatch, tmp_path)
    assert sidecar.storage.hub is not None
    accepted = [t.get_secret_value() for t in hub.auth.ingest_tokens]
    assert sidecar.storage.hub.bearer_token() in accepted


def test_the_sidecar_pushes_to_the_hub_service(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = _sidecar_config(monkeypatch, tmp_path)
    assert config.storage.hub is not None
    host, port = parse_host_port(config.storage.hub.address)
    service = _load(HUB / "service.yaml")
    assert host == service["metadata"]["name"]
    grpc = {p["name"]: p["port"] for p in service["spec"]["ports"]}["grpc"]
    assert port == grpc
    hub = _hub_config(monkeypatch, tmp_path)
    assert hub.limits.max_push_bytes >= config.storage.hub.max_push_bytes


def test_the_outbox_fits_the_traces_volume(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """On the sidecar's writable "traces" volume, capped below its emptyDir size limit."""
    config = _sidecar_config(monkeypatch, tmp_path)
    assert config.storage.hub is not None
    spool = config.storage.hub.spool_path
    assert spool.is_relative_to(_mount(_base_sidecar(), "traces"))
    pod = _load(KUBE / "deployment.yaml")["spec"]["template"]["spec"]
    size = _volume(pod, "traces")["emptyDir"]["sizeLimit"]
    assert size.endswith("Gi")
    assert config.storage.hub.spool_max_bytes < int(size.removesuffix("Gi")) * 1024 * MIB


def test_the_shutdown_drain_fits_the_grace_period(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = _sidecar_config(monkeypatch, tmp_path)
    assert config.storage.hub is not None
    pod = _load(KUBE / "deployment.yaml")["spec"]["template"]["spec"]
    drain = config.ingest.drain_timeout_s + config.storage.hub.drain_timeout_s
    # what is left for vLLM's own shutdown before the sidecar is stopped
    assert drain <= pod["terminationGracePeriodSeconds"] - 10


def test_the_readme_creates_the_secret_both_sides_read() -> None:
    readme = (ROOT / "deploy" / "README.md").read_text()
    start = readme.index(f"kubectl create secret generic {AUTH_SECRET}")
    command = readme[start : readme.index("```", start)]
    for key in SECRET:
        assert f"--from-literal={key}=" in command, key
