"""Builds the trace store from ``storage`` settings, reporting into the sidecar's metrics."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from monitor.logutil import RateLimitedLog
from monitor.sidecar.config import StorageConfig
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.scoring.concepts import ConceptEncoder
from monitor.sidecar.traces.sqlite import SqliteTraceStore
from monitor.sidecar.traces.store import TraceStore
from monitor.sidecar.traces.token_text import tokenizer_decoder
from monitor.sidecar.traces.writer import TraceUpdate

log = logging.getLogger(__name__)


def build_trace_store(
    storage: StorageConfig,
    metrics: SidecarMetrics,
    model_name: str = "",
    concept_label: Callable[[int], str] | None = None,
) -> TraceStore | None:
    """The SQLite store (not started), or None when ``storage.path`` is unset.

    Raises ``StoreError`` / ``TokenizerError`` naming the path when it cannot be opened.
    """
    if storage.path is None:
        return None
    decode = None
    if storage.keep_token_text and storage.tokenizer_path is not None:
        decode = tokenizer_decoder(storage.tokenizer_path)
    errors = RateLimitedLog(log)
    model = metrics.model(model_name)

    def on_error(stage: str, exc: BaseException) -> None:
        model.trace_errors(stage).inc()
        errors.error("trace store %s error: %r", stage, exc)

    def on_drop(update: TraceUpdate) -> None:
        metrics.model(update.model_name).trace_writes_dropped.inc()

    def on_lost(model_name: str, reason: str) -> None:
        metrics.model(model_name).traces_lost(reason).inc()

    store = SqliteTraceStore(
        storage.path,
        retention_s=storage.retention_hours * 3600.0,
        max_bytes=storage.max_bytes,
        prune_interval_s=storage.prune_interval_s,
        queue_size=storage.write_queue_size,
        max_batch=storage.max_batch_writes,
        write_attempts=storage.write_attempts,
        retry_backoff_s=storage.retry_backoff_s,
        decode=decode,
        concept_label=concept_label,
        on_error=on_error,
        on_drop=on_drop,
        on_lost=on_lost,
    )
    store.time_writes(model.trace_write_duration.observe)
    return store


def concept_labeller(encoders: Mapping[int, ConceptEncoder]) -> Callable[[int], str] | None:
    """The label lookup of the concept encoder, when there is exactly one (concept ids of
    encoders on different layers are different concepts, and alerts carry ids only)."""
    if len(encoders) != 1:
        return None
    return next(iter(encoders.values())).label
