"""The fleet store behind the hub, by ``storage.backend``: what it must offer and how it opens.

``chdb`` and ``clickhouse`` are the ClickHouse repository of ``monitor.hub.store`` over an
embedded engine or a server; ``sqlite`` is the sidecar's own repository (one file: tests and
a single small node). The ClickHouse client libraries are imported only for their backend,
so a hub on SQLite (and every sidecar) runs without them.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

from monitor.hub.config import HubStorageConfig
from monitor.sidecar.config import ConfigError
from monitor.sidecar.traces.repository import TraceRepository

DAY_S = 86400.0
HUB_EXTRA = "pip install 'llm-monitor[hub]'"
_MODULES = {"chdb": "chdb", "clickhouse": "clickhouse_connect"}


class StorageUnavailable(Exception):
    """The fleet store cannot be opened now (a server down, a directory locked)."""


def require_module(backend: str) -> None:
    """``ConfigError`` with the install command when the backend's library is missing."""
    module = _MODULES.get(backend)
    if module is not None and importlib.util.find_spec(module) is None:
        raise ConfigError(
            f"storage.backend {backend} needs the {module} package, which is not installed: "
            f"{HUB_EXTRA}"
        )


def _always_up() -> None:
    return None


@dataclass(frozen=True)
class OpenedStore:
    """A repository and how to release what it runs on (the executor's connections),
    after the repository's own ``close``; ``ping`` raises when the engine does not answer."""

    repository: TraceRepository
    close: Callable[[], None]
    ping: Callable[[], None] = _always_up


def open_repository(storage: HubStorageConfig) -> OpenedStore:
    """The repository of ``storage``: ``ConfigError`` for what the user must fix (a missing
    library, a path that cannot be used), ``StorageUnavailable`` when the engine or server
    cannot be reached (or a chDB directory is in use)."""
    require_module(storage.backend)
    if storage.backend == "sqlite":
        return _sqlite(storage)
    return _clickhouse(storage)


def _sqlite(storage: HubStorageConfig) -> OpenedStore:
    from monitor.sidecar.traces.sqlite import SqliteTraceRepository, StoreError

    assert storage.path is not None  # checked by the config
    try:
        repository = SqliteTraceRepository(storage.path, retention_s=storage.trace_ttl_days * DAY_S)
    except StoreError as exc:
        raise ConfigError(f"storage.path: {exc}") from None
    return OpenedStore(repository, lambda: None)


def _clickhouse(storage: HubStorageConfig) -> OpenedStore:
    from monitor.hub.store import (
        ChdbExecutor,
        ClickHouseExecutor,
        ClickHouseTraceRepository,
        HttpExecutor,
    )

    where = storage.path if storage.backend == "chdb" else storage.url
    executor: ClickHouseExecutor
    try:
        if storage.backend == "chdb":
            assert storage.path is not None  # checked by the config
            executor = ChdbExecutor(storage.path)
        else:
            assert storage.url is not None  # checked by the config
            executor = HttpExecutor(storage.url, user=storage.user, password=storage.password())
    except OSError as exc:
        raise ConfigError(f"storage: cannot use {where}: {exc.strerror or exc}") from None
    except ConfigError:
        raise
    except Exception as exc:
        raise StorageUnavailable(
            f"cannot open the {storage.backend} store at {where}: {exc}"
        ) from exc
    try:
        repository = ClickHouseTraceRepository(
            executor,
            database=storage.database,
            token_ttl_days=storage.token_ttl_days,
            trace_ttl_days=storage.trace_ttl_days,
        )
    except Exception as exc:
        executor.close()
        raise StorageUnavailable(
            f"cannot set up the {storage.backend} store at {where}: {exc}"
        ) from exc

    def ping() -> None:
        executor.query("SELECT 1")

    return OpenedStore(repository, executor.close, ping)
