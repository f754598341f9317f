"""``storage.hub``: where a sidecar in hub mode ships its traces, and its local outbox.

With ``storage.backend: hub`` the sidecar keeps no trace store of its own: each flagged
request's updates are appended to a durable outbox (an SQLite file, ``spool_path``) and
a shipper thread pushes them to ``llm-monitor hub`` (``TraceIngest.Push``), deleting them
once the hub acknowledged them. See :mod:`monitor.sidecar.traces.hub_writer`.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from monitor.sidecar.addresses import check_grpc_address
from monitor.sidecar.security import check_token, readable_file

MB = 2**20


def default_instance_id() -> str:
    """The replica's identity: ``$POD_NAME`` (Kubernetes downward API), else the hostname."""
    return os.environ.get("POD_NAME", "").strip() or socket.gethostname() or "sidecar"


class HubConfig(BaseModel):
    """The hub to push to, how (TLS, token, deadlines, backoff) and the outbox's bounds."""

    model_config = ConfigDict(extra="forbid")

    address: str = Field(
        description="The hub's TraceIngest address: host:port or unix:/path.",
    )
    token: SecretStr | None = Field(
        default=None,
        description="Bearer token the hub accepts on Push (the hub's auth.ingest_tokens).",
    )
    token_file: Path | None = Field(
        default=None,
        description="File holding the token on one line (a mounted Secret); instead of token.",
    )
    tls: bool = Field(
        default=False,
        description="Connect with TLS (system roots unless tls_ca is set). Implied by tls_ca "
        "and tls_cert.",
    )
    tls_ca: Path | None = Field(
        default=None, description="CA bundle (PEM) that signed the hub's certificate."
    )
    tls_cert: Path | None = Field(
        default=None, description="Client certificate chain (PEM) for mutual TLS."
    )
    tls_key: Path | None = Field(
        default=None, description="Private key (PEM) of tls_cert; goes with it."
    )
    tls_server_name: str | None = Field(
        default=None, description="Name to check in the hub's certificate instead of the host."
    )
    spool_path: Path = Field(
        description="The outbox: an SQLite file (created if missing) of updates not yet "
        "acknowledged by the hub. Put it on a persistent volume to keep it across pod "
        "restarts.",
    )
    spool_max_mb: float = Field(
        default=1024.0,
        gt=0,
        le=1024 * 1024,
        allow_inf_nan=False,
        description="Size cap of the outbox (MiB of queued updates). At the cap new updates "
        "are refused: counted in llm_monitor_trace_writes_dropped_total{reason=spool_full}, "
        "and once a trace lost an update its later updates are refused too, so every stored "
        "trace is an unbroken prefix that starts with its flagging update.",
    )
    flush_interval_s: float = Field(
        default=1.0,
        gt=0,
        le=60,
        allow_inf_nan=False,
        description="Longest wait to gather more updates before a push (a push goes at once "
        "when max_batch_tokens or max_push_bytes are reached).",
    )
    max_batch_tokens: int = Field(
        default=20000,
        gt=0,
        le=10_000_000,
        description="Token rows (tokens x layers) per outbox row and per push.",
    )
    max_push_bytes: int = Field(
        default=8 * MB,
        ge=64 * 1024,
        le=1 << 30,
        description="Largest push in bytes (the hub must accept messages this large); an "
        "update larger than this alone is not stored (llm_monitor_traces_lost_total"
        "{reason=write_error}).",
    )
    push_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=600,
        allow_inf_nan=False,
        description="Deadline of one push; a push past it is retried (DEADLINE_EXCEEDED).",
    )
    drain_timeout_s: float = Field(
        default=20.0,
        ge=0,
        le=3600,
        allow_inf_nan=False,
        description="At shutdown (SIGTERM), seconds to keep shipping the outbox to the hub; "
        "what is left stays in the file and is shipped after the next start.",
    )
    backoff_initial_s: float = Field(
        default=0.5,
        gt=0,
        le=60,
        allow_inf_nan=False,
        description="Wait after the first failed push (UNAVAILABLE, RESOURCE_EXHAUSTED, "
        "DEADLINE_EXCEEDED, ...); doubled per failure, with jitter.",
    )
    backoff_max_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        allow_inf_nan=False,
        description="Longest wait between two failed pushes.",
    )

    @field_validator("address")
    @classmethod
    def _check_address(cls, value: str) -> str:
        return check_grpc_address(value)

    @field_validator("token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_token("token", value)
        return value

    @field_validator("token_file", "tls_ca", "tls_cert", "tls_key")
    @classmethod
    def _check_file(cls, value: Path | None) -> Path | None:
        return None if value is None else readable_file(value)

    @model_validator(mode="after")
    def _check_together(self) -> HubConfig:
        if self.token is not None and self.token_file is not None:
            raise ValueError("set token or token_file, not both")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        if self.backoff_initial_s > self.backoff_max_s:
            raise ValueError(
                f"backoff_initial_s ({self.backoff_initial_s}) is above backoff_max_s "
                f"({self.backoff_max_s})"
            )
        if self.token_file is not None:
            self.bearer_token()  # a bad file fails at start-up, naming the field
        return self

    @property
    def uses_tls(self) -> bool:
        """True when the channel to the hub is encrypted."""
        return self.tls or self.tls_ca is not None or self.tls_cert is not None

    @property
    def spool_max_bytes(self) -> int:
        """``spool_max_mb`` in bytes."""
        return int(self.spool_max_mb * MB)

    def bearer_token(self) -> str | None:
        """The token (``token``, or the first line of ``token_file``), or None."""
        if self.token is not None:
            return self.token.get_secret_value()
        if self.token_file is None:
            return None
        try:
            text = self.token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"token_file: cannot read {self.token_file}: {exc}") from None
        if not text or "\n" in text:
            raise ValueError(f"token_file: {self.token_file} must hold one token on one line")
        check_token(f"token_file {self.token_file}", SecretStr(text))
        return text
