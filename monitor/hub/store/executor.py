"""Where the fleet store's SQL runs: the ``ClickHouseExecutor`` protocol and chDB's executor.

The repository builds every statement and every RowBinary block itself; an executor only
carries them to an engine: ``ChdbExecutor`` to ClickHouse's engine inside this process,
``HttpExecutor`` (:mod:`monitor.hub.store.http`) to a server. Results come back as
``JSONCompact`` and are parsed here, the same way for both, or as the engine wrote them in
another format (``query_bytes``: GetTrace's protobuf pages).

chDB runs one engine per process on one data directory: a second ``ChdbExecutor`` in the
same process must name the same directory (it shares the engine), and a directory is
locked to one process. Each concurrent caller gets its own chDB session (sessions are
cheap; one session runs one statement at a time), so reads do not wait behind inserts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from monitor.sidecar.traces.repository import DiskFullError

Row = list[Any]


class ClickHouseError(Exception):
    """A statement failed (the message names it and carries the engine's error)."""


class ClickHouseExecutor(Protocol):
    """Runs the fleet store's SQL on one engine; safe to call from several threads."""

    schema_dir: Path | None
    """Where format schemas for this engine may be written as files (the engine runs in
    this process); None for a server (schemas go inline in the query)."""

    def command(self, sql: str) -> None:
        """Run a statement that returns nothing (DDL, OPTIMIZE, ALTER)."""
        ...

    def query(self, sql: str) -> list[Row]:
        """Run a SELECT; its rows, each a list of JSON values (64-bit integers may come
        as strings, maps as dicts, arrays as lists)."""
        ...

    def query_bytes(self, sql: str, fmt: str) -> bytes:
        """Run a SELECT; its result in the output format ``fmt``, as the engine wrote it."""
        ...

    def insert(self, table: str, columns: Sequence[str], data: bytes) -> None:
        """Insert ``data`` (RowBinary rows of ``columns``) into ``table`` synchronously:
        once this returns the engine has acknowledged the rows."""
        ...

    def close(self) -> None:
        """Release the connection(s); idempotent."""
        ...


def json_rows(raw: bytes | str) -> list[Row]:
    """The rows of a ``JSONCompact`` result."""
    if not raw:
        return []
    document = json.loads(raw)
    data = document.get("data", []) if isinstance(document, dict) else []
    return [list(row) for row in data]


def failure(what: str, sql: str, exc: BaseException) -> Exception:
    """The exception to raise for a failed statement: ``DiskFullError`` when the engine is
    out of space, else ``ClickHouseError`` naming the statement."""
    message = str(exc)
    head = " ".join(sql.split())[:160]
    if "NOT_ENOUGH_SPACE" in message or "No space left" in message:
        return DiskFullError(f"{what}: {message}")
    return ClickHouseError(f"{what} failed ({head}): {message}")


class ChdbExecutor:
    """ClickHouse's engine in this process (chDB), on the data directory ``path``."""

    def __init__(self, path: Path) -> None:
        from chdb import session as chdb_session

        self.path = Path(path)
        self.schema_dir: Path | None = self.path / "format_schemas"
        self._session_type = chdb_session.Session
        self._lock = threading.Lock()
        self._idle: list[Any] = []
        self._all: list[Any] = []
        self._closed = False
        if not self.path.exists():
            self.path.mkdir(mode=0o700, parents=True)
        elif not self.path.is_dir():
            raise ClickHouseError(f"chDB data directory {self.path} is not a directory")
        self._idle.append(self._open())

    def _open(self) -> Any:
        try:
            opened = self._session_type(str(self.path.resolve()))  # chDB compares paths as text
        except Exception as exc:
            raise ClickHouseError(
                f"cannot open the chDB data directory {self.path}: {exc} (a directory is "
                "locked to one process, and one process runs chDB on one directory only)"
            ) from exc
        with self._lock:
            self._all.append(opened)
        return opened

    @contextmanager
    def _session(self) -> Iterator[Any]:
        with self._lock:
            if self._closed:
                raise ClickHouseError(f"chDB executor on {self.path} is closed")
            taken = self._idle.pop() if self._idle else None
        if taken is None:
            taken = self._open()
        try:
            yield taken
        finally:
            with self._lock:
                if self._closed:
                    taken.close()
                else:
                    self._idle.append(taken)

    def command(self, sql: str) -> None:
        with self._session() as s:
            try:
                s.query(sql, "JSONCompact")
            except Exception as exc:
                raise failure("chDB command", sql, exc) from exc

    def query(self, sql: str) -> list[Row]:
        with self._session() as s:
            try:
                result = s.query(sql, "JSONCompact")
            except Exception as exc:
                raise failure("chDB query", sql, exc) from exc
            return json_rows(result.bytes())

    def query_bytes(self, sql: str, fmt: str) -> bytes:
        with self._session() as s:
            try:
                return bytes(s.query(sql, fmt).bytes())
            except Exception as exc:
                raise failure("chDB query", sql, exc) from exc

    def insert(self, table: str, columns: Sequence[str], data: bytes) -> None:
        statement = f"INSERT INTO {table} ({', '.join(columns)})"
        with self._session() as s:
            try:
                inserter = s.send_insert(statement, "RowBinary")
                try:
                    inserter.append(data)
                except BaseException:
                    inserter.cancel()
                    raise
                inserter.finish()
            except Exception as exc:
                raise failure("chDB insert", statement, exc) from exc

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            sessions, self._all, self._idle = self._all, [], []
        for s in sessions:
            s.close()
