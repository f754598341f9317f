"""``TraceIngest.Push``: sidecars' trace updates into the fleet store, acknowledged after commit.

``PushHandler`` is the synchronous part, on a worker thread: decode and check the push
(``monitor.sidecar.traces.wire``; a malformed push raises ``WireError`` naming the field and
nothing of it is stored), store the encoder's labels it carries, write the updates in one
``apply`` (all or nothing) and, once that returned, stream the push's alerts to
``WatchAlerts``. The answer's ``acked_seq`` is the push's ``seq``: everything up to it is
committed. A replayed push writes the same rows again, which readers see once (natural keys),
and streams none of its alerts again (``RecentIds``).

``TraceIngestServicer`` bounds the work: at most ``max_inflight`` pushes are decoded or
written at once; one more is refused at once with RESOURCE_EXHAUSTED, the sidecars' signal
to back off. A database failure is UNAVAILABLE (the sidecar keeps the batch and retries).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import NoReturn

import grpc

from monitor.hub.group_commit import GroupCommit
from monitor.hub.labels import LabelTables, RecentIds
from monitor.hub.metrics import HubMetrics
from monitor.logutil import RateLimitedLog
from monitor.sidecar.alerts.hub import AlertPublisher
from monitor.sidecar.protos import alert_message
from monitor.sidecar.server import Service
from monitor.sidecar.traces.labels import MAX_CONCEPTS, ConceptLabels
from monitor.sidecar.traces.repository import TraceRepository
from monitor.sidecar.traces.wire import WireError, labels_from_push, updates_from_push
from monitor.sidecar.traces.writer import TraceUpdate
from monitor.v1 import fleet_pb2, fleet_pb2_grpc

log = logging.getLogger(__name__)

TRACE_INGEST_SERVICE = fleet_pb2.DESCRIPTOR.services_by_name["TraceIngest"].full_name


class StorageFailed(Exception):
    """The fleet store did not take the push (nothing of it is acknowledged)."""


class PushHandler:
    """Decode, store and publish one push (any thread). Pushes that arrive while another is
    being written are written together (:class:`~monitor.hub.group_commit.GroupCommit`)."""

    def __init__(
        self,
        repository: TraceRepository,
        publisher: AlertPublisher,
        metrics: HubMetrics,
        *,
        labels: LabelTables | None = None,
        keep_token_text: bool = True,
        recent_alerts: RecentIds | None = None,
    ) -> None:
        self._repository = repository
        # concurrent pushes share one write: an insert's fixed cost dominates small pushes
        self._commit = GroupCommit(repository.apply)
        self._publisher = publisher
        self._metrics = metrics
        self._labels = labels if labels is not None else LabelTables()
        self._keep_text = keep_token_text
        self._recent = recent_alerts if recent_alerts is not None else RecentIds()
        self._error_log = RateLimitedLog(log)

    def handle(self, request: fleet_pb2.PushRequest) -> fleet_pb2.PushResponse:
        """Store the push and answer; ``WireError`` (malformed: nothing stored) or
        ``StorageFailed`` (the store failed: nothing acknowledged)."""
        if not request.source:
            raise WireError("source is empty (the sidecar's instance_id)")
        updates = updates_from_push(request)
        labels = labels_from_push(request)
        if labels is not None and not 0 < len(labels.labels) <= MAX_CONCEPTS:
            raise WireError(
                f"labels.labels: {len(labels.labels)} labels, expected 1..{MAX_CONCEPTS}"
            )
        if not self._keep_text:
            updates = [dataclasses.replace(u, texts=None) for u in updates]
        try:
            if labels is not None:
                self._repository.put_labels(labels)
                self._labels.stored(labels)
            if updates:
                self._commit.apply(updates)
            need_labels = self._labels.needed(request.encoder)
        except Exception as exc:
            self._error_log.error("storing a push from %r failed: %r", request.source, exc)
            raise StorageFailed(f"the fleet store failed: {type(exc).__name__}: {exc}") from exc
        try:  # committed: the push is acknowledged whatever happens to its side effects
            self._count(updates, labels)
            self._publish(updates)
        except Exception as exc:
            self._error_log.error("after storing a push from %r: %r", request.source, exc)
        return fleet_pb2.PushResponse(acked_seq=request.seq, need_labels=need_labels)

    def _count(self, updates: list[TraceUpdate], labels: ConceptLabels | None) -> None:
        rows = self._metrics.rows
        rows["traces"].inc(len(updates))
        rows["trace_tokens"].inc(sum(len(chunk) for u in updates for chunk in u.tokens))
        rows["alerts"].inc(sum(len(u.alerts) for u in updates))
        if labels is not None:
            rows["concept_labels"].inc(len(labels.labels))

    def _publish(self, updates: list[TraceUpdate]) -> None:
        """Stream the committed updates' alerts (not suppressed, not streamed before)."""
        for update in updates:
            table = None
            for firing in update.alerts:
                if firing.suppressed or not self._recent.first_time(firing.alert_id):
                    continue
                if table is None:
                    table = self._labels.table(update.encoder)
                alert = alert_message(
                    firing, table.label if table is not None else None, trace_stored=True
                )
                alert.source = update.source
                self._publisher.publish(alert)
                self._metrics.alerts_published.inc()


