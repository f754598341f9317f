"""Sidecar settings: typed, defaulted, documented; read from YAML, overridden by the environment."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict, SettingsError

from monitor.artifacts.aggregation import METHOD_ALIASES
from monitor.artifacts.validation import format_errors
from monitor.sidecar.security import AuthConfig, TlsConfig
from monitor.sidecar.severity import Severity

log = logging.getLogger(__name__)

ENV_PREFIX = "LLM_MONITOR_"
ENV_NESTED_DELIMITER = "__"


class ConfigError(Exception):
    """The configuration is invalid; the message names the source and the field."""


def parse_host_port(address: str) -> tuple[str, int]:
    """Split ``host:port`` (``[v6]:port`` too) into its parts; raises ValueError."""
    host, sep, port_text = address.rpartition(":")
    if not sep or not host:
        raise ValueError(f"expected host:port, got {address!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"port must be an integer in {address!r}") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be in 0..65535 in {address!r}")
    return host, port


def is_unix_address(address: str) -> bool:
    """True for gRPC unix socket addresses (``unix:/path``, ``unix:///path``)."""
    return address.startswith("unix:")


class IngestConfig(BaseModel):
    """Limits of the activation ingest path."""

    model_config = ConfigDict(extra="forbid")

    queue_size: int = Field(
        default=1024,
        gt=0,
        description="Batches held between the gRPC ingest and the scoring worker.",
    )
    max_batch_bytes: int = Field(
        default=16 * 1024 * 1024,
        gt=0,
        description="Largest accepted ingest message in bytes; larger ones are rejected.",
    )
    max_queue_bytes: int = Field(
        default=512 * 1024 * 1024,
        gt=0,
        description="Decoded activation bytes the queue may hold; beyond it batches are dropped.",
    )
    drain_timeout_s: float = Field(
        default=5.0, ge=0, description="Seconds allowed at shutdown to score batches still queued."
    )


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MaxAggregation(_Section):
    """The largest token score so far."""

    method: Literal["max"] = Field(description="Aggregation method tag.")


class MeanAggregation(_Section):
    """The mean of all token scores so far."""

    method: Literal["mean"] = Field(description="Aggregation method tag.")


class EmaAggregation(_Section):
    """Exponential moving average of the token scores, seeded by the first one."""

    method: Literal["ema"] = Field(description="Aggregation method tag.")
    alpha: float = Field(default=0.1, gt=0, le=1, description="Smoothing factor in (0, 1].")


class MaxRollingMeanAggregation(_Section):
    """The largest mean over ``window`` consecutive tokens (the mean so far before that)."""

    method: Literal["max_rolling_mean"] = Field(description="Aggregation method tag.")
    window: int = Field(default=16, gt=0, description="Window length in tokens.")


def _canonical_method(value: object) -> object:
    """Map an old method spelling (``rolling_mean_max``) to its canonical name, so existing
    files keep loading; logs one deprecation line per section that uses it."""
    if isinstance(value, dict):
        method = value.get("method")
        if isinstance(method, str) and method in METHOD_ALIASES:
            canonical = METHOD_ALIASES[method]
            log.warning(
                "aggregation method %r is deprecated, write %r (same aggregation)",
                method,
                canonical,
            )
            return {**value, "method": canonical}
    return value


# Method tags are monitor.artifacts.aggregation's vocabulary (AGGREGATION_METHODS).
RuleAggregation = Annotated[
    MaxAggregation | MeanAggregation | EmaAggregation | MaxRollingMeanAggregation,
    Field(discriminator="method"),
    BeforeValidator(_canonical_method),
]

CALIBRATED: Literal["calibrated"] = "calibrated"


def _parse_threshold(value: object) -> object:
    """A probability in [0, 1] or the word ``calibrated``; anything else is a clear error."""
    if value == CALIBRATED:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a number in [0, 1] or {CALIBRATED!r}, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"expected a number in [0, 1] or {CALIBRATED!r}, got {value!r}") from None
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"threshold must be in [0, 1] or {CALIBRATED!r}, got {value!r}")
    return number


Threshold = Annotated[float | Literal["calibrated"], BeforeValidator(_parse_threshold)]


class RuleConfig(_Section):
    """One alert rule: a probe concept, an aggregation and a threshold."""

    name: str = Field(min_length=1, description="Unique rule name (alert label `rule`).")
    concept: str = Field(min_length=1, description="Probe concept the rule watches.")
    threshold: Threshold = Field(
        default=CALIBRATED,
        description="Fire when the aggregated score is >= this (in [0, 1]), or 'calibrated' "
        "for the probe artifact's calibrated threshold.",
    )
    aggregation: RuleAggregation | None = Field(
        default=None,
        description="How token scores combine (max, mean, ema, max_rolling_mean); None uses "
        "the probe's own aggregation, the one its calibrated threshold was set for.",
    )
    min_tokens: int = Field(
        default=1, ge=1, description="Tokens a request must have before the rule may fire."
    )
    severity: Severity = Field(default="warning", description="info, warning or critical.")
    cooldown_s: float = Field(
        default=60.0,
        ge=0,
        description="After an alert of this rule for a model, later firings for that model "
        "within this many seconds are stored with their traces but not streamed or counted.",
    )


