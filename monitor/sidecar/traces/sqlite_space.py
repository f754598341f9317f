"""Disk space of the SQLite trace store: telling "disk full" apart, and the size cap.

``SQLITE_FULL`` (the disk, the file-size limit or ``max_page_count`` reached) is reported
as :class:`~monitor.sidecar.traces.repository.DiskFullError`, so lost traces are counted
with the reason ``disk_full`` rather than ``write_error``. The size cap (``storage.max_bytes``)
is kept by deleting the traces with the oldest last token first until the used pages are
below ``PRUNE_TARGET`` of the cap, then returning free pages to the disk with
``incremental_vacuum`` (files created with ``auto_vacuum=INCREMENTAL``; older files keep
their free pages for reuse).
"""

from __future__ import annotations

import errno
import sqlite3

SQLITE_FULL = 13  # sqlite3.SQLITE_FULL (primary result code)
PRUNE_TARGET = 0.9  # prune down to this fraction of the cap, so not every batch prunes
SIZE_PRUNE_CHUNK = 1000  # at most this many traces deleted per size-pruning transaction


def is_disk_full(exc: BaseException) -> bool:
    """True for SQLite's "database or disk is full" and for ENOSPC / EFBIG."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None and code & 0xFF == SQLITE_FULL:
            return True
        return "database or disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG)


def _pages(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """(pages in the file, free pages, page size)."""
    return tuple(  # type: ignore[return-value]
        int(conn.execute(f"PRAGMA {name}").fetchone()[0])
        for name in ("page_count", "freelist_count", "page_size")
    )


def used_bytes(conn: sqlite3.Connection) -> int:
    """Bytes in pages that hold data (file pages minus free pages)."""
    pages, free, size = _pages(conn)
    return (pages - free) * size


def prune_to_size(conn: sqlite3.Connection, max_bytes: int) -> int:
    """Keep the file within ``max_bytes``: when its used pages exceed it, delete the traces
    with the oldest last token until they are below ``PRUNE_TARGET * max_bytes`` (one
    transaction per chunk); then, while the file is larger than the cap, return its free
    pages to the disk. How many traces were deleted."""
    removed = 0
    if used_bytes(conn) > max_bytes:
        target = int(max_bytes * PRUNE_TARGET)
        while (used := used_bytes(conn)) > target:
            traces = int(conn.execute("SELECT count(*) FROM traces").fetchone()[0])
            # the share of traces that holds the excess, if traces were of equal size
            chunk = min(SIZE_PRUNE_CHUNK, max(1, -(-traces * (used - target) // used)))
            conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = conn.execute(
                    "DELETE FROM traces WHERE id IN"
                    " (SELECT id FROM traces ORDER BY last_seen, id LIMIT ?)",
                    (chunk,),
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            removed += cursor.rowcount
            if cursor.rowcount == 0:
                break  # nothing left to delete
    pages, free, size = _pages(conn)
    if free and pages * size > max_bytes:
        conn.executescript("PRAGMA incremental_vacuum;")  # run to the end (execute frees one page)
    return removed
