"""The fleet override of the compose stack (deploy/compose.fleet.yaml): ClickHouse, the hub
and the sidecar in hub mode, wired to each other and to settings the code accepts.

Schema validity is checked by ``make lint-deploy`` (check-jsonschema); these tests read the
files and load each configuration with the loader its process uses.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.hub.config import HubConfig, load_hub_config
from monitor.sidecar.addresses import parse_host_port
from monitor.sidecar.config import SidecarConfig, load_config

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
BASE = DEPLOY / "compose.yaml"
FLEET = DEPLOY / "compose.fleet.yaml"
SIDECAR_CONFIG = "/etc/llm-monitor/monitor.yaml"
IMAGE_PATHS = ("probe_dir", "encoder_dir", "tokenizer_path")  # exist in the image only


def _services(path: Path) -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(path.read_text())["services"]
    return services


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host path of a service's short-syntax volume entries."""
    out = {}
    for entry in service.get("volumes", []):
        host, target = entry.split(":")[:2]
        out[target] = host
    return out


def _host_file(relative: str) -> Path:
    """A bind mount's source (relative to the project directory, deploy/)."""
    return (DEPLOY / relative).resolve()


def _sidecar_config(path: Path, tmp_path: Path) -> SidecarConfig:
    """``load_config`` of a compose sidecar file, the image-only paths set to null."""
    data = yaml.safe_load(path.read_text())
    for key in IMAGE_PATHS:
        data[key] = None
    copy = tmp_path / path.name
    copy.write_text(yaml.safe_dump(data))
    return load_config(copy)


def _hub_service() -> dict[str, Any]:
    return _services(FLEET)["hub"]


def _hub_config_file() -> Path:
    hub = _hub_service()
    command = hub["command"]
    assert command[:2] == ["llm-monitor", "hub"], command
    config = command[command.index("--config") + 1]
    return _host_file(_mounts(hub)[config])


def _hub_config() -> HubConfig:
    return load_hub_config(_hub_config_file())


def test_the_default_stack_stays_single_node() -> None:
    """compose.yaml alone: no ClickHouse, no hub, the sidecar on its own SQLite store."""
    base = _services(BASE)
    assert not {"clickhouse", "hub"} & set(base)
    assert _mounts(base["sidecar"])[SIDECAR_CONFIG] == "./monitor.compose.yaml"


def test_the_override_replaces_the_sidecar_config_and_adds_the_fleet() -> None:
    base, fleet = _services(BASE), _services(FLEET)
    assert set(fleet) == {"sidecar", "hub", "clickhouse"}
    # same container path: compose merges the mount over compose.yaml's, not beside it
    assert _mounts(fleet["sidecar"]) == {SIDECAR_CONFIG: "./monitor.hub.yaml"}
    assert SIDECAR_CONFIG in _mounts(base["sidecar"])
    for name, service in fleet.items():
        for host in _mounts(service).values():
            if host.startswith("."):
                assert _host_file(host).is_file(), (name, host)


def test_clickhouse_is_the_official_image_pinned_to_a_version() -> None:
    image = _services(FLEET)["clickhouse"]["image"]
    match = re.fullmatch(r"clickhouse/clickhouse-server:(\d+)\.(\d+)\.\d+\.\d+", image)
    assert match, image
    # BFloat16 columns (trace_tokens.concept_values) without an experimental setting: 25.1+
    assert (int(match[1]), int(match[2])) >= (25, 1), image


def test_the_sidecar_config_is_the_compose_one_in_hub_mode(tmp_path: Path) -> None:
    """monitor.hub.yaml = monitor.compose.yaml (probes, rules, addresses) but storage."""
    hub_mode = yaml.safe_load((DEPLOY / "monitor.hub.yaml").read_text())
    single = yaml.safe_load((DEPLOY / "monitor.compose.yaml").read_text())
    differing = {k for k in hub_mode.keys() | single.keys() if hub_mode.get(k) != single.get(k)}
    assert differing == {"storage", "instance_id"}
    config = _sidecar_config(DEPLOY / "monitor.hub.yaml", tmp_path)
    assert config.storage.backend == "hub" and config.storage.path is None
    assert config.instance_id == "compose-sidecar"
    assert config.storage.hub is not None


