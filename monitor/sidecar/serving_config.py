"""Settings of the serving side: gRPC connection limits, WatchAlerts bounds, the watchdog,
OpenTelemetry export.

Sections of ``monitor.yaml`` (``server:``, ``watch:``, ``health:``, ``otlp:``), each a
pydantic model with bounds, so an invalid value is refused at start-up naming the field.
Durations are finite (``allow_inf_nan=False``) and capped: an infinite keepalive or
watchdog limit would silently switch the check off.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.sidecar.addresses import parse_host_port

DAY_S = 86400.0


class ServerConfig(BaseModel):
    """Connection and call limits of the gRPC server."""

    model_config = ConfigDict(extra="forbid")

    max_concurrent_rpcs: int = Field(
        default=256,
        ge=8,
        le=100_000,
        description="Calls served at once (all services); beyond it new calls are refused "
        "with RESOURCE_EXHAUSTED.",
    )
    max_concurrent_streams: int = Field(
        default=128,
        ge=4,
        le=10_000,
        description="HTTP/2 streams (calls) one connection may have open.",
    )
    keepalive_time_s: float = Field(
        default=60.0,
        ge=1.0,
        le=DAY_S,
        allow_inf_nan=False,
        description="Seconds of silence on a connection before the server pings the client; "
        "a dead peer is dropped keepalive_timeout_s later.",
    )
    keepalive_timeout_s: float = Field(
        default=20.0,
        ge=1.0,
        le=3600.0,
        allow_inf_nan=False,
        description="Seconds to wait for the answer to a keepalive ping.",
    )
    min_ping_interval_s: float = Field(
        default=10.0,
        ge=1.0,
        le=3600.0,
        allow_inf_nan=False,
        description="Shortest interval between client pings the server accepts (clients "
        "that ping more often are disconnected).",
    )
    max_connection_idle_s: float = Field(
        default=3600.0,
        ge=10.0,
        le=7 * DAY_S,
        allow_inf_nan=False,
        description="A connection with no open call for this long is closed.",
    )
    query_queue_size: int = Field(
        default=64,
        ge=1,
        le=10_000,
        description="TraceQuery calls (and, apart, ReloadRules calls) that may wait for or "
        "run on the query worker; beyond it calls are refused with RESOURCE_EXHAUSTED.",
    )

    http_timeout_s: float = Field(
        default=10.0,
        ge=0.5,
        le=300.0,
        allow_inf_nan=False,
        description="Socket timeout of the /metrics, /healthz and /readyz server: an idle "
        "or slow connection is closed after this many seconds.",
    )
    http_max_connections: int = Field(
        default=16,
        ge=1,
        le=1024,
        description="Connections the HTTP server serves at once (one thread each); more "
        "are closed at once.",
    )

    def grpc_options(self) -> list[tuple[str, int]]:
        """The ``grpc.aio.server`` channel arguments of these limits."""
        return [
            ("grpc.max_concurrent_streams", self.max_concurrent_streams),
            ("grpc.keepalive_time_ms", int(self.keepalive_time_s * 1000)),
            ("grpc.keepalive_timeout_ms", int(self.keepalive_timeout_s * 1000)),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_ping_interval_without_data_ms", int(self.min_ping_interval_s * 1000)),
            ("grpc.http2.max_ping_strikes", 2),
            ("grpc.max_connection_idle_ms", int(self.max_connection_idle_s * 1000)),
        ]


class WatchConfig(BaseModel):
    """Bounds of WatchAlerts subscribers."""

    model_config = ConfigDict(extra="forbid")

    max_subscribers: int = Field(
        default=64,
        ge=1,
        le=10_000,
        description="WatchAlerts streams open at once; more are refused with RESOURCE_EXHAUSTED "
        "(llm_monitor_watch_refused_total{reason=max_subscribers}).",
    )
    max_subscribers_per_peer: int = Field(
        default=8,
        ge=1,
        le=10_000,
        description="WatchAlerts streams one client host may hold (all clients of a unix "
        "socket are one host); more are refused (reason=per_peer).",
    )
    queue_size: int = Field(
        default=256,
        ge=1,
        le=100_000,
        description="Alerts waiting per subscriber; beyond it alerts are dropped for that "
        "subscriber (llm_monitor_alerts_dropped_total).",
    )
    max_consecutive_drops: int = Field(
        default=256,
        ge=1,
        le=1_000_000,
        description="A subscriber that loses this many alerts in a row is ended "
        "(RESOURCE_EXHAUSTED; llm_monitor_watch_streams_ended_total{reason=slow}).",
    )


class HealthConfig(BaseModel):
    """When the watchdog reports NOT_SERVING (gRPC health and /readyz)."""

    model_config = ConfigDict(extra="forbid")

    check_interval_s: float = Field(
        default=1.0,
        gt=0,
        le=60.0,
        allow_inf_nan=False,
        description="Seconds between watchdog checks.",
    )
    max_heartbeat_age_s: float = Field(
        default=30.0,
        ge=1.0,
        le=3600.0,
        allow_inf_nan=False,
        description="The scoring worker is wedged when its loop has not come round for this long.",
    )
    max_queue_age_s: float = Field(
        default=60.0,
        ge=1.0,
        le=3600.0,
        allow_inf_nan=False,
        description="Not ready while the oldest queued batch has waited longer than this.",
    )
    max_write_failure_s: float = Field(
        default=30.0,
        ge=1.0,
        le=3600.0,
        allow_inf_nan=False,
        description="Not ready while trace writes have been failing for longer than this "
        "(full disk, read-only file system).",
    )


#: gRPC metadata keys: lower-case ASCII letters, digits, ``-``, ``_`` and ``.``.
_METADATA_KEY = re.compile(r"^[0-9a-z_.-]+$")


class OtlpConfig(BaseModel):
    """OpenTelemetry export over OTLP/gRPC: alerts (and, when on, every finished request's
    scores) as ``gen_ai.evaluation.result`` log events. Present: alerts are exported."""

    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field(
        description="The OTLP/gRPC receiver, host:port (an OpenTelemetry Collector listens "
        "on 4317). An http:// prefix means plaintext, https:// TLS.",
    )
    insecure: bool = Field(
        default=False,
        description="Plaintext gRPC, no TLS (a collector on the same host or pod).",
    )
    ca_file: Path | None = Field(
        default=None, description="PEM roots that verify the receiver; None: the system's."
    )
    cert_file: Path | None = Field(
        default=None, description="PEM client certificate (mutual TLS; with key_file)."
    )
    key_file: Path | None = Field(
        default=None, description="PEM private key of cert_file (mutual TLS)."
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="gRPC metadata sent with every export, e.g. an authorization token; "
        "keys lower-case. As a secret: LLM_MONITOR_OTLP__HEADERS='{\"authorization\": ...}'.",
    )
    compression: Literal["none", "gzip"] = Field(
        default="none", description="Compression of the export requests."
    )
    timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=300.0,
        allow_inf_nan=False,
        description="Seconds one export (a batch, retries included) may take before it "
        "counts as failed.",
    )
    alerts: bool = Field(default=True, description="Export every alert WatchAlerts streams.")
    scores: bool = Field(
        default=False,
        description="Also export each finished request's aggregated score per concept (one "
        "event per request and probe: sized for moderate traffic).",
    )
    resource_attributes: dict[str, str] = Field(
        default_factory=dict,
        description="Resource attributes added to service.name=llm-monitor and "
        "service.version (and OTEL_RESOURCE_ATTRIBUTES), e.g. deployment.environment.name; "
        "these win.",
    )
    max_queue_size: int = Field(
        default=2048,
        ge=1,
        le=1_000_000,
        description="Events waiting for export; beyond it new events are dropped "
        "(llm_monitor_otlp_dropped_total{reason=queue_full}), scoring never waits.",
    )
    max_export_batch_size: int = Field(
        default=512, ge=1, le=100_000, description="Events per export request."
    )
    schedule_delay_s: float = Field(
        default=1.0,
        gt=0,
        le=60.0,
        allow_inf_nan=False,
        description="Seconds between exports while fewer than max_export_batch_size wait.",
    )
    shutdown_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=300.0,
        allow_inf_nan=False,
        description="Seconds the sidecar waits at shutdown to export what is queued; the "
        "rest is dropped (reason=shutdown).",
    )

    @field_validator("endpoint")
    @classmethod
    def _check_endpoint(cls, value: str) -> str:
        address = value.removeprefix("http://").removeprefix("https://").rstrip("/")
        host, _ = parse_host_port(address)
        if not host:
            raise ValueError(f"expected host:port, got {value!r}")
        return value

    @field_validator("headers")
    @classmethod
    def _check_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not _METADATA_KEY.match(key):
                raise ValueError(
                    f"header {key!r}: gRPC metadata keys are lower-case letters, digits, "
                    "'-', '_' and '.'"
                )
        return value

    @field_validator("ca_file", "cert_file", "key_file")
    @classmethod
    def _file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"not a file: {value}")
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> OtlpConfig:
        if self.endpoint.startswith("http://") and not self.insecure:
            raise ValueError(
                f"endpoint {self.endpoint} is plaintext: set insecure: true, or use https://"
            )
        if self.insecure and self.endpoint.startswith("https://"):
            raise ValueError(f"endpoint {self.endpoint} is TLS but insecure is true")
        if self.insecure and (self.ca_file or self.cert_file or self.key_file):
            raise ValueError("ca_file, cert_file and key_file need TLS (insecure: false)")
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("set cert_file and key_file together (mutual TLS)")
        if not (self.alerts or self.scores):
            raise ValueError("alerts and scores are both off: remove the otlp section")
        if self.max_export_batch_size > self.max_queue_size:
            raise ValueError(
                f"max_export_batch_size ({self.max_export_batch_size}) exceeds "
                f"max_queue_size ({self.max_queue_size})"
            )
        return self

    @property
    def address(self) -> str:
        """``endpoint`` without its scheme: what gRPC dials."""
        return self.endpoint.removeprefix("http://").removeprefix("https://").rstrip("/")