class StorageConfig(_Section):
    """The SQLite store of flagged requests (concept traces)."""

    path: Path | None = Field(
        default=None,
        description="SQLite file of flagged traces (created if missing); None stores nothing.",
    )
    retention_hours: float = Field(
        default=168.0, gt=0, description="Traces older than this (by last token) are deleted."
    )
    prune_interval_s: float = Field(
        default=300.0, gt=0, description="Seconds between retention prunes."
    )
    keep_token_text: bool = Field(
        default=False, description="Store each token's text (needs tokenizer_path)."
    )
    tokenizer_path: Path | None = Field(
        default=None,
        description="tokenizer.json, or a model directory containing it, used to decode "
        "token text when keep_token_text is true.",
    )
    max_buffered_tokens_per_request: int = Field(
        default=4096,
        gt=0,
        description="Scored tokens kept in memory per in-flight request until a rule fires; "
        "older tokens are dropped first.",
    )
    write_queue_size: int = Field(
        default=10000,
        gt=0,
        description="Trace writes waiting for the writer thread; beyond it writes are dropped "
        "and counted.",
    )
    max_batch_writes: int = Field(
        default=512, gt=0, description="Queued writes committed together in one transaction."
    )

    @model_validator(mode="after")
    def _text_needs_tokenizer(self) -> StorageConfig:
        if self.keep_token_text and self.tokenizer_path is None:
            raise ValueError("keep_token_text needs tokenizer_path")
        if self.tokenizer_path is not None and not self.tokenizer_path.exists():
            raise ValueError(f"tokenizer_path does not exist: {self.tokenizer_path}")
        return self


class SidecarConfig(BaseSettings):
    """Everything the sidecar needs to run; built once at start and passed down."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        extra="forbid",
        protected_namespaces=(),
    )

    model_name: str | None = Field(
        default=None, description="Served model expected from producers; None accepts any model."
    )
    probe_dir: Path | None = Field(
        default=None, description="Directory of *.probe.json artifacts; None scores nothing."
    )
    encoder_dir: Path | None = Field(
        default=None, description="Concept-encoder directory; None reports no concepts."
    )
    encoder_threads: int = Field(
        default=1,
        ge=1,
        description="onnxruntime intra-op threads of the concept encoder (the sidecar shares "
        "the machine with the model server).",
    )
    tokenizer_path: Path | None = Field(
        default=None,
        description="The served model's directory (its tokenizer and chat template): each "
        "request's tokens are told apart as system, user, post-instruction, reply, ... so "
        "that probes read only the segments they were trained on. None: prompt vs reply "
        "only (probes scoped to chat segments then read the whole prompt as 'prompt').",
    )
    layers: list[int] | None = Field(
        default=None,
        description="Decoder layers the producers capture; every probe's layer must be one "
        "of them. None: whatever the probes read.",
    )
    grpc_address: str = Field(
        default="127.0.0.1:50051",
        description="gRPC listen address: host:port (port 0 picks one) or unix:/path.",
    )
    metrics_address: str = Field(
        default="127.0.0.1:9400",
        description="Prometheus /metrics listen address host:port (port 0 picks one).",
    )
    ingest: IngestConfig = Field(
        default_factory=IngestConfig, description="Ingest queue and message limits."
    )
    request_ttl_s: float = Field(
        default=600.0,
        gt=0,
        description="Seconds without new tokens before an unfinished request is forgotten.",
    )
    rules: list[RuleConfig] = Field(
        default_factory=list, description="Alert rules; each names a loaded probe's concept."
    )
    storage: StorageConfig = Field(
        default_factory=StorageConfig, description="Trace store of flagged requests."
    )
    tls: TlsConfig | None = Field(default=None, description="TLS of the gRPC server; None: off.")
    auth: AuthConfig = Field(
        default_factory=AuthConfig, description="Bearer tokens of the gRPC services."
    )

    @field_validator("grpc_address")
    @classmethod
    def _check_grpc_address(cls, value: str) -> str:
        if is_unix_address(value):
            if not value.removeprefix("unix:").lstrip("/"):
                raise ValueError(f"unix socket address has no path: {value!r}")
            return value
        parse_host_port(value)
        return value

    @field_validator("metrics_address")
    @classmethod
    def _check_metrics_address(cls, value: str) -> str:
        parse_host_port(value)
        return value

    @field_validator("tokenizer_path")
    @classmethod
    def _tokenizer_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"not a directory: {value}")
        return value

    @field_validator("probe_dir", "encoder_dir")
    @classmethod
    def _check_directory(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"not a directory: {value}")
        return value

    @field_validator("layers")
    @classmethod
    def _check_layers(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("list at least one layer, or use null")
        if any(layer < 0 for layer in value):
            raise ValueError(f"layers must be >= 0, got {value}")
        if len(set(value)) != len(value):
            raise ValueError(f"duplicate layers in {value}")
        return sorted(value)

    @field_validator("rules")
    @classmethod
    def _unique_rule_names(cls, value: list[RuleConfig]) -> list[RuleConfig]:
        seen: set[str] = set()
        for rule in value:
            if rule.name in seen:
                raise ValueError(f"duplicate rule name {rule.name!r}")
            seen.add(rule.name)
        return value


def check_layers(layers: list[int] | None, probe_layers: Iterable[int], source: str) -> None:
    """``ConfigError`` when a probe reads a layer that ``layers`` does not list."""
    if layers is None:
        return
    missing = sorted(set(probe_layers) - set(layers))
    if missing:
        raise ConfigError(
            f"{source}: layers: probes read layer(s) {missing}, which are not captured "
            f"(layers: {layers})"
        )


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def load_config(path: Path | None = None) -> SidecarConfig:
    """Build the settings from a YAML file (optional) with LLM_MONITOR_* variables on top."""
    source = str(path) if path is not None else "config"
    file_data = _read_yaml(path) if path is not None else {}
    try:
        env_data = EnvSettingsSource(SidecarConfig)()
        return SidecarConfig(**_deep_merge(file_data, env_data))
    except ValidationError as exc:
        raise ConfigError(format_errors(source, exc)) from None
    except SettingsError as exc:
        raise ConfigError(f"environment: {exc}") from None
