"""A ClickHouse server (or cluster) over HTTP(S), through ``clickhouse-connect``.

Deliberately thin: the statements and RowBinary blocks are the same ones chDB runs (the
repository builds them), so only the transport differs. This project's tests cannot reach
a current ClickHouse server: they run this class's client calls against chDB
(clickhouse-connect's ``chdb://`` URLs), but never its HTTP transport, sessions or auth.
Check it against your server with
``LLM_MONITOR_TEST_CLICKHOUSE_URL=http://user:password@host:8123 make test-clickhouse``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor.hub.store.executor import Row, failure, json_rows


class HttpExecutor:
    """``ClickHouseExecutor`` over HTTP: ``url`` like ``https://clickhouse:8443`` (a user
    and password in the URL are used when ``user``/``password`` are not given)."""

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str = "",
        settings: dict[str, Any] | None = None,
    ) -> None:
        import clickhouse_connect

        kwargs: dict[str, Any] = {"dsn": url, "settings": settings or {}}
        if user is not None:
            kwargs["username"] = user
        if password:
            kwargs["password"] = password
        if not url.startswith("chdb:"):  # no server session: calls from several threads at once
            kwargs["autogenerate_session_id"] = False
        self.url = url
        # a server reads schemas inline; chDB (a chdb:// URL) runs in this process
        self.schema_dir: Path | None = None
        if url.startswith("chdb:"):
            self.schema_dir = Path(url.split("://", 1)[-1].split("?", 1)[0]) / "format_schemas"
        self._client = clickhouse_connect.get_client(**kwargs)

    def command(self, sql: str) -> None:
        try:
            self._client.command(sql)
        except Exception as exc:
            raise failure("ClickHouse command", sql, exc) from exc

    def query(self, sql: str) -> list[Row]:
        try:
            return json_rows(self._client.raw_query(sql, fmt="JSONCompact"))
        except Exception as exc:
            raise failure("ClickHouse query", sql, exc) from exc

    def query_bytes(self, sql: str, fmt: str) -> bytes:
        try:
            return bytes(self._client.raw_query(sql, fmt=fmt))
        except Exception as exc:
            raise failure("ClickHouse query", sql, exc) from exc

    def insert(self, table: str, columns: Sequence[str], data: bytes) -> None:
        try:  # synchronous: the server answers once the rows are written
            self._client.raw_insert(table, list(columns), data, fmt="RowBinary")
        except Exception as exc:
            raise failure("ClickHouse insert", f"INSERT INTO {table}", exc) from exc

    def close(self) -> None:
        self._client.close()
