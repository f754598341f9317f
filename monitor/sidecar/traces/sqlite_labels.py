"""Concept labels in the SQLite trace store: one ``concept_labels`` row per encoder and
concept id, resolved when traces are read.

Token rows and alerts carry concept ids and the identity of their encoder
(:mod:`monitor.sidecar.traces.labels`). ``Labels`` resolves them: from the label tables
this process holds (its own encoder's, and those handed to ``put_labels``), from the
store's table for any other encoder (traces written by another replica, or converted
from an older store), or through a plain label function for the unnamed encoder ('')
of callers that have no label table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping

from monitor.sidecar.traces.labels import ConceptLabels

IDS_PER_QUERY = 500  # concept ids per lookup statement (below SQLite's variable limit)


def save_labels(conn: sqlite3.Connection, labels: ConceptLabels) -> None:
    """Add an encoder's labels to ``concept_labels`` (inside the caller's transaction);
    labels already stored are kept (an encoder's identity fixes its labels)."""
    conn.executemany(
        "INSERT OR IGNORE INTO concept_labels (encoder, concept_id, label) VALUES (?, ?, ?)",
        ((labels.encoder, i, label) for i, label in enumerate(labels.labels)),
    )


def stored(conn: sqlite3.Connection, encoder: str) -> bool:
    """Whether the store holds labels of ``encoder``."""
    row = conn.execute("SELECT 1 FROM concept_labels WHERE encoder = ? LIMIT 1", (encoder,))
    return row.fetchone() is not None


class Labels:
    """Label tables by encoder identity, for reads (thread-safe: tables are only added)."""

    def __init__(
        self, own: ConceptLabels | None = None, label: Callable[[int], str] | None = None
    ) -> None:
        self._tables: dict[str, ConceptLabels] = {}
        self._label = label  # for the unnamed encoder ('')
        if own is not None:
            self.add(own)

    def add(self, labels: ConceptLabels) -> None:
        """Hold ``labels`` in memory (reads of its encoder need no lookup)."""
        self._tables[labels.encoder] = labels

    def resolve(
        self, conn: sqlite3.Connection, wanted: Mapping[str, Iterable[int]]
    ) -> dict[str, dict[int, str]]:
        """{encoder: {id: label}} for the ids in ``wanted`` (ids without a label: absent)."""
        out: dict[str, dict[int, str]] = {}
        for encoder, ids in wanted.items():
            table = self._tables.get(encoder)
            if table is not None:
                out[encoder] = {i: table.label(i) for i in ids}
            elif encoder == "" and self._label is not None:
                out[encoder] = {i: _safe(self._label, i) for i in ids}
            else:
                out[encoder] = _lookup(conn, encoder, sorted(ids))
        return out


def _safe(label: Callable[[int], str], concept_id: int) -> str:
    try:
        return str(label(concept_id))
    except Exception:  # a failing label function leaves the concept unlabelled
        return ""


def _lookup(conn: sqlite3.Connection, encoder: str, ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(ids), IDS_PER_QUERY):
        part = ids[start : start + IDS_PER_QUERY]
        marks = ",".join("?" * len(part))
        found.update(
            conn.execute(
                "SELECT concept_id, label FROM concept_labels"
                f" WHERE encoder = ? AND concept_id IN ({marks})",
                [encoder, *part],
            ).fetchall()
        )
    return found
