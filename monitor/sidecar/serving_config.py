"""Settings of the serving side: gRPC connection limits, WatchAlerts bounds, the watchdog.

Sections of ``monitor.yaml`` (``server:``, ``watch:``, ``health:``), each a pydantic model
with bounds, so an invalid value is refused at start-up naming the field. Durations are
finite (``allow_inf_nan=False``) and capped: an infinite keepalive or watchdog limit would
silently switch the check off.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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
