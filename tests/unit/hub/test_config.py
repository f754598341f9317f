"""hub.yaml: defaults, environment overrides, and errors that name the field."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from monitor.cli.main import main
from monitor.hub import backends
from monitor.hub.config import HubConfig, load_hub_config
from monitor.sidecar.config import ConfigError

TOKEN = "t" * 24
INGEST = "i" * 24
ROOT = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.yaml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_hub_config(write(tmp_path, text))
    return str(info.value)


def test_defaults_are_loopback_chdb_and_the_documented_retention() -> None:
    config = load_hub_config(None)
    assert config.server.address == "127.0.0.1:50052"
    assert config.server.metrics_address == "127.0.0.1:9401"
    storage = config.storage
    assert (storage.backend, storage.path) == ("chdb", Path("hub-data"))
    assert (storage.token_ttl_days, storage.trace_ttl_days, storage.keep_token_text) == (
        7,
        90,
        True,
    )
    assert (config.limits.max_inflight_pushes, config.limits.max_push_bytes) == (16, 64 * 2**20)
    assert config.auth.tokens == [] and config.auth.ingest_tokens == []


def test_the_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path,
        "storage:\n  backend: chdb\n  path: /var/lib/hub\n  token_ttl_days: 3\n"
        "limits:\n  max_inflight_pushes: 4\n",
    )
    monkeypatch.setenv("LLM_MONITOR_HUB_STORAGE__BACKEND", "sqlite")
    monkeypatch.setenv("LLM_MONITOR_HUB_STORAGE__PATH", str(tmp_path / "hub.db"))
    monkeypatch.setenv("LLM_MONITOR_HUB_AUTH__INGEST_TOKENS", f'["{INGEST}"]')
    config = load_hub_config(path)
    assert (config.storage.backend, config.storage.path) == ("sqlite", tmp_path / "hub.db")
    assert config.storage.token_ttl_days == 3  # kept from the file
    assert config.limits.max_inflight_pushes == 4
    assert [t.get_secret_value() for t in config.auth.ingest_tokens] == [INGEST]


def test_beyond_loopback_both_token_lists_are_required(tmp_path: Path) -> None:
    message = error_of(tmp_path, "server:\n  address: 0.0.0.0:50052\n")
    assert "server.address 0.0.0.0:50052 is not loopback" in message
    assert "auth.tokens and auth.ingest_tokens are not set" in message
    message = error_of(tmp_path, f"server:\n  address: 0.0.0.0:50052\nauth:\n  tokens: [{TOKEN}]\n")
    assert "auth.ingest_tokens is not set" in message and "auth.tokens and" not in message
    open_config = load_hub_config(
        write(tmp_path, "server:\n  address: 0.0.0.0:50052\nallow_insecure: true\n")
    )
    assert open_config.allow_insecure
    guarded = load_hub_config(
        write(
            tmp_path,
            f"server:\n  address: 0.0.0.0:50052\n"
            f"auth:\n  tokens: [{TOKEN}]\n  ingest_tokens: [{INGEST}, {'j' * 20}]\n",
        )
    )
    assert len(guarded.auth.ingest_tokens) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("auth:\n  ingest_tokens: [short]\n", "auth.ingest_tokens: Value error, ingest_tokens[0]"),
        ("auth:\n  tokens: ['has space in it, long']\n", "tokens[0] must be printable"),
        ("storage:\n  backend: clickhouse\n", "storage: Value error, backend clickhouse needs url"),
        ("storage:\n  backend: chdb\n", "storage: Value error, backend chdb needs path"),
        (
            "storage:\n  backend: chdb\n  path: x\n  url: http://ch:8123\n",
            "url is for backend clickhouse, not chdb",
        ),
        (
            "storage:\n  backend: clickhouse\n  url: ch:8123\n",
            "url must start with http:// or https://",
        ),
        (
            "storage:\n  backend: sqlite\n  path: x\n  token_ttl_days: 30\n  trace_ttl_days: 7\n",
            "token_ttl_days (30) exceeds trace_ttl_days (7)",
        ),
        ("storage:\n  backend: mysql\n  path: x\n", "storage.backend: Input should be 'chdb'"),
        ("storage:\n  backend: chdb\n  path: x\n  database: 'a-b'\n", "storage.database"),
        (
            "storage:\n  backend: clickhouse\n  url: http://ch\n  password_file: /nonexistent\n",
            "storage.password_file: Value error, not a file: /nonexistent",
        ),
        ("limits:\n  max_inflight_pushes: 0\n", "limits.max_inflight_pushes"),
        ("limits:\n  max_push_bytes: 1024\n", "limits.max_push_bytes"),
        ("server:\n  address: nowhere\n", "server.address"),
        ("server:\n  metrics_address: 'host:99999'\n", "server.metrics_address"),
        ("storage:\n  backend: chdb\n  path: x\n  retention_hours: 3\n", "storage.retention_hours"),
        ("tls:\n  cert_file: /nonexistent\n  key_file: /nonexistent\n", "tls.cert_file"),
    ],
)
def test_an_invalid_value_names_the_file_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    message = error_of(tmp_path, text)
    assert message.startswith(str(tmp_path / "hub.yaml") + ": ")
    assert expected in message


def test_unreadable_files_and_bad_yaml_are_config_errors(tmp_path: Path) -> None:
    assert "invalid YAML" in error_of(tmp_path, "storage: [unclosed\n")
    assert "expected a mapping" in error_of(tmp_path, "- a list\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_hub_config(tmp_path / "missing.yaml")


def test_a_bad_environment_variable_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_MONITOR_HUB_AUTH__TOKENS", "not json")
    with pytest.raises(ConfigError, match="environment"):
        load_hub_config(None)


def test_the_clickhouse_password_comes_from_its_file(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    config = HubConfig(
        storage={"backend": "clickhouse", "url": "https://ch:8443", "password_file": secret}
    )
    assert config.storage.password() == "s3cret"
    secret.unlink()
    with pytest.raises(ConfigError, match=r"storage.password_file: cannot read"):
        config.storage.password()


def test_a_missing_client_library_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("chdb", "clickhouse_connect") else real(name, *a),
    )
    with pytest.raises(ConfigError) as info:
        backends.require_module("chdb")
    assert "storage.backend chdb needs the chdb package" in str(info.value)
    assert "pip install 'llm-monitor[hub]'" in str(info.value)
    with pytest.raises(ConfigError, match="clickhouse_connect"):
        backends.require_module("clickhouse")
    backends.require_module("sqlite")  # needs nothing


def test_the_command_exits_with_the_config_code_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path, "storage:\n  backend: clickhouse\n")
    assert main(["hub", "--config", str(bad)]) == 6
    assert "backend clickhouse needs url" in capsys.readouterr().err
    good = write(tmp_path, f"storage:\n  backend: sqlite\n  path: {tmp_path / 'h.db'}\n")
    assert main(["hub", "--config", str(good), "--check"]) == 0
    assert "ok (storage sqlite)" in capsys.readouterr().out
    assert not (tmp_path / "h.db").exists()  # --check opens nothing


def test_the_example_config_is_valid() -> None:
    config = load_hub_config(ROOT / "deploy" / "hub.yaml")
    assert config.storage.backend == "chdb"
