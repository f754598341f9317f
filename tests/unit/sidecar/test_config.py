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
    sections = ("ingest", "server", "watch", "health")
    for model in (SidecarConfig, *(SidecarConfig.model_fields[s].annotation for s in sections)):
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
        ("request_ttl_s: .inf\n", "request_ttl_s"),
        ("request_ttl_s: .nan\n", "request_ttl_s"),
        ("request_ttl_s: 1e9\n", "request_ttl_s"),
        ("rules: [{name: a, concept: c, cooldown_s: .inf}]\n", r"rules\.0\.cooldown_s"),
        ("server: {keepalive_time_s: .inf}\n", r"server\.keepalive_time_s"),
        ("server: {max_concurrent_rpcs: 0}\n", r"server\.max_concurrent_rpcs"),
        ("watch: {max_subscribers: 0}\n", r"watch\.max_subscribers"),
        ("health: {max_heartbeat_age_s: .inf}\n", r"health\.max_heartbeat_age_s"),
        ("auth: {tokens: [short]}\n", r"auth\.tokens"),
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


def test_every_rule_and_storage_field_is_documented() -> None:
    from monitor.sidecar.config import (
        EmaAggregation,
        MaxAggregation,
        MaxRollingMeanAggregation,
        MeanAggregation,
        RuleConfig,
    )
    from monitor.sidecar.storage_config import StorageConfig

    for model in (
        RuleConfig,
        StorageConfig,
        MaxAggregation,
        MeanAggregation,
        EmaAggregation,
        MaxRollingMeanAggregation,
    ):
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name}"


def test_rules_storage_and_layers_from_yaml(tmp_path: Path) -> None:
    encoder = tmp_path / "encoder"
    encoder.mkdir()
    tokenizer = tmp_path / "tokenizer.json"
    tokenizer.write_text("{}")
    path = tmp_path / "monitor.yaml"
    path.write_text(
        f"encoder_dir: {encoder}\n"
        "layers: [20, 15]\n"
        "rules:\n"
        "  - name: deception-high\n"
        "    concept: deception\n"
        "    threshold: 0.8\n"
        "    aggregation: {method: max_rolling_mean, window: 8}\n"
        "    min_tokens: 4\n"
        "    severity: critical\n"
        "    cooldown_s: 30\n"
        "  - name: misuse\n"
        "    concept: misuse\n"
        "  - name: eval\n"
        "    concept: eval_awareness\n"
        "    threshold: calibrated\n"
        "    aggregation: {method: ema}\n"
        "storage:\n"
        f"  path: {tmp_path / 'traces.sqlite'}\n"
        "  retention_hours: 2\n"
        "  keep_token_text: true\n"
        f"  tokenizer_path: {tokenizer}\n"
    )
    config = load_config(path)
    assert config.encoder_dir == encoder
    assert config.layers == [15, 20]
    high, misuse, ev = config.rules
    assert (high.threshold, high.min_tokens, high.severity, high.cooldown_s) == (
        0.8,
        4,
        "critical",
        30.0,
    )
    assert high.aggregation is not None and high.aggregation.method == "max_rolling_mean"
    assert high.aggregation.window == 8
    assert (misuse.threshold, misuse.aggregation, misuse.severity) == (
        "calibrated",
        None,
        "warning",
    )
    assert ev.aggregation is not None and ev.aggregation.method == "ema"
    assert ev.aggregation.alpha == 0.1
    assert config.storage.path == tmp_path / "traces.sqlite"
    assert config.storage.retention_hours == 2
    assert config.storage.keep_token_text


def test_rule_methods_are_the_artifact_vocabulary() -> None:
    from typing import get_args

    from monitor.artifacts.aggregation import AGGREGATION_METHODS, AggregationMethod
    from monitor.sidecar.config import (
        EmaAggregation,
        MaxAggregation,
        MaxRollingMeanAggregation,
        MeanAggregation,
    )

    sections = (MaxAggregation, MeanAggregation, EmaAggregation, MaxRollingMeanAggregation)
    tags = {get_args(s.model_fields["method"].annotation)[0] for s in sections}
    assert tags == set(AGGREGATION_METHODS) == set(get_args(AggregationMethod))


