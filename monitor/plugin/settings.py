"""Plugin settings, read from ``LLM_MONITOR_PLUGIN_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from monitor.placement import check_setting


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
    ingest_token: SecretStr | None = Field(
        default=None,
        description="Bearer token sent with the ingest stream, when the sidecar asks for one "
        "(kept out of reprs and logs).",
    )
    tls_ca: Path | None = Field(
        default=None,
        description="CA certificate (PEM) that signed the sidecar's TLS certificate; set = "
        "dial the sidecar with TLS (LLM_MONITOR_PLUGIN_TLS_CA).",
    )
    tls_cert: Path | None = Field(
        default=None,
        description="Client certificate (PEM), for a sidecar that requires mutual TLS.",
    )
    tls_key: Path | None = Field(
        default=None, description="Private key (PEM) of tls_cert, for mutual TLS."
    )
    buffer_batches: int = Field(
        default=512,
        gt=0,
        description="Ring buffer capacity in steps; new steps are dropped beyond it.",
    )
    host_pool_bytes: int | None = Field(
        default=None,
        ge=1 << 20,
        le=1 << 38,
        description="Host memory (pinned on CUDA) that captured rows are copied into "
        "until they are sent; a step that does not fit is dropped (host_pool_full). "
        "Default: room for 4 full steps (max_num_batched_tokens x d_model x dtype size x "
        "layers, x4), at least 64 MiB, rounded up to a power of two.",
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
    allow_opt_out: bool = Field(
        default=False,
        description="Honour a request's vllm_xargs llm_monitor_capture=off (its rows never "
        "leave vLLM; counted as dropped, reason opted_out). Off by default: anyone who can "
        "call the API could switch a misuse monitor off for their own request. Turn it on "
        "(LLM_MONITOR_PLUGIN_ALLOW_OPT_OUT=1) only where the API's clients are trusted.",
    )
    allow_unsupported_vllm: bool = Field(
        default=False,
        description="Install capture even on a vLLM outside the supported range "
        "(LLM_MONITOR_PLUGIN_ALLOW_UNSUPPORTED_VLLM=1). Off by default: such a vLLM serves "
        "unmonitored and the sidecar shows capture down.",
    )
    ship_delay_fraction: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Send a step's rows this fraction of the step's duration after it ends "
        "(0: at once), so the plugin's and the sidecar's work runs while the model computes "
        "the next step, not between steps, when vLLM's scheduler and API server hand the "
        "step's tokens on from the same host cores.",
    )
    ship_delay_max_ms: float = Field(
        default=25.0,
        ge=0,
        le=1000,
        description="Longest wait before a step's rows are sent (ship_delay_fraction of a "
        "long step); with ship_gather_ms, what the shipper adds to alert latency at most.",
    )
    ship_gather_ms: float = Field(
        default=40.0,
        ge=0,
        le=1000,
        description="Gather the steps that end within this many milliseconds of the first "
        "one held (and any queued behind them) and send each layer's rows of consecutive "
        "steps as one message (0: one message per step and layer). The sidecar's work is "
        "per message more than per row, and on a CPU host it runs beside vLLM's scheduler: "
        "fewer, larger messages take less of it.",
    )

    shipper_mode: Literal["auto", "process", "thread"] = Field(
        default="auto",
        description="Where the shipper runs (checking, labelling and encoding each step's "
        "rows, gRPC). process: a child process of the worker, reading the rows from shared "
        "memory; the worker's own threads then do nothing but the model's work, since any "
        "Python thread beside the model makes its step wait for the interpreter lock at "
        "every kernel it calls. thread: a thread of the worker. auto: process where the "
        "rows are captured in host memory (vLLM's CPU backend), thread on an accelerator "
        "(its copies land asynchronously, on an event only the worker can wait for).",
    )
    shipper_nice: int = Field(
        default=19,
        ge=0,
        le=19,
        description="CPU priority (nice) of the shipper process: vLLM's scheduler and API "
        "server share its cores and come first. At nice 0 its work, no longer paced by the "
        "worker's interpreter lock, delayed their handing on of tokens (inter-token p99 "
        "0.3-0.9 s at 3 requests/s on a 2-core host); at 19 the served latency matched an "
        "unmonitored server's and every step was still scored within 100 ms.",
    )
    shipper_cpus: str = Field(
        default="auto",
        description="CPUs of the shipper (its process or thread) and gRPC's threads, which "
        "do the plugin's work outside the step. auto: where vLLM binds the worker's compute "
        "threads to some cores (its CPU backend), the other usable CPUs, so the plugin never takes "
        "the model's cores; elsewhere unchanged. inherit: the worker's own binding. Or a "
        "CPU list such as '1' or '2-3'.",
    )

    @field_validator("shipper_cpus")
    @classmethod
    def _check_cpus(cls, value: str) -> str:
        return check_setting(value)

    @field_validator("tls_ca", "tls_cert", "tls_key")
    @classmethod
    def _check_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"not a file: {value}")
        return value

    @model_validator(mode="after")
    def _cert_and_key(self) -> PluginSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        return self
