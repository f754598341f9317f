"""The fleet store's ``concept_labels`` table behind an in-process cache.

Token rows and alerts carry concept ids and the identity of their encoder; reads resolve
the ids to labels through :class:`StoredLabels`. An encoder's identity is a hash of its
labels, so a table once read (or written) never changes and is kept for the life of the
process. An encoder without stored labels is remembered as missing for
``LABELS_RETRY_S`` (at most ``MAX_MISSING_ENCODERS`` of them), so that reads of its
traces do not query the table again and again. One table and its cache, used by the
repository's write side (``put_labels``) and by every read, kept apart from it as the
SQLite store keeps its labels in ``sqlite_labels``.
"""

from __future__ import annotations

import threading
import time

from monitor.hub.store import reads, sql
from monitor.hub.store.executor import ClickHouseExecutor
from monitor.hub.store.writes import LABEL_COLUMNS, label_rows
from monitor.sidecar.traces.labels import ConceptLabels

LABELS_RETRY_S = 5.0  # an encoder without stored labels is looked up again after this
MAX_MISSING_ENCODERS = 1000


class StoredLabels:
    """Label tables by encoder: written to and read from ``{database}.concept_labels``,
    cached (thread-safe: the cache is locked, queries run outside the lock)."""

    def __init__(self, executor: ClickHouseExecutor, database: str) -> None:
        self.executor = executor
        self.database = database
        self._labels: dict[str, tuple[str, ...]] = {}
        self._missing: dict[str, float] = {}  # encoder -> when its labels were last missing
        self._lock = threading.Lock()

    def put(self, labels: ConceptLabels) -> None:
        """Store an encoder's label table (idempotent: a repeat replaces it with itself)."""
        n, data = label_rows(labels)
        if n:
            self.executor.insert(f"{self.database}.concept_labels", LABEL_COLUMNS, data)
        with self._lock:
            self._labels[labels.encoder] = tuple(labels.labels)
            self._missing.pop(labels.encoder, None)

    def has(self, encoder: str) -> bool:
        """True when the label table of ``encoder`` is stored."""
        with self._lock:
            if encoder in self._labels:
                return True
        rows = self.executor.query(
            f"SELECT count() FROM {self.database}.concept_labels"
            f" WHERE encoder = {sql.string(encoder)}"
        )
        return bool(rows) and int(rows[0][0]) > 0

    def for_read(self) -> reads.Labels:
        """A labeller per encoder for one read (each encoder looked up once)."""
        seen: dict[str, reads.Label] = {}

        def labeller(encoder: str) -> reads.Label:
            if encoder not in seen:
                seen[encoder] = self._labeller(encoder)
            return seen[encoder]

        return labeller

    def _labeller(self, encoder: str) -> reads.Label:
        """The labels of ``encoder``'s concepts (None when none are stored)."""
        if not encoder:
            return None
        with self._lock:
            labels = self._labels.get(encoder)
            missing_since = self._missing.get(encoder)
        if labels is None:
            if missing_since is not None and time.monotonic() - missing_since < LABELS_RETRY_S:
                return None
            rows = self.executor.query(
                f"SELECT concept_id, label FROM {self.database}.concept_labels"
                f" WHERE encoder = {sql.string(encoder)} LIMIT 1 BY concept_id"
            )
            if not rows:
                with self._lock:
                    if len(self._missing) >= MAX_MISSING_ENCODERS:
                        self._missing.clear()
                    self._missing[encoder] = time.monotonic()
                return None
            table = [""] * (max(int(r[0]) for r in rows) + 1)
            for concept_id, label in rows:
                table[int(concept_id)] = label
            labels = tuple(table)
            with self._lock:
                self._labels[encoder] = labels
        return ConceptLabels(encoder, labels).label
