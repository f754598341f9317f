"""The backend side of the trace store: what a repository (SQLite today) implements.

A repository only stores and reads: the queue and the writer thread in front of it are
the store's (:class:`monitor.sidecar.traces.store.TraceStore`). Its write methods run on
that one writer thread (or on a caller's thread for tools and tests), so a repository
serialises them itself but never has to queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from monitor.sidecar.traces.labels import ConceptLabels
from monitor.sidecar.traces.reader import TraceReader
from monitor.sidecar.traces.writer import TraceUpdate


class DiskFullError(Exception):
    """A write failed because the disk (or the store's size limit) is full."""


class TraceRepository(TraceReader, Protocol):
    """Stores flagged-request updates and answers trace queries (``TraceReader``)."""

    def apply(self, updates: Sequence[TraceUpdate]) -> None:
        """Write a batch of updates durably, all or nothing (one transaction); raises
        when the batch could not be written (``DiskFullError`` when out of space)."""
        ...

    def prune(self, now: float) -> int:
        """Delete the traces past retention at ``now`` (seconds since the epoch); how
        many. A backend that expires rows itself returns 0."""
        ...

    def close(self) -> None:
        """Release the write side's resources. Reads keep working."""
        ...

    def put_labels(self, labels: ConceptLabels) -> None:
        """Store an encoder's label table (again: harmless); concept ids of that encoder
        are labelled from it at read time."""
        ...

    def has_labels(self, encoder: str) -> bool:
        """True when the label table of ``encoder`` is stored."""
        ...