def test_the_sidecar_pushes_to_the_hub_service(tmp_path: Path) -> None:
    sidecar = _sidecar_config(DEPLOY / "monitor.hub.yaml", tmp_path)
    assert sidecar.storage.hub is not None
    host, port = parse_host_port(sidecar.storage.hub.address)
    hub = _hub_config()
    assert host == "hub" and host in _services(FLEET)
    assert port == parse_host_port(hub.server.address)[1]
    assert str(port) in _hub_service()["expose"]
    # the hub accepts the largest push the sidecar sends
    assert hub.limits.max_push_bytes >= sidecar.storage.hub.max_push_bytes


def test_the_outbox_is_on_the_sidecar_volume(tmp_path: Path) -> None:
    """The sidecar's root file system is read-only; the outbox must be on sidecar-data."""
    sidecar = _services(BASE)["sidecar"]
    assert sidecar["read_only"] is True
    volume_targets = [
        target for target, host in _mounts(sidecar).items() if not host.startswith(".")
    ]
    config = _sidecar_config(DEPLOY / "monitor.hub.yaml", tmp_path)
    assert config.storage.hub is not None
    spool = config.storage.hub.spool_path
    assert any(spool.is_relative_to(target) for target in volume_targets), spool


def test_the_hub_writes_to_the_clickhouse_service() -> None:
    hub = _hub_config()
    storage = hub.storage
    assert storage.backend == "clickhouse" and storage.url is not None
    url = re.fullmatch(r"http://([\w-]+):(\d+)", storage.url)
    assert url, storage.url
    clickhouse = _services(FLEET)["clickhouse"]
    assert url[1] == "clickhouse" and url[2] in clickhouse["expose"]
    assert _hub_service()["depends_on"]["clickhouse"]["condition"] == "service_healthy"
    users = _clickhouse_users()
    assert storage.user in users
    assert hub.allow_insecure  # the compose network, as the sidecar's


def test_the_hub_health_check_asks_its_metrics_port() -> None:
    service = _hub_service()
    target = service["healthcheck"]["test"][-1]
    hub = _hub_config()
    port = parse_host_port(hub.server.metrics_address)[1]
    assert target == f"http://127.0.0.1:{port}/readyz"
    assert str(port) in service["expose"]
    # the slim hub image: the Dockerfile target with the hub extra, no torch or model
    assert service["build"]["target"] == "hub" and "args" not in service["build"]


def test_nothing_new_is_published_on_the_host() -> None:
    for name, service in _services(FLEET).items():
        assert "ports" not in service, name


def _clickhouse_users() -> dict[str, ET.Element]:
    root = ET.parse(DEPLOY / "clickhouse" / "users.compose.xml").getroot()
    users = root.find("users")
    assert users is not None
    return {user.tag: user for user in users}


def _grants(user: ET.Element) -> list[str]:
    return [query.text or "" for query in user.iterfind("grants/query")]


def test_clickhouse_users_hub_and_read_only() -> None:
    """users.compose.xml: the hub may create and write its database, grafana only read it."""
    root = ET.parse(DEPLOY / "clickhouse" / "users.compose.xml").getroot()
    users = _clickhouse_users()
    assert set(users) == {"llm_monitor", "grafana"}
    database = _hub_config().storage.database
    for user in users.values():
        assert all(f" ON {database}.*" in grant for grant in _grants(user))
    assert _grants(users["grafana"]) == [f"GRANT SELECT ON {database}.*"]
    profile = users["grafana"].findtext("profile")
    readonly = root.find(f"profiles/{profile}/readonly")
    assert readonly is not None and readonly.text == "1"
    for privilege in ("CREATE TABLE", "ALTER TTL", "INSERT", "SELECT"):
        assert privilege in _grants(users["llm_monitor"])[0]


@pytest.mark.parametrize("name", ["llm_monitor", "grafana"])
def test_the_compose_grants_are_the_documented_ones(name: str) -> None:
    readme = (DEPLOY / "clickhouse" / "README.md").read_text()
    (grant,) = _grants(_clickhouse_users()[name])
    assert f"{grant} TO {name}" in readme
