"""Encoder label tables at the hub: whether to ask a sidecar for them, and alert labels.

The fleet store keeps each encoder's labels once (``put_labels``) and resolves concept ids
at read time. The hub also needs them in memory to label the top concepts of the alerts it
streams on ``WatchAlerts``; it learns them from pushes (or from the store, when the store
can read them back). A push whose encoder's table the hub does not know is answered
``need_labels``, and the sidecar sends the table with its next push. ``RecentIds``
remembers the alerts already streamed, so a replayed push streams nothing twice.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from monitor.sidecar.traces.labels import ConceptLabels

MAX_TABLES = 64  # label tables kept in memory (one per distinct encoder of the fleet)
DEFAULT_RECENT_IDS = 100_000

LabelLoader = Callable[[str], ConceptLabels | None]
"""Reads an encoder's label table back from the store (None when it has none)."""


class LabelTables:
    """The label tables this hub knows, by encoder (thread-safe, at most ``max_tables``).

    A table is known once a push carried it and the store committed it (``stored``), or
    when ``load`` reads it back from the store. Known implies stored, so ``needed`` (the
    push's answer ``need_labels``) is simply "not known": it asks when the store lacks
    the table, and after a restart until one sidecar sent it again.
    """

    def __init__(self, load: LabelLoader | None = None, max_tables: int = MAX_TABLES) -> None:
        self._load = load
        self._max = max_tables
        self._tables: OrderedDict[str, ConceptLabels] = OrderedDict()
        self._lock = threading.Lock()

    def stored(self, labels: ConceptLabels) -> None:
        """The store has just committed ``labels``."""
        with self._lock:
            self._remember(labels)

    def table(self, encoder: str) -> ConceptLabels | None:
        """The label table of ``encoder`` (from memory, else read from the store)."""
        if not encoder:
            return None
        with self._lock:
            found = self._tables.get(encoder)
            if found is not None:
                self._tables.move_to_end(encoder)
                return found
        loaded = self._load(encoder) if self._load is not None else None
        if loaded is not None:
            with self._lock:
                self._remember(loaded)
        return loaded

    def needed(self, encoder: str) -> bool:
        """True when the sidecar should send ``encoder``'s labels (store errors propagate)."""
        return bool(encoder) and self.table(encoder) is None

    def _remember(self, labels: ConceptLabels) -> None:
        self._tables[labels.encoder] = labels
        self._tables.move_to_end(labels.encoder)
        while len(self._tables) > self._max:
            self._tables.popitem(last=False)


class RecentIds:
    """The last ``capacity`` ids seen; ``first_time`` is True once per id (thread-safe)."""

    def __init__(self, capacity: int = DEFAULT_RECENT_IDS) -> None:
        self._capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, value: str) -> bool:
        with self._lock:
            if value in self._ids:
                self._ids.move_to_end(value)
                return False
            self._ids[value] = None
            if len(self._ids) > self._capacity:
                self._ids.popitem(last=False)
            return True
