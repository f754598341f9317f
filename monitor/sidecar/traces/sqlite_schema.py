"""The SQLite trace database: its schema, how connections are opened, creating it, and
the SQL condition of a trace filter.

Every connection enforces foreign keys (a trace's rows go with it) and commits with
``synchronous=FULL`` (a commit that returned survives a crash of the process or the
machine). The file is in WAL mode, so readers never wait for the writer.

Access: the store may hold token text, so a folder it creates is ``0700`` and the database
file ``0600`` (SQLite gives the ``-wal`` and ``-shm`` files the database file's mode); an
existing file that others could read is narrowed to ``0600``. New files use
``auto_vacuum=INCREMENTAL``, so space freed by pruning can be returned to the disk.

Versions: ``SCHEMA`` is the base (version 0); opening a store then applies the migrations
it lacks (:mod:`monitor.sidecar.traces.sqlite_migrations`, ``PRAGMA user_version``), and
refuses a store written by a newer llm-monitor. The current layout (version 2, with
compact token rows and labels stored once) is described in
:mod:`monitor.sidecar.traces.sqlite_v2`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
from pathlib import Path

from monitor.request_ids import lookup_ids
from monitor.sidecar.severity import severity_rank
from monitor.sidecar.traces.reader import TraceFilter
from monitor.sidecar.traces.sqlite_migrations import SchemaTooNew, check_version, migrate

log = logging.getLogger(__name__)

#: Version 0 of the schema; the migrations add the rest.
SCHEMA = """
CREATE TABLE IF NOT EXISTS traces (
    id INTEGER PRIMARY KEY,
    model_name TEXT NOT NULL,
    request_id TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    first_alert REAL NOT NULL,
    severity INTEGER NOT NULL,
    max_score REAL NOT NULL,
    UNIQUE (model_name, request_id)
);
CREATE INDEX IF NOT EXISTS traces_newest ON traces (first_alert DESC, id DESC);
CREATE INDEX IF NOT EXISTS traces_last_seen ON traces (last_seen);
CREATE TABLE IF NOT EXISTS trace_scores (
    trace_id INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,
    concept TEXT NOT NULL,
    max_score REAL NOT NULL,
    PRIMARY KEY (trace_id, concept)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    trace_id INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,
    concept TEXT NOT NULL,
    fired_at REAL NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_trace ON alerts (trace_id, concept);
CREATE TABLE IF NOT EXISTS tokens (
    trace_id INTEGER NOT NULL REFERENCES traces (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    layer INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (trace_id, position, layer)
) WITHOUT ROWID;
"""


class StoreError(Exception):
    """The store file cannot be opened or initialised; the message names the path."""


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), usable from any thread
    (but by one at a time)."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30.0, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def create_database(path: Path) -> None:
    """Create the file (and its folder) or open it, switch it to WAL mode, create the
    tables that are missing and migrate it to ``SCHEMA_VERSION``; ``StoreError`` naming
    the path when that fails or the store is newer than this llm-monitor."""
    try:
        if not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _private_file(path)
        conn = connect(path)
        try:
            check_version(conn)  # before any change: a newer store stays untouched
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # only takes on a new file
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{path}: cannot switch to WAL mode (got {mode})")
            conn.executescript(SCHEMA)
            before, after = migrate(conn)
            if before != after:  # return the replaced tables' pages to the disk
                conn.executescript("PRAGMA incremental_vacuum;")
            if before != after and _has_traces(conn):  # a fresh store needs no notice
                log.info(
                    "trace store %s: migrated from schema version %d to %d", path, before, after
                )
        finally:
            conn.close()
    except SchemaTooNew as exc:
        raise StoreError(f"{path}: {exc}") from None
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"{path}: cannot open the trace store: {exc}") from None


def _has_traces(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM traces LIMIT 1").fetchone() is not None


def _private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600, or narrow an existing file (and its -wal and
    -shm) to 0600 when group or others may access it."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            with contextlib.suppress(OSError):  # not ours, or gone: leave it
                if stat.S_IMODE(file.stat().st_mode) & 0o077:
                    file.chmod(0o600)
    else:
        os.close(fd)


def filter_sql(query: TraceFilter, after: tuple[float, int] | None) -> tuple[str, list[object]]:
    """The WHERE condition over ``traces t`` ('' for all) and its arguments: the filters
    of ``query`` and, for a later page, the position ``after`` (first alert, row id)."""
    where: list[str] = []
    args: list[object] = []
    if after is not None:
        after_time, after_id = after
        where.append("(t.first_alert < ? OR (t.first_alert = ? AND t.id < ?))")
        args += [after_time, after_time, after_id]
    if query.start is not None:
        where.append("t.first_alert >= ?")
        args.append(query.start.timestamp())
    if query.end is not None:
        where.append("t.first_alert < ?")
        args.append(query.end.timestamp())
    if query.model_name:
        where.append("t.model_name = ?")
        args.append(query.model_name)
    if query.min_severity:
        where.append("t.severity >= ?")
        args.append(severity_rank(query.min_severity))
    if query.tenant:
        where.append("t.tenant = ?")
        args.append(query.tenant)
    if query.source:
        where.append("t.source = ?")
        args.append(query.source)
    if query.request_id:
        condition, ids = id_condition(query.request_id)
        where.append(condition)
        args += ids
    if query.concept:
        where.append("EXISTS (SELECT 1 FROM alerts a WHERE a.trace_id = t.id AND a.concept = ?)")
        args.append(query.concept)
    if query.min_score is not None:
        if query.concept:
            where.append(
                "EXISTS (SELECT 1 FROM trace_scores s WHERE s.trace_id = t.id"
                " AND s.concept = ? AND s.max_score >= ?)"
            )
            args += [query.concept, query.min_score]
        else:
            where.append("t.max_score >= ?")
            args.append(query.min_score)
    return " AND ".join(where), args


def id_condition(given: str) -> tuple[str, list[object]]:
    """The condition over ``traces t`` that matches a user-given request id, and its
    arguments: vLLM's internal id, or an external id (the API response's id, or the
    ``X-Request-Id`` header it was made from, :func:`monitor.request_ids.lookup_ids`)."""
    external = lookup_ids(given)
    marks = ", ".join("?" * len(external))
    return f"(t.request_id = ? OR t.external_request_id IN ({marks}))", [given, *external]
