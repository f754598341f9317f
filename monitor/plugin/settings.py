"""Plugin settings, read from ``LLM_MONITOR_PLUGIN_*`` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PluginSettings(BaseSettings):
    """How the plugin captures and where it ships; off unless ``enabled``."""

    model_config = SettingsConfigDict(env_prefix="LLM_MONITOR_PLUGIN_", extra="forbid")

    enabled: bool = Field(
        default=False,
        description="Turn capture on (LLM_MONITOR_PLUGIN_ENABLED=1). Off by default.",
    )
    sidecar_address: str = Field(
        default="127.0.0.1:50051",
        description="The sidecar's ingest address: host:port or unix:/path/to.sock.",
    )
    layers: list[int] | None = Field(
        default=None,
        description="Decoder layers to capture, e.g. '[15]'. Default: the middle layer.",
    )
    ingest_token: str | None = Field(
        default=None,
        description="Bearer token sent with the ingest stream, when the sidecar asks for one.",
    )
    buffer_batches: int = Field(
        default=512,
        gt=0,
        description="Ring buffer capacity in step-batches; new ones are dropped beyond it.",
    )
    max_message_bytes: int = Field(
        default=8 * 1024 * 1024,
        gt=0,
        description="Largest activation payload per gRPC message; bigger steps are split.",
    )
    reconnect_initial_s: float = Field(
        default=0.2, gt=0, description="First reconnect delay after the sidecar goes away."
    )
    reconnect_max_s: float = Field(
        default=5.0, gt=0, description="Largest reconnect delay (exponential backoff)."
    )
    model_name: str | None = Field(
        default=None,
        description="Model name reported to the sidecar. Default: vLLM's served model name.",
    )
