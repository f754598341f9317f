"""Builds the trace store from ``storage`` settings, reporting into the sidecar's metrics.

``storage.backend: sqlite`` (default): a local SQLite store at ``storage.path`` (None
without a path). ``storage.backend: hub``: a :class:`HubTraceWriter` that spools updates
into an outbox file and ships them to ``llm-monitor hub``; it serves no reads
(:func:`trace_reader_of`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from monitor.logutil import RateLimitedLog
from monitor.sidecar.config import is_loopback, is_unix_address
from monitor.sidecar.hub_config import HubConfig
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.scoring.concepts import ConceptEncoder
from monitor.sidecar.storage_config import StorageConfig
from monitor.sidecar.traces.hub_writer import HubTraceWriter, OutboxRepository
from monitor.sidecar.traces.labels import ConceptLabels, encoder_labels
from monitor.sidecar.traces.outbox import Outbox
from monitor.sidecar.traces.reader import TraceReader
from monitor.sidecar.traces.shipper import GrpcPusher, Shipper, ShipperMetrics
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
    *,
    source: str = "",
    labels: ConceptLabels | None = None,
) -> TraceStore | None:
    """The trace store (not started): SQLite (None when ``storage.path`` is unset) or,
    with ``backend: hub``, the outbox writer. ``source`` is this replica's instance id,
    ``labels`` the concept encoder's label table (None without exactly one encoder).

    Raises ``StoreError`` / ``OutboxError`` / ``TokenizerError`` naming the path when it
    cannot be opened.
    """
    if storage.backend == "sqlite" and storage.path is None:
        return None
    decode = None
    if storage.keep_token_text and storage.tokenizer_path is not None:
        decode = tokenizer_decoder(storage.tokenizer_path)
    errors = RateLimitedLog(log)
    model = metrics.model(model_name)

    def on_error(stage: str, exc: BaseException) -> None:
        model.trace_errors(stage).inc()
        errors.error("trace store %s error: %r", stage, exc)

    def on_lost(model_name: str, reason: str) -> None:
        metrics.model(model_name).traces_lost(reason).inc()

    def count_drop(update: TraceUpdate, reason: str) -> None:
        metrics.model(update.model_name).trace_writes_dropped(reason).inc()

    store: TraceStore
    if storage.hub is not None and storage.backend == "hub":
        store = _hub_writer(
            storage, storage.hub, metrics, model_name, source, labels, decode, on_error, on_lost
        )
    else:
        assert storage.path is not None
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
            source=source,
            labels=labels,
            concept_label=concept_label,
            on_error=on_error,
            on_lost=on_lost,
        )
    store.count_drops(count_drop)
    store.time_writes(model.trace_write_duration.observe)
    return store


def _hub_writer(
    storage: StorageConfig,
    hub: HubConfig,
    metrics: SidecarMetrics,
    model_name: str,
    source: str,
    labels: ConceptLabels | None,
    decode: Callable[..., list[str]] | None,
    on_error: Callable[[str, BaseException], None],
    on_lost: Callable[[str, str], None],
) -> HubTraceWriter:
    outbox = Outbox(hub.spool_path)
    if labels is not None:
        outbox.put_labels(labels)
    name = metrics.model(model_name).model_name
    spooled = metrics.child(metrics.trace_updates_spooled, name)
    shipped = metrics.child(metrics.trace_updates_shipped, name)
    rejected = metrics.child(metrics.trace_updates_rejected, name)
    pushes = metrics.child(metrics.trace_pushes, name)
    retries: dict[str, object] = {}

    def retry(code: str) -> None:
        child = retries.get(code)
        if child is None:
            child = retries[code] = metrics.child(metrics.trace_ship_retries, name, code)
        child.inc()  # type: ignore[attr-defined]

    metrics.child(metrics.trace_spool_bytes, name).set_function(lambda: outbox.nbytes)
    metrics.child(metrics.trace_spool_rows, name).set_function(lambda: outbox.rows)
    metrics.child(metrics.trace_spool_oldest_age, name).set_function(outbox.oldest_age)
    if (
        hub.bearer_token() is not None
        and not hub.uses_tls
        and not (is_unix_address(hub.address) or is_loopback(hub.address))
    ):
        log.warning(
            "storage.hub: the token goes to %s without TLS (set storage.hub.tls or tls_ca)",
            hub.address,
        )
    shipper = Shipper(
        outbox,
        GrpcPusher(hub),
        max_batch_tokens=hub.max_batch_tokens,
        max_push_bytes=hub.max_push_bytes,
        flush_interval_s=hub.flush_interval_s,
        push_timeout_s=hub.push_timeout_s,
        backoff_initial_s=hub.backoff_initial_s,
        backoff_max_s=hub.backoff_max_s,
        metrics=ShipperMetrics(
            pushes=pushes.inc,
            shipped=shipped.inc,
            rejected=rejected.inc,
            retry=retry,
        ),
    )
    repository = OutboxRepository(
        outbox,
        source=source,
        encoder=labels.encoder if labels is not None else "",
        max_bytes=hub.spool_max_bytes,
        max_batch_tokens=hub.max_batch_tokens,
        max_row_bytes=hub.max_push_bytes,
        decode=decode,
        on_error=on_error,
        on_spooled=spooled.inc,
    )
    log.info(
        "traces go to the hub at %s (instance %s; outbox %s, %d row(s) waiting)",
        hub.address,
        source,
        hub.spool_path,
        outbox.rows,
    )
    return HubTraceWriter(
        repository,
        shipper,
        drain_timeout_s=hub.drain_timeout_s,
        queue_size=storage.write_queue_size,
        max_batch=storage.max_batch_writes,
        write_attempts=storage.write_attempts,
        retry_backoff_s=storage.retry_backoff_s,
        on_error=on_error,
        on_lost=on_lost,
    )


def trace_reader_of(store: TraceStore | None) -> TraceReader | None:
    """What answers QueryTraces / GetTrace here: the store, or None in hub mode."""
    return None if store is None or isinstance(store, HubTraceWriter) else store


def unavailable_reason(storage: StorageConfig) -> str | None:
    """Why this sidecar answers trace queries with UNAVAILABLE in hub mode; None otherwise
    (the query service's own message: no store configured)."""
    if storage.backend == "hub" and storage.hub is not None:
        return f"traces are stored at hub {storage.hub.address}"
    return None


def concept_labeller(encoders: Mapping[int, ConceptEncoder]) -> Callable[[int], str] | None:
    """The label lookup of the concept encoder, when there is exactly one (concept ids of
    encoders on different layers are different concepts, and alerts carry ids only)."""
    if len(encoders) != 1:
        return None
    return next(iter(encoders.values())).label


def concept_table(encoders: Mapping[int, ConceptEncoder]) -> ConceptLabels | None:
    """The label table of the concept encoder when there is exactly one and it says how
    many concepts it has (``m``); None otherwise."""
    if len(encoders) != 1:
        return None
    encoder = next(iter(encoders.values()))
    concepts = getattr(encoder, "m", None)
    if not isinstance(concepts, int) or concepts <= 0:
        return None
    return encoder_labels(encoder, concepts)
