"""OpenTelemetry export (``otlp:`` in monitor.yaml): alerts, and optionally every finished
request's scores, as OTLP log events ``gen_ai.evaluation.result`` over gRPC.

``OtlpExport`` is an ``AlertPublisher`` (next to the WatchAlerts hub, through
``AlertFanOut``) and a ``ScoreSink`` that reads finished requests only. It never blocks the
scoring worker or the trace writer: an event is handed to the SDK's
``BatchLogRecordProcessor``, whose own thread batches and exports it. At most
``max_queue_size`` events wait; beyond that new events are dropped and counted, so the SDK's
queue never overflows (it would drop the oldest silently). Every event ends in exactly one
of ``llm_monitor_otlp_exported_total`` or ``llm_monitor_otlp_dropped_total{reason}``
(``queue_full``, ``export_failed`` after the exporter's retries and timeout, ``shutdown``:
still queued when the shutdown deadline passed). An unreachable receiver costs memory up to
the queue bound and nothing else.

Needs the ``otlp`` extra (``opentelemetry-sdk``, ``opentelemetry-exporter-otlp-proto-grpc``):
the sidecar imports this module only when ``otlp:`` is set.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

import grpc
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.environment_variables import OTEL_SDK_DISABLED
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from prometheus_client import CollectorRegistry, Counter, Gauge

from monitor import __version__
from monitor.logutil import RateLimitedLog
from monitor.sidecar.alerts.hub import AlertPublisher
from monitor.sidecar.alerts.otlp_events import (
    EVENT_NAME,
    EvaluationEvent,
    alert_event,
    request_score_events,
)
from monitor.sidecar.scoring.sinks import BaseScoreSink, RequestResult
from monitor.sidecar.serving_config import OtlpConfig
from monitor.v1 import query_pb2

log = logging.getLogger(__name__)

SERVICE = "llm-monitor"
#: why an event did not reach the receiver (``llm_monitor_otlp_dropped_total{reason}``)
DROP_REASONS = ("queue_full", "export_failed", "shutdown")


class OtlpMetrics:
    """The export's families, children bound to the configured model name."""

    def __init__(self, registry: CollectorRegistry, model_name: str) -> None:
        exported = Counter(
            "llm_monitor_otlp_exported",
            "OTLP log events (alerts, request scores) the receiver accepted.",
            ("model_name",),
            registry=registry,
        )
        dropped = Counter(
            "llm_monitor_otlp_dropped",
            "OTLP log events that did not reach the receiver: queue_full (the export queue "
            "was full), export_failed (rejected or unreachable after retries), shutdown "
            "(still queued when the sidecar stopped).",
            ("model_name", "reason"),
            registry=registry,
        )
        queued = Gauge(
            "llm_monitor_otlp_queue_events",
            "OTLP log events waiting for export now.",
            ("model_name",),
            registry=registry,
        )
        self.exported = exported.labels(model_name)
        self.dropped = {reason: dropped.labels(model_name, reason) for reason in DROP_REASONS}
        self.queued = queued.labels(model_name)


class _CountingExporter(LogRecordExporter):
    """Reports how each batch ended (``on_result(events, ok)``) and forwards to ``inner``."""

    def __init__(self, inner: LogRecordExporter, on_result: Callable[[int, bool], None]) -> None:
        self.inner = inner
        self._on_result = on_result
        self._stopped = False
        self._stop_lock = threading.Lock()

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        result = LogRecordExportResult.FAILURE
        try:
            result = self.inner.export(batch)
        except Exception as exc:
            log.error("OTLP export failed: %r", exc)
        self._on_result(len(batch), result == LogRecordExportResult.SUCCESS)
        return result

    def shutdown(self) -> None:
        """Shut ``inner`` down once (it ends an export's retries at once)."""
        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def grpc_exporter(config: OtlpConfig) -> LogRecordExporter:
    """The SDK's OTLP/gRPC log exporter for ``config`` (connects lazily, on first export)."""
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter

    credentials = None
    if not config.insecure:
        credentials = grpc.ssl_channel_credentials(
            root_certificates=config.ca_file.read_bytes() if config.ca_file else None,
            private_key=config.key_file.read_bytes() if config.key_file else None,
            certificate_chain=config.cert_file.read_bytes() if config.cert_file else None,
        )
    gzip = config.compression == "gzip"
    return OTLPLogExporter(
        endpoint=config.address,
        insecure=config.insecure,
        credentials=credentials,
        headers=dict(config.headers) or None,
        timeout=config.timeout_s,
        compression=grpc.Compression.Gzip if gzip else grpc.Compression.NoCompression,
    )


def otlp_resource(config: OtlpConfig) -> Resource:
    """service.name=llm-monitor, service.version, OTEL_RESOURCE_ATTRIBUTES and then the
    configured ``resource_attributes`` (which win)."""
    return Resource.create(
        {SERVICE_NAME: SERVICE, SERVICE_VERSION: __version__, **config.resource_attributes}
    )