async def _abort(
    context: grpc.aio.ServicerContext, code: grpc.StatusCode, details: str
) -> NoReturn:
    await context.abort(code, details)
    raise AssertionError("unreachable: context.abort raises")  # pragma: no cover


class TraceIngestServicer(fleet_pb2_grpc.TraceIngestServicer):
    """``Push`` on the server's event loop; the handler runs on ``max_inflight`` threads."""

    def __init__(self, handler: PushHandler, metrics: HubMetrics, max_inflight: int) -> None:
        if max_inflight <= 0:
            raise ValueError(f"max_inflight must be positive, got {max_inflight}")
        self._handler = handler
        self._metrics = metrics
        self._max = max_inflight
        self._executor = ThreadPoolExecutor(max_inflight, thread_name_prefix="llm-monitor-push")
        self._inflight = 0  # touched on the event loop only
        self._closed = False
        self._error_log = RateLimitedLog(log)

    @property
    def inflight(self) -> int:
        return self._inflight

    async def Push(
        self, request: fleet_pb2.PushRequest, context: grpc.aio.ServicerContext
    ) -> fleet_pb2.PushResponse:
        started = time.monotonic()
        metrics = self._metrics
        metrics.bytes_received.inc(request.ByteSize())
        if self._closed:
            metrics.pushes["stopping"].inc()
            await _abort(context, grpc.StatusCode.UNAVAILABLE, "the hub is stopping; retry")
        if self._inflight >= self._max:
            metrics.pushes["busy"].inc()
            await _abort(
                context,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"the hub is writing {self._max} pushes already (limits.max_inflight_pushes); "
                "back off and retry",
            )
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self._executor, self._handler.handle, request)
        except RuntimeError:  # the executor is shut down
            metrics.pushes["stopping"].inc()
            await _abort(context, grpc.StatusCode.UNAVAILABLE, "the hub is stopping; retry")
        self._inflight += 1
        metrics.in_flight.set(self._inflight)
        future.add_done_callback(self._done)  # the slot stays taken until the write ends
        try:
            # shielded: a client that gives up does not cancel a write under way
            response = await asyncio.shield(future)
        except WireError as exc:
            metrics.pushes["invalid"].inc()
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except StorageFailed as exc:
            metrics.pushes["unavailable"].inc()
            await _abort(context, grpc.StatusCode.UNAVAILABLE, str(exc))
        except Exception as exc:  # a bug: the push is not acknowledged, the sidecar retries
            metrics.pushes["error"].inc()
            self._error_log.error("a push from %r failed: %r", request.source, exc)
            await _abort(context, grpc.StatusCode.INTERNAL, f"push failed: {type(exc).__name__}")
        finally:
            metrics.push_duration.observe(time.monotonic() - started)
        metrics.pushes["ok"].inc()
        return response

    def _done(self, future: asyncio.Future[fleet_pb2.PushResponse]) -> None:
        self._inflight -= 1
        self._metrics.in_flight.set(self._inflight)
        if not future.cancelled():
            future.exception()  # retrieved: a push left behind by its caller fails silently

    def close(self) -> None:
        """Refuse new pushes and wait for the writes under way (a database write is not
        interrupted)."""
        self._closed = True
        self._executor.shutdown(wait=True, cancel_futures=True)

    def service(self) -> Service:
        """The servicer as a ``Service`` for ``GrpcServerThread``."""
        return Service(
            TRACE_INGEST_SERVICE,
            lambda server: fleet_pb2_grpc.add_TraceIngestServicer_to_server(self, server),
        )
