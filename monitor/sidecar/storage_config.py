"""``storage:``: where flagged requests (concept traces) go, how long they are kept, and
the bounds of buffering and writing them.

A section of ``monitor.yaml`` in its own module, like those of
:mod:`monitor.sidecar.serving_config`, so that :mod:`monitor.sidecar.config` stays the
top-level settings and their loading; the trace store's factory reads it directly.
``storage.hub`` is :mod:`monitor.sidecar.hub_config`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from monitor.sidecar.hub_config import HubConfig
from monitor.sidecar.rules_config import _Section


class StorageConfig(_Section):
    """Where flagged requests (concept traces) go: a local SQLite file, or the fleet hub."""

    backend: Literal["sqlite", "hub"] = Field(
        default="sqlite",
        description="sqlite: traces in a local SQLite file (path), queried on this sidecar. "
        "hub: traces shipped to `llm-monitor hub` (section hub) through a local outbox and "
        "queried there; this sidecar's QueryTraces/GetTrace then answer UNAVAILABLE.",
    )
    hub: HubConfig | None = Field(
        default=None, description="The hub and the outbox; required with backend hub."
    )
    path: Path | None = Field(
        default=None,
        description="SQLite file of flagged traces (created if missing); None stores nothing. "
        "Backend sqlite only.",
    )
    retention_hours: float = Field(
        default=168.0,
        gt=0,
        le=24 * 3650,
        allow_inf_nan=False,
        description="Traces older than this (by last token) are deleted (at most 10 years).",
    )
    prune_interval_s: float = Field(
        default=300.0,
        gt=0,
        le=86400,
        allow_inf_nan=False,
        description="Seconds between retention prunes (at most a day).",
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
        description="Scored tokens kept in memory per in-flight request (and probe layer) "
        "until a rule fires; older tokens are dropped first.",
    )
    max_buffered_bytes: int = Field(
        default=256 * 2**20,
        ge=2**20,
        le=2**40,
        description="Memory for the buffered tokens of all in-flight requests together; "
        "beyond it the oldest request's buffer is dropped (counted in "
        "llm_monitor_trace_buffer_evictions_total).",
    )
    max_tokens_per_trace: int = Field(
        default=32768,
        gt=0,
        le=2**24,
        description="Tokens stored per flagged request (and probe layer); later tokens are "
        "not stored (counted once per trace in llm_monitor_traces_truncated_total).",
    )
    max_bytes: int | None = Field(
        default=None,
        ge=2**20,
        description="Size cap of the SQLite file in bytes; beyond it the traces with the "
        "oldest last token are deleted first. None: bounded by retention_hours only.",
    )
    write_attempts: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Attempts to write a batch of traces (with exponential backoff) before "
        "it is dropped and each of its traces counted in llm_monitor_traces_lost_total.",
    )
    retry_backoff_s: float = Field(
        default=0.2,
        gt=0,
        le=60,
        description="Wait before the first retry of a failed write; doubled each retry "
        "(at most 5 s).",
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
    def _check_backend(self) -> StorageConfig:
        if self.backend == "hub":
            if self.hub is None:
                raise ValueError("backend hub needs a hub section (hub.address, hub.spool_path)")
            if self.path is not None:
                raise ValueError(
                    "path is the SQLite store's file; with backend hub the outbox is "
                    "hub.spool_path: unset path"
                )
        elif self.hub is not None:
            raise ValueError("hub is set but backend is sqlite: set backend: hub, or remove hub")
        return self

    @model_validator(mode="after")
    def _text_needs_tokenizer(self) -> StorageConfig:
        if self.keep_token_text and self.tokenizer_path is None:
            raise ValueError("keep_token_text needs tokenizer_path")
        if self.tokenizer_path is not None and not self.tokenizer_path.exists():
            raise ValueError(f"tokenizer_path does not exist: {self.tokenizer_path}")
        return self