class OtlpExport(BaseScoreSink):
    """Alerts (``publish``) and finished requests' scores (``on_request_finished``) as OTLP
    log events. ``exporter`` replaces the OTLP/gRPC exporter (tests)."""

    wants_tokens = False

    def __init__(
        self,
        config: OtlpConfig,
        registry: CollectorRegistry,
        model_name: str = "",
        thresholds: Mapping[str, float] | None = None,
        exporter: LogRecordExporter | None = None,
    ) -> None:
        self.config = config
        self._thresholds = dict(thresholds or {})
        self._metrics = OtlpMetrics(registry, model_name)
        self._lock = threading.Lock()
        self._pending = 0  # emitted, not yet reported back by the exporter
        self._closed = False  # no new events
        self._abandoned = False  # what was pending is counted as dropped (shutdown)
        self._errors = RateLimitedLog(log)
        # the SDK then hands out loggers that drop everything: export nothing, count nothing
        self.disabled = os.environ.get(OTEL_SDK_DISABLED, "").strip().lower() == "true"
        if self.disabled:
            log.warning("%s is set: the otlp section exports nothing", OTEL_SDK_DISABLED)
        self._exporter = _CountingExporter(
            exporter if exporter is not None else grpc_exporter(config), self._exported
        )
        self._provider = LoggerProvider(resource=otlp_resource(config), shutdown_on_exit=False)
        self._provider.add_log_record_processor(
            BatchLogRecordProcessor(
                self._exporter,
                schedule_delay_millis=config.schedule_delay_s * 1000,
                max_export_batch_size=config.max_export_batch_size,
                export_timeout_millis=config.timeout_s * 1000,
                max_queue_size=config.max_queue_size,
            )
        )
        self._logger = self._provider.get_logger(SERVICE, __version__)
        self._metrics.queued.set_function(lambda: self._pending)
        what = [name for name, on in (("alerts", config.alerts), ("scores", config.scores)) if on]
        log.info(
            "OTLP export of %s to %s (%s)",
            " and ".join(what),
            config.address,
            "plaintext" if config.insecure else "TLS",
        )

    @property
    def pending(self) -> int:
        """Events handed to the SDK and not yet exported or dropped."""
        return self._pending

    def publish(self, alert: query_pb2.Alert) -> None:
        """``AlertPublisher``: one event per alert (when ``alerts`` is on)."""
        if self.config.alerts:
            self._emit([alert_event(alert)])

    def on_request_finished(self, result: RequestResult) -> None:
        """One event per concept of a finished request (when ``scores`` is on)."""
        if self.config.scores:
            self._emit(request_score_events(result, self._thresholds))

    def force_flush(self, timeout: float) -> bool:
        """Export what is queued; False when that did not end within ``timeout``."""
        return _bounded(lambda: self._provider.force_flush(int(timeout * 1000)), timeout)

    def shutdown(self, timeout: float) -> bool:
        """Export what is queued within ``min(timeout, shutdown_timeout_s)``, then stop;
        what is still queued is counted as dropped (``shutdown``)."""
        with self._lock:
            if self._closed:
                return True
            self._closed = True
        budget = min(timeout, self.config.shutdown_timeout_s)
        done = _bounded(self._provider.shutdown, budget)
        with self._lock:
            left, self._pending, self._abandoned = self._pending, 0, True
        if not done:
            self._exporter.shutdown()  # ends the export in flight (its retries) at once
        if left:
            self._metrics.dropped["shutdown"].inc(left)
            log.warning("OTLP export: %d event(s) not exported at shutdown", left)
        return done

    def _emit(self, events: Iterable[EvaluationEvent]) -> None:
        if self.disabled:
            return
        now = time.time_ns()
        for event in events:
            with self._lock:
                if self._closed:
                    reason: str | None = "shutdown"
                elif self._pending >= self.config.max_queue_size:
                    reason = "queue_full"
                else:
                    reason = None
                    self._pending += 1
            if reason is not None:
                self._metrics.dropped[reason].inc()
                if reason == "queue_full":
                    self._errors.warning("OTLP export queue full: events are dropped")
                continue
            try:
                self._logger.emit(
                    timestamp=event.timestamp_ns,
                    observed_timestamp=now,
                    severity_number=SeverityNumber(event.severity_number),
                    severity_text=event.severity_text,
                    attributes=event.attributes,
                    event_name=EVENT_NAME,
                )
            except Exception as exc:
                self._exported(1, False)
                self._errors.error("OTLP event not emitted: %r", exc)

    def _exported(self, count: int, ok: bool) -> None:
        """The exporter's report on ``count`` events (its thread)."""
        with self._lock:
            if self._abandoned:
                return  # counted as dropped at shutdown
            self._pending -= count
        if ok:
            self._metrics.exported.inc(count)
        else:
            self._metrics.dropped["export_failed"].inc(count)


class AlertFanOut:
    """Hands each alert to every publisher; an exception of one does not stop the others
    (the first is raised after all had the alert)."""

    def __init__(self, *publishers: AlertPublisher) -> None:
        self.publishers = publishers

    def publish(self, alert: query_pb2.Alert) -> None:
        first: Exception | None = None
        for publisher in self.publishers:
            try:
                publisher.publish(alert)
            except Exception as exc:
                first = first or exc
        if first is not None:
            raise first


def _bounded(call: Callable[[], object], timeout: float) -> bool:
    """Run ``call`` on a helper thread; True when it returned within ``timeout`` seconds."""
    worker = threading.Thread(target=call, name="llm-monitor-otlp-flush", daemon=True)
    worker.start()
    worker.join(max(0.0, timeout))
    return not worker.is_alive()