def test_old_rolling_mean_max_spelling_is_read_as_max_rolling_mean(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(
        "rules:\n"
        "  - name: r\n"
        "    concept: deception\n"
        "    aggregation: {method: rolling_mean_max, window: 8}\n"
    )
    with caplog.at_level("WARNING", logger="monitor.sidecar.config"):
        (rule,) = load_config(path).rules
    assert rule.aggregation is not None and rule.aggregation.method == "max_rolling_mean"
    assert rule.aggregation.window == 8
    assert "'rolling_mean_max' is deprecated, write 'max_rolling_mean'" in caplog.text


def test_rule_and_storage_defaults() -> None:
    config = load_config(None)
    assert config.rules == []
    assert config.storage.path is None
    assert not config.storage.keep_token_text
    assert config.storage.max_buffered_tokens_per_request == 4096
    assert config.layers is None and config.encoder_dir is None
    assert config.tls is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rules: [{name: a, concept: x, threshold: 1.5}]\n",
            "rules.0.threshold: Value error, threshold must be in [0, 1] or 'calibrated', got 1.5",
        ),
        (
            "rules: [{name: a, concept: x, threshold: hot}]\n",
            "rules.0.threshold: Value error, expected a number in [0, 1] or 'calibrated', "
            "got 'hot'",
        ),
        (
            "rules: [{name: a, concept: x, threshold: true}]\n",
            "rules.0.threshold: Value error, expected a number in [0, 1] or 'calibrated', got True",
        ),
        (
            "rules: [{name: a, concept: x, aggregation: {method: ema, alpha: 0}}]\n",
            "rules.0.aggregation.ema.alpha: Input should be greater than 0",
        ),
        (
            "rules: [{name: a, concept: x, aggregation: {method: max_rolling_mean, window: 0}}]\n",
            "rules.0.aggregation.max_rolling_mean.window: Input should be greater than 0",
        ),
        (
            "rules: [{name: a, concept: x, aggregation: {method: max, window: 3}}]\n",
            "rules.0.aggregation.max.window: Extra inputs are not permitted",
        ),
        (
            "rules: [{name: a, concept: x, aggregation: {method: median}}]\n",
            "rules.0.aggregation: Input tag 'median' found using 'method' does not match any "
            "of the expected tags: 'max', 'mean', 'ema', 'max_rolling_mean'",
        ),
        (
            "rules: [{name: a, concept: x}, {name: a, concept: y}]\n",
            "rules: Value error, duplicate rule name 'a'",
        ),
        (
            "rules: [{name: a, concept: x, severity: fatal}]\n",
            "rules.0.severity: Input should be 'info', 'warning' or 'critical'",
        ),
        (
            "rules: [{name: a, concept: x, min_tokens: 0}]\n",
            "rules.0.min_tokens: Input should be greater than or equal to 1",
        ),
        (
            "rules: [{name: a, concept: x, cooldown_s: -1}]\n",
            "rules.0.cooldown_s: Input should be greater than or equal to 0",
        ),
        ("rules: [{name: a}]\n", "rules.0.concept: Field required"),
        (
            "rules: [{name: a, concept: x, treshold: 0.5}]\n",
            "rules.0.treshold: Extra inputs are not permitted",
        ),
        ("storage: {keep_token_text: true}\n", "storage: Value error, keep_token_text needs"),
        ("storage: {retention_hours: 0}\n", "storage.retention_hours: Input should be greater"),
        ("storage: {pth: x.sqlite}\n", "storage.pth: Extra inputs are not permitted"),
        (
            "storage: {max_buffered_tokens_per_request: 0}\n",
            "storage.max_buffered_tokens_per_request: Input should be greater than 0",
        ),
        ("layers: []\n", "layers: Value error, list at least one layer, or use null"),
        ("layers: [15, 15]\n", "layers: Value error, duplicate layers in [15, 15]"),
        ("layers: [-1]\n", "layers: Value error, layers must be >= 0"),
        ("encoder_dir: /does/not/exist\n", "encoder_dir: Value error, not a directory"),
        ("auth: {tokenz: []}\n", "auth.tokenz: Extra inputs are not permitted"),
        ("tls: {cert_file: /nope/cert.pem}\n", "tls.cert_file: "),
    ],
)
def test_bad_rules_and_storage_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"{path}: {message}" in str(info.value)


def test_rules_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_MONITOR_RULES", '[{"name": "a", "concept": "misuse"}]')
    monkeypatch.setenv("LLM_MONITOR_STORAGE__RETENTION_HOURS", "5")
    config = load_config(None)
    assert [r.name for r in config.rules] == ["a"]
    assert config.storage.retention_hours == 5


def test_check_layers() -> None:
    from monitor.sidecar.config import check_layers

    check_layers(None, [15], "monitor.yaml")
    check_layers([10, 15], [15], "monitor.yaml")
    with pytest.raises(
        ConfigError,
        match=r"monitor\.yaml: layers: probes read layer\(s\) \[15\], which are not captured",
    ):
        check_layers([10], [10, 15], "monitor.yaml")


def test_deploy_example_is_valid() -> None:
    """The documented example loads, and so do the rules it shows commented out."""
    import yaml

    example = Path(__file__).resolve().parents[3] / "deploy" / "monitor.yaml"
    config = load_config(example)
    assert config.rules == [] and config.storage.path is None
    # the image's file binds loopback, secure by default
    assert config.grpc_address.startswith("127.0.0.1:") and not config.allow_insecure
    assert config.metrics_address.startswith("127.0.0.1:") and not config.reflection
    defaults = SidecarConfig()
    for section in ("server", "watch", "health"):
        assert getattr(config, section) == getattr(defaults, section), section
    lines = example.read_text().splitlines()
    start = lines.index("# rules:")
    block = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        block.append(line[2:])
    rules = SidecarConfig(rules=yaml.safe_load("\n".join(block))["rules"]).rules
    assert {rule.concept for rule in rules} == {"deception", "eval_awareness", "misuse"}


def test_kubernetes_config_is_valid_against_the_shipped_probes() -> None:
    """deploy/kubernetes/monitor.yaml with the image's paths mapped to this checkout."""
    import yaml

    from monitor.artifacts.probe_format import load_probe_dir
    from monitor.sidecar.alerts.compile import compile_rules

    root = Path(__file__).resolve().parents[3]
    data = yaml.safe_load((root / "deploy" / "kubernetes" / "monitor.yaml").read_text())
    assert data["probe_dir"] == "/opt/llm-monitor/probes"
    shipped = root / "probes" / "artifacts" / "SmolLM2-135M-Instruct"
    data["probe_dir"] = str(shipped)
    data["encoder_dir"] = None  # checked by the encoder's own tests
    assert data["tokenizer_path"] == "/opt/llm-monitor/cache/models/SmolLM2-135M-Instruct"
    data["tokenizer_path"] = None  # the model is baked into the image, not into a checkout
    config = SidecarConfig(**data)
    assert config.storage.path is not None and not config.storage.keep_token_text
    rules = compile_rules(config.rules, load_probe_dir(shipped), "kubernetes/monitor.yaml")
    assert {rule.concept for rule in config.rules} == {"deception", "eval_awareness", "misuse"}
    assert len(rules) == 3
