"""Hub settings: typed, defaulted, documented; read from YAML, overridden by the environment.

The same loader as the sidecar's (``monitor.sidecar.config``): a YAML file, then
``LLM_MONITOR_HUB_*`` variables on top (``__`` between nested names, e.g.
``LLM_MONITOR_HUB_STORAGE__BACKEND=clickhouse``); every invalid value is refused at
start-up with a ``ConfigError`` naming the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from monitor.sidecar.addresses import check_grpc_address, is_loopback, parse_host_port
from monitor.sidecar.config import ConfigError as ConfigError
from monitor.sidecar.config import load_settings
from monitor.sidecar.security import TlsConfig, check_token
from monitor.sidecar.serving_config import ServerConfig, WatchConfig

ENV_PREFIX = "LLM_MONITOR_HUB_"
ENV_NESTED_DELIMITER = "__"
DEFAULT_ADDRESS = "127.0.0.1:50052"
DEFAULT_METRICS_ADDRESS = "127.0.0.1:9401"
MAX_TTL_DAYS = 3650
Backend = Literal["chdb", "clickhouse", "sqlite"]


class HubServerConfig(ServerConfig):
    """Where the hub listens, and the gRPC connection limits it shares with the sidecar."""

    address: str = Field(
        default=DEFAULT_ADDRESS,
        description="gRPC listen address of TraceIngest and TraceQuery: host:port (port 0 "
        "picks one) or unix:/path. Beyond loopback it needs auth tokens (or allow_insecure).",
    )
    metrics_address: str = Field(
        default=DEFAULT_METRICS_ADDRESS,
        description="HTTP listen address of /metrics, /healthz and /readyz (host:port).",
    )
    reflection: bool = Field(
        default=False, description="Serve gRPC server reflection (without a token)."
    )

    @field_validator("address")
    @classmethod
    def _check_address(cls, value: str) -> str:
        return check_grpc_address(value)

    @field_validator("metrics_address")
    @classmethod
    def _check_metrics_address(cls, value: str) -> str:
        parse_host_port(value)
        return value


class HubAuthConfig(BaseModel):
    """Bearer tokens: one list for readers (TraceQuery), one for sidecars (TraceIngest)."""

    model_config = ConfigDict(extra="forbid")

    tokens: list[SecretStr] = Field(
        default_factory=list,
        description="Tokens accepted on TraceQuery (query, trace, watch); empty = open.",
    )
    ingest_tokens: list[SecretStr] = Field(
        default_factory=list,
        description="Tokens accepted on TraceIngest.Push (the sidecars' hub token); several "
        "allow rotation; empty = open.",
    )

    @field_validator("tokens", "ingest_tokens")
    @classmethod
    def _check_tokens(cls, value: list[SecretStr], info: ValidationInfo) -> list[SecretStr]:
        for i, token in enumerate(value):
            check_token(f"{info.field_name}[{i}]", token)
        return value


class HubStorageConfig(BaseModel):
    """The fleet store: chDB (embedded ClickHouse), a ClickHouse server, or SQLite."""

    model_config = ConfigDict(extra="forbid")

    backend: Backend = Field(
        default="chdb",
        description="chdb: ClickHouse's engine inside the hub (one hub replica; `path` on a "
        "volume). clickhouse: a ClickHouse server or cluster over HTTP (any number of hub "
        "replicas). sqlite: one SQLite file (tests, a single small node).",
    )
    path: Path | None = Field(
        default=None,
        description="chdb: the data directory (created if missing; one process at a time). "
        "sqlite: the database file.",
    )
    url: str | None = Field(
        default=None,
        description="clickhouse: the server's HTTP(S) URL, e.g. https://clickhouse:8443.",
    )
    database: str = Field(
        default="llm_monitor",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$",
        description="The database holding the tables (created if missing).",
    )
    user: str = Field(default="default", description="clickhouse: the user name.")
    password_file: Path | None = Field(
        default=None,
        description="clickhouse: a file holding the user's password (a mounted secret); "
        "None: no password.",
    )
    token_ttl_days: int = Field(
        default=7,
        ge=1,
        le=MAX_TTL_DAYS,
        description="Days a trace's tokens are kept (by the trace's first alert).",
    )
    trace_ttl_days: int = Field(
        default=90,
        ge=1,
        le=MAX_TTL_DAYS,
        description="Days trace summaries and alerts are kept (sqlite: the whole trace).",
    )
    keep_token_text: bool = Field(
        default=True,
        description="Store the token text sidecars send; false drops it at the hub.",
    )

    @field_validator("password_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"not a file: {value}")
        return value

    @model_validator(mode="after")
    def _backend_fields(self) -> HubStorageConfig:
        if self.backend in ("chdb", "sqlite"):
            if self.path is None:
                raise ValueError(f"backend {self.backend} needs path")
            if self.url is not None:
                raise ValueError(f"url is for backend clickhouse, not {self.backend}")
            if self.password_file is not None:
                raise ValueError(f"password_file is for backend clickhouse, not {self.backend}")
        else:
            if self.url is None:
                raise ValueError("backend clickhouse needs url")
            if not self.url.startswith(("http://", "https://")):
                raise ValueError(f"url must start with http:// or https://, got {self.url!r}")
            if self.path is not None:
                raise ValueError("path is for backends chdb and sqlite, not clickhouse")
        if self.token_ttl_days > self.trace_ttl_days:
            raise ValueError(
                f"token_ttl_days ({self.token_ttl_days}) exceeds trace_ttl_days "
                f"({self.trace_ttl_days}): tokens cannot outlive their trace"
            )
        return self

    def password(self) -> str:
        """The ClickHouse password ('' without ``password_file``); ``ConfigError`` when the
        file cannot be read."""
        if self.password_file is None:
            return ""
        try:
            return self.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"storage.password_file: cannot read {self.password_file}: {exc.strerror or exc}"
            ) from None


class HubLimits(BaseModel):
    """Back-pressure on the ingest side."""

    model_config = ConfigDict(extra="forbid")

    max_inflight_pushes: int = Field(
        default=16,
        ge=1,
        le=1024,
        description="Pushes decoded or written at once; one more is refused with "
        "RESOURCE_EXHAUSTED (the sidecar backs off and retries).",
    )
    max_push_bytes: int = Field(
        default=64 * 2**20,
        ge=2**20,
        lt=2**30,
        description="Largest accepted PushRequest in bytes (gRPC refuses larger ones with "
        "RESOURCE_EXHAUSTED); at least the sidecars' largest batch.",
    )


class HubConfig(BaseSettings):
    """Everything the hub needs to run; built once at start."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        extra="forbid",
    )

    server: HubServerConfig = Field(
        default_factory=HubServerConfig,
        description="Listen addresses, gRPC connection and call limits, query queue.",
    )
    tls: TlsConfig | None = Field(default=None, description="TLS of the gRPC server; None: off.")
    auth: HubAuthConfig = Field(
        default_factory=HubAuthConfig, description="Bearer tokens of TraceQuery and TraceIngest."
    )
    allow_insecure: bool = Field(
        default=False,
        description="Allow server.address beyond loopback without auth.tokens and "
        "auth.ingest_tokens (anyone who reaches the port can push and read traces).",
    )
    storage: HubStorageConfig = Field(
        default_factory=lambda: HubStorageConfig(backend="chdb", path=Path("hub-data")),
        description="The fleet store.",
    )
    limits: HubLimits = Field(default_factory=HubLimits, description="Ingest back-pressure.")
    watch: WatchConfig = Field(
        # a fleet's alerts arrive in bursts (one push carries many): a deeper queue
        default_factory=lambda: WatchConfig(queue_size=4096),
        description="WatchAlerts subscriber bounds (queue_size defaults to 4096 at the hub).",
    )
    alert_poll_s: float | None = Field(
        default=None,
        ge=0,
        le=60,
        allow_inf_nan=False,
        description="Seconds between reads of the alerts table for alerts other hub replicas "
        "stored, so that WatchAlerts on any replica streams the whole fleet's. None: 1.0 with "
        "the clickhouse backend (several replicas), off with chdb and sqlite (one); 0: off.",
    )

    def alert_poll_interval(self) -> float:
        """The effective ``alert_poll_s`` (0.0: off)."""
        if self.alert_poll_s is not None:
            return self.alert_poll_s
        return 1.0 if self.storage.backend == "clickhouse" else 0.0

    @model_validator(mode="after")
    def _refuse_open_exposure(self) -> HubConfig:
        if self.allow_insecure or is_loopback(self.server.address):
            return self
        missing = [
            name
            for name, unset in (
                ("auth.tokens", not self.auth.tokens),
                ("auth.ingest_tokens", not self.auth.ingest_tokens),
            )
            if unset
        ]
        if missing:
            raise ValueError(
                f"server.address {self.server.address} is not loopback but "
                f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: set "
                "them, bind 127.0.0.1 or a unix socket, or set allow_insecure: true"
            )
        return self


def load_hub_config(path: Path | None = None) -> HubConfig:
    """The settings from a YAML file (optional) with LLM_MONITOR_HUB_* variables on top."""
    return load_settings(HubConfig, path)
