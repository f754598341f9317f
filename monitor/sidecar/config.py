"""Sidecar settings: typed, defaulted, documented; read from YAML, overridden by the environment."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict, SettingsError

from monitor.artifacts.validation import format_errors
from monitor.sidecar.addresses import check_grpc_address
from monitor.sidecar.addresses import is_loopback as is_loopback
from monitor.sidecar.addresses import is_unix_address as is_unix_address
from monitor.sidecar.addresses import parse_host_port as parse_host_port
from monitor.sidecar.hub_config import default_instance_id
from monitor.sidecar.rules_config import CALIBRATED as CALIBRATED
from monitor.sidecar.rules_config import EmaAggregation as EmaAggregation
from monitor.sidecar.rules_config import MaxAggregation as MaxAggregation
from monitor.sidecar.rules_config import MaxRollingMeanAggregation as MaxRollingMeanAggregation
from monitor.sidecar.rules_config import MeanAggregation as MeanAggregation
from monitor.sidecar.rules_config import RuleAggregation as RuleAggregation
from monitor.sidecar.rules_config import RuleConfig as RuleConfig
from monitor.sidecar.security import AuthConfig, TlsConfig
from monitor.sidecar.serving_config import HealthConfig, OtlpConfig, ServerConfig, WatchConfig
from monitor.sidecar.storage_config import StorageConfig

log = logging.getLogger(__name__)

ENV_PREFIX = "LLM_MONITOR_"
ENV_NESTED_DELIMITER = "__"


class ConfigError(Exception):
    """The configuration is invalid; the message names the source and the field."""


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
        lt=1 << 30,
        description="Largest accepted ingest message in bytes; larger ones are rejected. "
        "Below 2^30 (twice it is gRPC's receive limit, a 32-bit number).",
    )
    max_queue_bytes: int = Field(
        default=512 * 1024 * 1024,
        gt=0,
        description="Decoded bytes the queue may hold (activations plus request ids and "
        "other lists of each batch); beyond it batches are dropped.",
    )
    encoder_shed_above: float = Field(
        default=0.5,
        gt=0,
        le=1.0,
        allow_inf_nan=False,
        description="Degrade path under overload: while the ingest queue is fuller than this "
        "(by batches or by bytes, whichever is fuller), the concept encoder is skipped for "
        "the batches scored; probes and rules still read every token. Skipped rows are "
        "counted in llm_monitor_encoder_rows_shed_total and their trace tokens carry no "
        "concepts. 1.0 never sheds.",
    )
    drain_timeout_s: float = Field(
        default=5.0,
        ge=0,
        le=3600,
        allow_inf_nan=False,
        description="Seconds allowed at shutdown to score batches still queued.",
    )
    max_abs_activation: float = Field(
        default=1e6,
        gt=0,
        le=1e30,
        description="Largest accepted activation magnitude; a batch with a larger value is "
        "rejected (reason magnitude), since it could overflow a probe's score to NaN.",
    )
    max_request_list: int = Field(
        default=16384,
        gt=0,
        le=1 << 20,
        description="Most started and most finished request ids one batch may carry; larger "
        "lists are rejected (reason list_length).",
    )
    max_dropped_rows_per_batch: int = Field(
        default=1 << 22,
        gt=0,
        le=1 << 40,
        description="Most dropped rows one batch may add to the drop counters (producer "
        "counter growth and row_offset gap, each); larger claims are clipped and counted in "
        "llm_monitor_ingest_ignored_total{reason=drop_claim}.",
    )


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
    instance_id: str = Field(
        default_factory=default_instance_id,
        min_length=1,
        max_length=253,
        description="This replica's identity, stamped as `source` on every trace and alert "
        "(so request ids of different replicas never collide in the fleet store). Default: "
        "$POD_NAME (Kubernetes downward API), else the hostname.",
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
    encoder_precision: Literal["float32", "int8"] = Field(
        default="float32",
        description="Which graph of the concept encoder runs. int8: encoder.int8.onnx, its "
        "weights quantized to int8 (made by `llm-monitor encoder quantize`, which records "
        "its agreement with float32 on real activations in card.json); about 2.5x faster "
        "per token on CPUs with AVX-512 VNNI, the same concepts on almost every token.",
    )
    encoder_scope: Literal["all", "flagged"] = Field(
        default="all",
        description="Which tokens the concept encoder runs on. all: every scored token, as it "
        "is scored. flagged: only the tokens a trace stores and those where a rule fired "
        "(their alerts' top concepts), encoded when the request is flagged; until then a "
        "request's buffered tokens keep their activations (d_model x 4 bytes per token "
        "instead of k x 8, counted in storage.max_buffered_bytes). Cuts the encoder's CPU "
        "to the flagged share of the traffic.",
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
        le=86400,
        allow_inf_nan=False,
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
    allow_insecure: bool = Field(
        default=False,
        description="Allow grpc_address beyond loopback without auth.tokens and "
        "auth.ingest_token (anyone who reaches the port can send activations, read traces "
        "and reload rules). Off: such a configuration is refused at start-up.",
    )
    reflection: bool = Field(
        default=False,
        description="Serve gRPC server reflection (lists every service and its schema, "
        "without a token). Off by default.",
    )
    server: ServerConfig = Field(
        default_factory=ServerConfig,
        description="gRPC connection and call limits, query queue, HTTP server bounds.",
    )
    watch: WatchConfig = Field(
        default_factory=WatchConfig, description="WatchAlerts subscriber bounds."
    )
    health: HealthConfig = Field(
        default_factory=HealthConfig,
        description="When the watchdog reports NOT_SERVING (gRPC health, /readyz).",
    )
    otlp: OtlpConfig | None = Field(
        default=None,
        description="OpenTelemetry export of alerts (and per-request scores) as OTLP log "
        "events; None: off.",
    )

    @field_validator("grpc_address")
    @classmethod
    def _check_grpc_address(cls, value: str) -> str:
        return check_grpc_address(value)

    @field_validator("instance_id")
    @classmethod
    def _check_instance_id(cls, value: str) -> str:
        if any(c.isspace() for c in value) or not value.isprintable():
            raise ValueError(f"instance_id must be printable without whitespace, got {value!r}")
        return value

    @field_validator("metrics_address")
    @classmethod
    def _check_metrics_address(cls, value: str) -> str:
        parse_host_port(value)
        return value

    @model_validator(mode="after")
    def _refuse_open_exposure(self) -> SidecarConfig:
        if self.allow_insecure or is_loopback(self.grpc_address):
            return self
        missing = [
            name
            for name, unset in (
                ("auth.tokens", not self.auth.tokens),
                ("auth.ingest_token", self.auth.ingest_token is None),
            )
            if unset
        ]
        if missing:
            raise ValueError(
                f"grpc_address {self.grpc_address} is not loopback but {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set: set them, bind 127.0.0.1 or "
                "a unix socket, or set allow_insecure: true"
            )
        return self

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


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(cls: type[SettingsT], path: Path | None = None) -> SettingsT:
    """Settings of ``cls`` from a YAML file (optional) with its environment variables on
    top; ``ConfigError`` naming the source and the field."""
    source = str(path) if path is not None else "config"
    file_data = _read_yaml(path) if path is not None else {}
    try:
        env_data = EnvSettingsSource(cls)()
        return cls(**_deep_merge(file_data, env_data))
    except ValidationError as exc:
        raise ConfigError(format_errors(source, exc)) from None
    except SettingsError as exc:
        raise ConfigError(f"environment: {exc}") from None


def load_config(path: Path | None = None) -> SidecarConfig:
    """Build the settings from a YAML file (optional) with LLM_MONITOR_* variables on top."""
    return load_settings(SidecarConfig, path)
