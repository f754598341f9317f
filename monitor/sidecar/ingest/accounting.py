"""Drop accounting per producer: counter deltas and row-offset gaps -> dropped rows.

A producer sends, with every batch, its cumulative drop counters and the number of rows
it created before the batch (``row_offset``). Deltas of the counters are drops the
producer saw; gaps in ``row_offset`` that those drops do not explain were lost in
transit. Both are producer claims, so they are bounded before they reach a counter
operators alert on: one message may add at most ``max_rows`` dropped rows (counter growth
and offset gap each), a counter that goes backwards is not a reset (a restarted producer
has a new ``producer_id``, hence fresh state) and only moves the baseline, and the number
of reasons and producers remembered is capped. Every claim bounded this way is reported
as ignored, for ``llm_monitor_ingest_ignored_total{reason="drop_claim"}``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from monitor.sidecar.ingest.limits import MAX_DROP_COUNTERS, MAX_PRODUCERS

LOST_IN_TRANSIT = "lost_in_transit"


@dataclass
class ProducerState:
    """Drop accounting for one producer, kept across its streams."""

    counters: dict[str, int] = field(default_factory=dict)  # last cumulative value per reason
    next_offset: int | None = None  # row_offset expected on the next batch
    missing_rows: int = 0  # rows skipped by row_offset since tracking (re)started
    explained_rows: int = 0  # producer-reported drops since tracking (re)started
    lost_rows: int = 0  # rows already counted as lost in transit

    def resync(self) -> None:
        """Forget the expected offset (e.g. after a rejected batch)."""
        self.next_offset = None
        self.missing_rows = self.explained_rows = self.lost_rows = 0


@dataclass
class Drops:
    """What one batch adds: rows dropped by reason, and how many claims were bounded."""

    rows: dict[str, int] = field(default_factory=dict)
    ignored: int = 0


def account_batch(
    state: ProducerState,
    row_offset: int,
    rows: int,
    counters: Iterable[tuple[str, int]],
    max_rows: int | None = None,
) -> Drops:
    """Update ``state`` with one received batch; the rows to count as dropped, by reason.

    The first batch of a producer counts its counters from zero and only sets the
    baseline for offsets. ``max_rows`` bounds what one batch may add (None: unbounded).
    """
    drops = Drops()
    first = state.next_offset is None
    budget = max_rows
    for reason, total in counters:
        previous = state.counters.get(reason)
        if previous is None and len(state.counters) >= MAX_DROP_COUNTERS:
            drops.ignored += 1
            continue
        state.counters[reason] = total
        if previous is not None and total < previous:  # backwards: a new baseline, no drops
            drops.ignored += 1
            continue
        delta = total - (previous or 0)
        if budget is not None:
            if delta > budget:
                drops.ignored += 1
                delta = budget
            budget -= delta
        if delta > 0:
            drops.rows[reason] = drops.rows.get(reason, 0) + delta
            if not first:
                state.explained_rows += delta
    if state.next_offset is not None and row_offset > state.next_offset:
        gap = row_offset - state.next_offset
        if max_rows is not None and gap > max_rows:
            drops.ignored += 1
            gap = max_rows
        state.missing_rows += gap
    end = row_offset + rows
    # out-of-order or repeated offsets never move the expectation back (no double gaps)
    state.next_offset = end if state.next_offset is None else max(state.next_offset, end)
    lost = state.missing_rows - state.explained_rows - state.lost_rows
    if lost > 0:
        drops.rows[LOST_IN_TRANSIT] = drops.rows.get(LOST_IN_TRANSIT, 0) + lost
        state.lost_rows += lost
    return drops


class Producers:
    """The ``ProducerState`` of each producer, at most ``capacity`` (least recent first
    out). Not thread-safe: the handler holds its lock."""

    def __init__(self, capacity: int = MAX_PRODUCERS) -> None:
        self._capacity = capacity
        self._states: OrderedDict[str, ProducerState] = OrderedDict()

    def get(self, producer_id: str) -> ProducerState:
        """The state of a producer, created (and the oldest forgotten) on first use."""
        state = self._states.get(producer_id)
        if state is None:
            state = self._states[producer_id] = ProducerState()
            if len(self._states) > self._capacity:
                self._states.popitem(last=False)
        else:
            self._states.move_to_end(producer_id)
        return state

    def find(self, producer_id: str) -> ProducerState | None:
        """The state of a known producer, None otherwise (creates nothing)."""
        return self._states.get(producer_id)

    def __len__(self) -> int:
        return len(self._states)
