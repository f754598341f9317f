"""Write side of the trace store: what the trace sink hands over, and the protocols.

Durability contract: a ``TraceWriter`` tells its ``TraceListener`` what became of every
update it accepted or refused: ``trace_committed`` once the update's transaction committed
(it survives a crash from then on), or ``trace_lost`` with a reason from ``LOST_REASONS``
when it was dropped (queue full, closed) or could not be written after its retries. The
trace sink publishes and counts an update's alerts from these calls, so an alert streamed
to ``WatchAlerts`` has a durable trace unless ``llm_monitor_traces_lost_total`` says
otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from monitor.sidecar.records import Firing
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.severity import Severity

TokenDecoder = Callable[[Sequence[int]], list[str]]
"""Token ids -> the text of each token (one string per id)."""

LOST_QUEUE_FULL = "queue_full"
LOST_DISK_FULL = "disk_full"
LOST_WRITE_ERROR = "write_error"
LOST_SHUTDOWN = "shutdown"
LOST_SPOOL_FULL = "spool_full"  # hub mode: the outbox is at storage.hub.spool_max_mb
LOST_REASONS = (LOST_QUEUE_FULL, LOST_DISK_FULL, LOST_WRITE_ERROR, LOST_SHUTDOWN, LOST_SPOOL_FULL)
"""Why a trace update was not stored (the ``reason`` label of traces_lost_total)."""


@dataclass(frozen=True)
class TraceSnapshot:
    """A trace's summary as it stands after one update (what a fleet store keeps per
    trace, newest ``version`` winning; see :mod:`monitor.sidecar.traces.snapshots`)."""

    first_alert: float  # seconds since the epoch: the earliest alert's time
    severity: Severity  # the highest among its alerts
    max_scores: Mapping[str, float]  # probe concept -> highest aggregated score
    max_score: float  # the highest of max_scores (0.0 when none)
    alert_concepts: tuple[str, ...]  # the probe concepts alerted on, sorted
    token_count: int  # stored token positions (any layer)
    version: int  # per-request update counter: 1 for the flagging update


@dataclass(frozen=True)
class TraceUpdate:
    """New data of one flagged request: its first write carries at least one alert.

    ``tokens`` are the request's scored tokens not written before (the first write has
    those of the step that fired, the second the ones buffered before it, so positions
    need not arrive in order); ``alerts`` the rule firings since the last write (plain
    records: the store builds the query API's ``Alert`` messages); ``max_scores`` the
    highest aggregated score per probe concept so far. Times are seconds since the epoch.
    """

    model_name: str
    request_id: str
    first_seen: float
    last_seen: float
    tokens: Sequence[RequestTokens] = ()
    alerts: Sequence[Firing] = ()
    max_scores: Mapping[str, float] = field(default_factory=dict)
    tenant: str = ""  # the request's tenant tag ('' when none)
    #: The replica that saw the request (a sidecar's instance_id; '' = the store's own).
    source: str = ""
    #: The concept encoder whose ids the tokens and alerts carry ('' = the store's own).
    encoder: str = ""
    #: The summary after this update; set on updates that travel to a fleet store.
    snapshot: TraceSnapshot | None = None
    #: Each token's text, per chunk of ``tokens`` (None: decode here, or no text).
    texts: Sequence[Sequence[str]] | None = None


class TraceListener(Protocol):
    """Told what became of each update (see the module's durability contract).

    Thread contract: ``trace_committed`` and write failures arrive on the writer thread,
    drops on the submitting thread; both must be quick and must not block.
    """

    def trace_committed(self, update: TraceUpdate) -> None:
        """The update was committed durably."""
        ...

    def trace_lost(self, update: TraceUpdate, reason: str) -> None:
        """The update was not stored; ``reason`` is one of ``LOST_REASONS``."""
        ...


class TraceWriter(Protocol):
    """Accepts flagged-request updates without blocking the caller.

    Thread contract: ``submit`` may be called from any thread, never blocks and never
    raises for a full queue (it drops, counts and returns False). Lifecycle: ``flush``
    waits for what was handed over; ``close`` flushes and stops, after which ``submit``
    drops.
    """

    def listen(self, listener: TraceListener) -> None:
        """Report what becomes of every later update to ``listener`` (one listener)."""
        ...

    def submit(self, update: TraceUpdate) -> bool:
        """Queue an update; False when it was dropped (queue full or store closed)."""
        ...

    def flush(self, timeout: float) -> bool:
        """Wait until everything submitted before the call has been processed: committed
        durably, or failed and reported to the store's error callback; False on timeout."""
        ...

    def close(self, timeout: float) -> bool:
        """Write what is queued (within ``timeout``) and stop; later updates are dropped.
        False when something was left unwritten. Idempotent."""
        ...
