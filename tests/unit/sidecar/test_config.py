from __future__ import annotations

from pathlib import Path

import pytest

from monitor.sidecar.config import (
    ConfigError,
    SidecarConfig,
    load_config,
    parse_host_port,
)


def test_defaults() -> None:
    config = load_config(None)
    assert config.model_name is None
    assert config.probe_dir is None
    assert config.grpc_address == "127.0.0.1:50051"
    assert config.metrics_address == "127.0.0.1:9400"
    assert config.ingest.queue_size == 1024
    assert config.ingest.max_batch_bytes == 16 * 1024 * 1024
    assert config.request_ttl_s == 600


def test_every_field_is_documented() -> None:
    for model in (SidecarConfig, SidecarConfig.model_fields["ingest"].annotation):
        for name, info in model.model_fields.items():  # type: ignore[union-attr]
            assert info.description, name


def test_yaml_file(tmp_path: Path) -> None:
    probes = tmp_path / "probes"
    probes.mkdir()
    path = tmp_path / "monitor.yaml"
    path.write_text(
        f"model_name: m\nprobe_dir: {probes}\ngrpc_address: unix:///tmp/x.sock\n"
        "ingest:\n  queue_size: 7\n"
    )
    config = load_config(path)
    assert config.model_name == "m"
    assert config.probe_dir == probes
    assert config.grpc_address == "unix:///tmp/x.sock"
    assert config.ingest.queue_size == 7
    assert config.ingest.max_batch_bytes == 16 * 1024 * 1024


def test_error_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text("ingest:\n  queue_size: 0\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: ingest.queue_size: Input should be greater than 0"


def test_unknown_field_rejected(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text("ingest:\n  queue_sise: 3\n")
    with pytest.raises(ConfigError, match=r"ingest\.queue_sise: Extra inputs are not permitted"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("grpc_address: nope\n", "grpc_address"),
        ("metrics_address: host:99999\n", "metrics_address"),
        ("grpc_address: 'unix:'\n", "grpc_address"),
        ("probe_dir: /does/not/exist\n", "probe_dir"),
        ("request_ttl_s: -1\n", "request_ttl_s"),
    ],
)
def test_bad_values(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=rf"monitor\.yaml: {field}: "):
        load_config(path)


def test_not_a_mapping_and_bad_yaml(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(path)
    path.write_text("a: [\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text("model_name: from-file\ningest:\n  queue_size: 7\n  max_batch_bytes: 100\n")
    monkeypatch.setenv("LLM_MONITOR_MODEL_NAME", "from-env")
    monkeypatch.setenv("LLM_MONITOR_INGEST__QUEUE_SIZE", "9")
    config = load_config(path)
    assert config.model_name == "from-env"
    assert config.ingest.queue_size == 9
    assert config.ingest.max_batch_bytes == 100


def test_environment_errors_name_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_MONITOR_INGEST__QUEUE_SIZE", "lots")
    with pytest.raises(ConfigError, match=r"ingest\.queue_size: Input should be a valid integer"):
        load_config(None)


def test_parse_host_port() -> None:
    assert parse_host_port("127.0.0.1:0") == ("127.0.0.1", 0)
    assert parse_host_port("[::1]:9400") == ("::1", 9400)
    with pytest.raises(ValueError):
        parse_host_port("9400")


def test_unrelated_prefixed_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_ENABLED", "1")  # e.g. read by the plugin
    assert load_config(None).grpc_address == "127.0.0.1:50051"
