"""Hub mode's trace writer: updates go into a durable outbox, a shipper pushes them on.

``HubTraceWriter`` is a :class:`~monitor.sidecar.traces.store.TraceStore` whose repository
is an :class:`OutboxRepository`: the same bounded queue and writer thread as the SQLite
store, so ``submit`` never blocks and ``flush`` returns once the outbox committed (the
durability acknowledgement behind ``TraceListener.trace_committed``). The writer thread
stamps each update with its ``TraceSnapshot`` (:mod:`~monitor.sidecar.traces.snapshots`),
this replica's ``source`` and, with ``keep_token_text``, the tokens' text, encodes it
(:mod:`~monitor.sidecar.traces.wire`) and appends the batch to the outbox in one
transaction. A :class:`~monitor.sidecar.traces.shipper.Shipper` thread pushes the rows to
the hub and deletes them once acknowledged.

Size cap: an update that would take the outbox above ``spool_max_bytes`` is refused
(``trace_lost(update, "spool_full")``, ``llm_monitor_trace_writes_dropped_total
{reason="spool_full"}``), never retried; so are the later updates of a trace that lost
one, so every stored trace is an unbroken prefix starting with its flagging update. An
update of a trace whose flagging update never reached the outbox (lost before) is
skipped as the SQLite store skips it: there is no trace to add it to.

Reads: none. Traces are queried at the hub; ``query_traces`` / ``get_trace`` raise.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitor.sidecar.records import RequestKey
from monitor.sidecar.traces.labels import ConceptLabels
from monitor.sidecar.traces.outbox import NewRow, Outbox
from monitor.sidecar.traces.reader import TraceFilter
from monitor.sidecar.traces.shipper import Shipper
from monitor.sidecar.traces.snapshots import Snapshots
from monitor.sidecar.traces.store import ErrorCallback, LostCallback, TraceStore
from monitor.sidecar.traces.wire import update_message
from monitor.sidecar.traces.writer import (
    LOST_SPOOL_FULL,
    LOST_WRITE_ERROR,
    TokenDecoder,
    TraceUpdate,
)
from monitor.v1 import fleet_pb2, query_pb2

log = logging.getLogger(__name__)

MAX_REFUSED_TRACES = 100_000  # traces remembered as refused (their later updates too)
UPDATES_FIELD_OVERHEAD = 6  # tag and length prefix of one update in a PushRequest


@dataclass
class _Prepared:
    """One batch encoded into rows, kept while its transaction is retried."""

    updates: list[TraceUpdate]  # the batch (kept so that the ids below stay unique)
    rows: list[NewRow]
    refused: list[tuple[TraceUpdate, str]]
    spooled: int  # updates in ``rows``


class OutboxRepository:
    """A ``TraceRepository`` whose ``apply`` appends encoded updates to the outbox.

    Runs on the store's writer thread. A batch whose transaction fails is retried by the
    store with the same objects; its encoding (and its snapshots) is reused, so a retry
    never advances a trace's version twice.
    """

    def __init__(
        self,
        outbox: Outbox,
        *,
        source: str,
        encoder: str = "",
        max_bytes: int,
        max_batch_tokens: int,
        max_row_bytes: int,
        decode: TokenDecoder | None = None,
        on_error: ErrorCallback | None = None,
        on_spooled: Callable[[int], None] | None = None,
        snapshots: Snapshots | None = None,
    ) -> None:
        self.outbox = outbox
        self.source = source
        self.encoder = encoder
        self._max_bytes = max_bytes
        self._max_tokens = max_batch_tokens
        self._max_row_bytes = max_row_bytes
        self._decode = decode
        self._on_error = on_error
        self._on_spooled = on_spooled
        self._snapshots = snapshots if snapshots is not None else Snapshots()
        self._refused_traces: OrderedDict[RequestKey, None] = OrderedDict()
        self._prepared: _Prepared | None = None
        self._refused: list[tuple[TraceUpdate, str]] = []
        self._row_overhead = len(fleet_pb2.PushRequest(encoder=encoder).SerializeToString())

    def apply(self, updates: Sequence[TraceUpdate]) -> None:
        """Append the batch's updates that fit under the cap in one transaction; the
        others are left for ``take_refused``. Raises with nothing written on failure."""
        prepared = self._prepared
        if prepared is None or not _same(prepared.updates, updates):
            prepared = self._prepared = self._prepare(list(updates))
        self.outbox.append(prepared.rows)
        self._prepared = None
        self._refused = prepared.refused
        if self._on_spooled is not None and prepared.spooled:
            self._on_spooled(prepared.spooled)

    def take_refused(self) -> list[tuple[TraceUpdate, str]]:
        """The updates the last ``apply`` refused, with the reason (then forgotten)."""
        refused, self._refused = self._refused, []
        return refused

    def put_labels(self, labels: ConceptLabels) -> None:
        """Keep an encoder's label table in the outbox file (the shipper sends it)."""
        self.outbox.put_labels(labels)

    def has_labels(self, encoder: str) -> bool:
        """Whether the outbox file keeps the label table of ``encoder``."""
        return self.outbox.labels(encoder) is not None

    def prune(self, now: float) -> int:
        """Nothing to prune here (the hub expires traces)."""
        return 0

    def close(self) -> None:
        """Nothing to release: the writer closes the outbox once the shipper drained it."""

    def query_traces(
        self, query: TraceFilter, page_size: int, cursor: str
    ) -> tuple[list[query_pb2.TraceSummary], str]:
        """Not served here: traces are stored at the hub."""
        raise RuntimeError("traces are stored at the hub")

    def get_trace(
        self,
        request_id: str,
        model_name: str = "",
        token_offset: int = 0,
        max_tokens: int = 0,
        source: str = "",
    ) -> query_pb2.Trace | None:
        """Not served here: traces are stored at the hub."""
        raise RuntimeError("traces are stored at the hub")

    def _prepare(self, updates: list[TraceUpdate]) -> _Prepared:
        rows: list[NewRow] = []
        refused: list[tuple[TraceUpdate, str]] = []
        current: list[fleet_pb2.TraceUpdateMsg] = []
        row_tokens = row_bytes = spooled = 0
        budget = self._max_bytes - self.outbox.nbytes

        def close_row() -> None:
            nonlocal row_tokens, row_bytes, current
            if current:
                body = fleet_pb2.PushRequest(encoder=self.encoder, updates=current)
                rows.append(
                    NewRow(
                        source=self.source,
                        encoder=self.encoder,
                        updates=len(current),
                        tokens=row_tokens,
                        body=body.SerializeToString(),
                    )
                )
            current, row_tokens, row_bytes = [], 0, 0

        for update in updates:
            key = (update.model_name, update.request_id)
            if key in self._refused_traces:
                refused.append((update, LOST_SPOOL_FULL))
                continue
            stamped = self._snapshots.add(update)
            if stamped.snapshot is None:
                continue  # its flagging update was lost before: nothing to add it to
            msg = update_message(
                dataclasses.replace(
                    stamped,
                    source=update.source or self.source,
                    encoder=update.encoder or self.encoder,
                    texts=self._texts(update),
                )
            )
            size = msg.ByteSize() + UPDATES_FIELD_OVERHEAD
            tokens = sum(len(chunk) for chunk in update.tokens)
            if size + self._row_overhead > self._max_row_bytes:
                log.error(
                    "trace update of %s is %d bytes, above storage.hub.max_push_bytes: not stored",
                    update.request_id,
                    size,
                )
                self._refuse(key)
                refused.append((update, LOST_WRITE_ERROR))
                continue
            new_row = not current or (
                row_tokens + tokens > self._max_tokens or row_bytes + size > self._max_row_bytes
            )
            cost = size + (self._row_overhead if new_row else 0)
            if cost > budget:
                self._refuse(key)
                refused.append((update, LOST_SPOOL_FULL))
                continue
            if new_row:
                close_row()
                row_bytes = self._row_overhead
            budget -= cost
            current.append(msg)
            row_tokens += tokens
            row_bytes += size
            spooled += 1
        close_row()
        return _Prepared(updates=updates, rows=rows, refused=refused, spooled=spooled)

    def _refuse(self, key: RequestKey) -> None:
        self._refused_traces[key] = None
        if len(self._refused_traces) > MAX_REFUSED_TRACES:
            self._refused_traces.popitem(last=False)

    def _texts(self, update: TraceUpdate) -> Sequence[Sequence[str]] | None:
        if update.texts is not None or self._decode is None or not update.tokens:
            return update.texts
        try:
            return [self._decode(chunk.token_ids.tolist()) for chunk in update.tokens]
        except Exception as exc:  # the trace goes without text
            if self._on_error is not None:
                self._on_error("decode", exc)
            else:
                log.error("token text: %r", exc)
            return None


