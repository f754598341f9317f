"""Write side of the trace store: what the trace sink hands over, and the protocol."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from monitor.sidecar.records import Firing
from monitor.sidecar.scoring.sinks import RequestTokens

TokenDecoder = Callable[[Sequence[int]], list[str]]
"""Token ids -> the text of each token (one string per id)."""


@dataclass(frozen=True)
class TraceUpdate:
    """New data of one flagged request: its first write carries at least one alert.

    ``tokens`` are the request's scored tokens not written before (buffered ones on the
    first write); ``alerts`` the rule firings since the last write (plain records: the
    store builds the query API's ``Alert`` messages); ``max_scores`` the highest aggregated
    score per probe concept so far. Times are seconds since the epoch.
    """

    model_name: str
    request_id: str
    first_seen: float
    last_seen: float
    tokens: Sequence[RequestTokens] = ()
    alerts: Sequence[Firing] = ()
    max_scores: Mapping[str, float] = field(default_factory=dict)


class TraceWriter(Protocol):
    """Accepts flagged-request updates without blocking the caller.

    Thread contract: ``submit`` may be called from any thread, never blocks and never
    raises for a full queue (it drops, counts and returns False). Lifecycle: ``flush``
    waits for what was handed over; ``close`` flushes and stops, after which ``submit``
    drops.
    """

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
