"""The fleet trace store on ClickHouse: one schema and one set of statements
(``schema``, ``reads``, ``writes``), run by an executor: chDB in this process
(``ChdbExecutor``) or a ClickHouse server over HTTP (``HttpExecutor``)."""

from monitor.hub.store.executor import ChdbExecutor, ClickHouseError, ClickHouseExecutor
from monitor.hub.store.http import HttpExecutor
from monitor.hub.store.repository import ClickHouseTraceRepository, TableSize
from monitor.hub.store.schema import SchemaTooNew

__all__ = [
    "ChdbExecutor",
    "ClickHouseError",
    "ClickHouseExecutor",
    "ClickHouseTraceRepository",
    "HttpExecutor",
    "SchemaTooNew",
    "TableSize",
]