def _same(kept: Sequence[TraceUpdate], updates: Sequence[TraceUpdate]) -> bool:
    return len(kept) == len(updates) and all(a is b for a, b in zip(kept, updates, strict=True))


class HubTraceWriter(TraceStore):
    """The trace store of hub mode: outbox writer thread plus shipper thread.

    ``close(timeout)`` writes what is queued into the outbox (within ``timeout``), then
    ships for at most ``drain_timeout_s`` and closes the file; what is left stays in it
    and is shipped after the next start. Health reflects the outbox writes only: an
    unreachable hub makes the outbox grow (see the spool metrics), not the sidecar unready.
    """

    def __init__(
        self,
        repository: OutboxRepository,
        shipper: Shipper,
        *,
        drain_timeout_s: float,
        queue_size: int = 10000,
        max_batch: int = 512,
        write_attempts: int = 5,
        retry_backoff_s: float = 0.2,
        on_error: ErrorCallback | None = None,
        on_lost: LostCallback | None = None,
    ) -> None:
        super().__init__(
            repository,
            queue_size=queue_size,
            max_batch=max_batch,
            write_attempts=write_attempts,
            retry_backoff_s=retry_backoff_s,
            on_error=on_error,
            on_lost=on_lost,
            refusals=repository.take_refused,
        )
        self.outbox = repository.outbox
        self.shipper = shipper
        self._drain_timeout_s = drain_timeout_s

    def start(self) -> None:
        """Start the writer and the shipper."""
        super().start()
        self.shipper.start()

    def close(self, timeout: float = 5.0) -> bool:
        """Write the queue to the outbox, drain it to the hub for at most
        ``drain_timeout_s``, close the file; True when nothing was left behind."""
        written = super().close(timeout)
        drained = self.shipper.drain(self._drain_timeout_s)
        if written:
            self.outbox.close()
        if not drained:
            log.warning(
                "hub outbox: %d row(s) (%d bytes) not shipped within %.1f s; they stay in %s "
                "and are shipped after the next start",
                self.outbox.rows,
                self.outbox.nbytes,
                self._drain_timeout_s,
                self.outbox.path,
            )
        return written and drained

    def alive(self) -> bool:
        """True while the writer and the shipper threads run."""
        return super().alive() and self.shipper.alive()
