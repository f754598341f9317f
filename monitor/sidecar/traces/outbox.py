"""The hub mode's outbox: trace updates waiting for the hub, in a local SQLite file.

Each row is one encoded ``PushRequest`` holding only ``encoder`` and ``updates``; the
shipper concatenates the bytes of consecutive rows behind a small header (``source``,
``seq``, ``labels``), which protobuf parses as one message whose ``updates`` are those
of all the rows. A row also records its ``source`` and ``encoder`` (rows written under
another instance id or encoder are never merged with these) and its size, updates and
token rows, so the totals the cap and the metrics read are kept in memory.

Durability: WAL with ``synchronous=FULL``; ``append`` commits one transaction, so once it
returns the rows survive a crash of the process or the machine. ``seq`` is an
``AUTOINCREMENT`` key: it keeps growing after the outbox emptied. The encoders' label
tables are kept in the same file, so rows written before a restart can still be labelled.
One connection serves the writer thread and the shipper, serialised by a lock.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor.sidecar.traces.labels import ConceptLabels
from monitor.sidecar.traces.repository import DiskFullError
from monitor.sidecar.traces.sqlite_schema import StoreError
from monitor.sidecar.traces.sqlite_space import is_disk_full
from monitor.v1 import fleet_pb2

FORMAT_VERSION = 1
BUSY_TIMEOUT_MS = 10_000
HEAD_SCAN_ROWS = 1024  # rows looked at per ``head`` call

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    source TEXT NOT NULL,
    encoder TEXT NOT NULL,
    updates INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    nbytes INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS labels (
    encoder TEXT PRIMARY KEY,
    body BLOB NOT NULL
);
"""


class OutboxError(StoreError):
    """The outbox file cannot be opened or is not an outbox; the message names the path
    (a ``StoreError``: a start-up configuration error)."""


@dataclass(frozen=True)
class NewRow:
    """A row to append: encoded updates (``PushRequest`` bytes) and what they hold."""

    source: str
    encoder: str
    updates: int
    tokens: int
    body: bytes


@dataclass(frozen=True)
class Row:
    """A stored row (``body`` filled by ``head``)."""

    seq: int
    created: float
    source: str
    encoder: str
    updates: int
    tokens: int
    nbytes: int
    body: bytes = b""


