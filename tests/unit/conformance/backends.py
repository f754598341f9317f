"""The trace stores the conformance suite runs against, and how each is opened and aged.

- ``sqlite``: the sidecar's SQLite repository, one file per store;
- ``chdb``: the ClickHouse repository on chDB (``ChdbExecutor``), one database per store;
- ``chdb-connect``: the same through ``HttpExecutor``'s code (clickhouse-connect's client,
  given a ``chdb://`` URL instead of a server's);
- ``chdb-json``: chDB with GetTrace's pages read as JSON (as on a server that cannot write
  protobuf with an inline schema) instead of the engine's protobuf;
- ``server``: a real ClickHouse server at ``LLM_MONITOR_TEST_CLICKHOUSE_URL`` (``make
  test-clickhouse``); each store is a fresh database, dropped afterwards.

chDB runs one engine per process on one directory: ``ChdbEngine`` opens it once for a
test module and closes it at the end, so another module can use another directory.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from monitor.hub.store import ChdbExecutor, ClickHouseExecutor, HttpExecutor
from monitor.hub.store.repository import ClickHouseTraceRepository
from monitor.sidecar.traces.labels import ConceptLabels
from monitor.sidecar.traces.repository import TraceRepository
from monitor.sidecar.traces.sqlite import SqliteTraceRepository

from .data import DAY, LABELS, SOURCE

SERVER_URL_ENV = "LLM_MONITOR_TEST_CLICKHOUSE_URL"
DEFAULT_RETENTION_S = 30 * DAY
BACKENDS = ("sqlite", "chdb", "chdb-connect", "chdb-json") + (
    ("server",) if os.environ.get(SERVER_URL_ENV) else ()
)


class Store(TraceRepository, Protocol):
    """What every fleet-capable trace repository offers."""

    def put_labels(self, labels: ConceptLabels) -> None: ...

    def has_labels(self, encoder: str) -> bool: ...


class ChdbEngine:
    """chDB in this process on one directory, opened on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._direct: ChdbExecutor | None = None
        self._connect: HttpExecutor | None = None

    def direct(self) -> ChdbExecutor:
        if self._direct is None:
            self._direct = ChdbExecutor(self.path)
        return self._direct

    def connect(self) -> HttpExecutor:
        if self._connect is None:
            self.direct()  # the engine's directory exists and is this process's
            self._connect = HttpExecutor(f"chdb://{self.path.resolve()}")
        return self._connect

    def close(self) -> None:
        for executor in (self._connect, self._direct):
            if executor is not None:
                executor.close()
        self._direct = self._connect = None


class Backend:
    """Opens fresh stores of one kind (``open``) and applies retention (``expire``)."""

    def __init__(self, name: str, tmp_path: Path, engine: Callable[[], ChdbEngine]) -> None:
        self.name = name
        self._tmp = tmp_path
        self._engine = engine
        self._server: HttpExecutor | None = None
        self._databases: list[str] = []

    def open(self, *, retention_s: float = DEFAULT_RETENTION_S, source: str = SOURCE) -> Store:
        """A new, empty store owned by replica ``source``, with ``LABELS`` as its encoder."""
        n = len(self._databases)
        self._databases.append(f"conformance_{uuid.uuid4().hex[:16]}")
        if self.name == "sqlite":
            return SqliteTraceRepository(
                self._tmp / f"store-{n}.sqlite",
                retention_s=retention_s,
                source=source,
                labels=LABELS,
            )
        return ClickHouseTraceRepository(
            self._executor(),
            database=self._databases[-1],
            token_ttl_days=retention_s / DAY,
            trace_ttl_days=retention_s / DAY,
            source=source,
            labels=LABELS,
            protobuf_pages=False if self.name == "chdb-json" else None,
        )

    def expire(self, store: Store, now: float) -> None:
        """Remove what is past retention at ``now`` the backend's own way: SQLite prunes
        (``prune(now)``); ClickHouse expires by TTL (merging the parts applies it)."""
        if isinstance(store, ClickHouseTraceRepository):
            assert store.prune(now) == 0
            store.optimize()
        else:
            store.prune(now)

    def _executor(self) -> ClickHouseExecutor:
        if self.name in ("chdb", "chdb-json"):
            return self._engine().direct()
        if self.name == "chdb-connect":
            return self._engine().connect()
        if self._server is None:
            self._server = HttpExecutor(os.environ[SERVER_URL_ENV])
        return self._server

    def close(self) -> None:
        """Drop the databases created on a server (chDB's and SQLite's files are temporary)."""
        if self._server is not None:
            for database in self._databases:
                self._server.command(f"DROP DATABASE IF EXISTS {database}")
            self._server.close()
