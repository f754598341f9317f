"""Sidecar settings: typed, defaulted, documented; read from YAML, overridden by the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict, SettingsError

from monitor.sidecar.validation import format_errors

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

    @field_validator("probe_dir")
    @classmethod
    def _check_probe_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"not a directory: {value}")
        return value


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