class Outbox:
    """The outbox file: ``append`` (writer thread), ``head`` / ``delete`` (shipper)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1e3
            )
        except (OSError, sqlite3.Error) as exc:
            raise OutboxError(f"{path}: cannot open the outbox: {exc}") from None
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, FORMAT_VERSION):
                raise OutboxError(
                    f"{path}: outbox format {version}, this version reads {FORMAT_VERSION}"
                )
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
            rows, nbytes, tokens = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(nbytes), 0), COALESCE(SUM(tokens), 0) FROM outbox"
            ).fetchone()
        except sqlite3.Error as exc:
            conn.close()
            raise OutboxError(f"{path}: not a usable outbox: {exc}") from None
        except OutboxError:
            conn.close()
            raise
        self._conn: sqlite3.Connection | None = conn
        self._rows = int(rows)
        self._bytes = int(nbytes)
        self._tokens = int(tokens)
        self._oldest = self._head_created(conn)

    # -- totals (in memory) ----------------------------------------------------------

    @property
    def rows(self) -> int:
        """Rows waiting."""
        return self._rows

    @property
    def nbytes(self) -> int:
        """Bytes of the waiting rows' bodies (what ``spool_max_mb`` bounds)."""
        return self._bytes

    @property
    def tokens(self) -> int:
        """Token rows (tokens x layers) in the waiting rows."""
        return self._tokens

    def oldest_age(self) -> float:
        """Seconds since the oldest waiting row was written; 0.0 when empty."""
        oldest = self._oldest
        return 0.0 if oldest is None else max(0.0, self._clock() - oldest)

    # -- writer side -----------------------------------------------------------------

    def append(self, rows: Sequence[NewRow]) -> list[int]:
        """Append rows in one durable transaction; their seqs. Raises ``DiskFullError``
        when out of space, ``sqlite3.Error`` otherwise (nothing written either way)."""
        if not rows:
            return []
        now = self._clock()
        with self._changed:
            conn = self._open()
            seqs: list[int] = []
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for row in rows:
                        cursor = conn.execute(
                            "INSERT INTO outbox (created, source, encoder, updates, tokens,"
                            " nbytes, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (
                                now,
                                row.source,
                                row.encoder,
                                row.updates,
                                row.tokens,
                                len(row.body),
                                row.body,
                            ),
                        )
                        seqs.append(int(cursor.lastrowid or 0))
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except (sqlite3.Error, OSError) as exc:
                if is_disk_full(exc):
                    raise DiskFullError(f"{self.path}: {exc}") from exc
                raise
            self._rows += len(rows)
            self._bytes += sum(len(row.body) for row in rows)
            self._tokens += sum(row.tokens for row in rows)
            if self._oldest is None:
                self._oldest = now
            self._changed.notify_all()
        return seqs

    def put_labels(self, labels: ConceptLabels) -> None:
        """Keep an encoder's label table (replacing one of the same identity)."""
        body = fleet_pb2.ConceptLabels(
            encoder=labels.encoder, labels=list(labels.labels)
        ).SerializeToString()
        with self._lock:
            conn = self._open()
            conn.execute(
                "INSERT OR REPLACE INTO labels (encoder, body) VALUES (?, ?)",
                (labels.encoder, body),
            )

    # -- shipper side ----------------------------------------------------------------

    def labels(self, encoder: str) -> ConceptLabels | None:
        """The label table kept for ``encoder``, or None."""
        with self._lock:
            found = (
                self._open()
                .execute("SELECT body FROM labels WHERE encoder = ?", (encoder,))
                .fetchone()
            )
        if found is None:
            return None
        msg = fleet_pb2.ConceptLabels.FromString(found[0])
        return ConceptLabels(encoder=msg.encoder, labels=tuple(msg.labels))

    def head(self, max_rows: int, max_tokens: int, max_bytes: int) -> list[Row]:
        """The oldest rows that go into one push, with their bodies: consecutive rows of
        one source and encoder, at most ``max_rows``, and within ``max_tokens`` and
        ``max_bytes`` unless the first row alone exceeds them."""
        with self._lock:
            conn = self._open()
            found = conn.execute(
                "SELECT seq, created, source, encoder, updates, tokens, nbytes FROM outbox"
                " ORDER BY seq LIMIT ?",
                (min(max_rows, HEAD_SCAN_ROWS),),
            ).fetchall()
            chosen: list[Row] = []
            tokens = nbytes = 0
            for values in found:
                row = Row(*values)
                if chosen and (
                    (row.source, row.encoder) != (chosen[0].source, chosen[0].encoder)
                    or tokens + row.tokens > max_tokens
                    or nbytes + row.nbytes > max_bytes
                ):
                    break
                chosen.append(row)
                tokens += row.tokens
                nbytes += row.nbytes
            if not chosen:
                return []
            bodies = dict(
                conn.execute(
                    "SELECT seq, body FROM outbox WHERE seq BETWEEN ? AND ?",
                    (chosen[0].seq, chosen[-1].seq),
                ).fetchall()
            )
        return [
            Row(r.seq, r.created, r.source, r.encoder, r.updates, r.tokens, r.nbytes, bodies[r.seq])
            for r in chosen
            if r.seq in bodies
        ]

    def delete(self, rows: Sequence[Row]) -> None:
        """Delete rows (acknowledged or refused by the hub) in one durable transaction."""
        if not rows:
            return
        with self._changed:
            conn = self._open()
            conn.execute("BEGIN IMMEDIATE")
            try:
                deleted = 0
                for row in rows:
                    deleted += conn.execute("DELETE FROM outbox WHERE seq = ?", (row.seq,)).rowcount
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            if deleted == len(rows):
                self._rows -= len(rows)
                self._bytes -= sum(row.nbytes for row in rows)
                self._tokens -= sum(row.tokens for row in rows)
            else:  # rows deleted twice: recount from the file
                self._recount(conn)
            self._oldest = self._head_created(conn)
            self._changed.notify_all()

    def wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` holds (re-checked whenever rows are appended or
        deleted) or ``timeout`` passes; its last value."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    def notify(self) -> None:
        """Wake every ``wait`` to re-check its predicate."""
        with self._changed:
            self._changed.notify_all()

    def close(self) -> None:
        """Close the file (idempotent); the totals stay readable."""
        with self._changed:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._changed.notify_all()

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise OutboxError(f"{self.path}: the outbox is closed")
        return self._conn

    def _recount(self, conn: sqlite3.Connection) -> None:
        rows, nbytes, tokens = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(nbytes), 0), COALESCE(SUM(tokens), 0) FROM outbox"
        ).fetchone()
        self._rows, self._bytes, self._tokens = int(rows), int(nbytes), int(tokens)

    @staticmethod
    def _head_created(conn: sqlite3.Connection) -> float | None:
        found = conn.execute("SELECT created FROM outbox ORDER BY seq LIMIT 1").fetchone()
        return None if found is None else float(found[0])
