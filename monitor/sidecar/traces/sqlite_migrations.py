"""Schema versions of the SQLite trace store: ``PRAGMA user_version`` and its migrations.

The base schema (:data:`~monitor.sidecar.traces.sqlite_schema.SCHEMA`) is version 0, the
store as it was before it carried a version. ``MIGRATIONS`` lists, in order, the steps from
each version to the next; opening a store runs the steps it is missing, each in its own
transaction together with the new ``user_version``, so a crash mid-way leaves the store at
the last complete version and the next start continues from there. A store written by a
newer llm-monitor (a version above ``SCHEMA_VERSION``) is refused with both versions named:
this one cannot know what the newer schema means.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from monitor.request_ids import external_request_id
from monitor.sidecar.traces.sqlite_v2 import migrate_v2

Migration = Callable[[sqlite3.Connection], None]


class SchemaTooNew(Exception):
    """The store was written by a newer llm-monitor than this one."""


def _v1_request_ids(conn: sqlite3.Connection) -> None:
    """Version 1: the id the API client saw and the tenant tag, per trace (the tenant of
    traces stored before is unknown: '')."""
    conn.execute("ALTER TABLE traces ADD COLUMN external_request_id TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE traces ADD COLUMN tenant TEXT NOT NULL DEFAULT ''")
    rows = conn.execute("SELECT id, request_id FROM traces").fetchall()
    conn.executemany(
        "UPDATE traces SET external_request_id = ? WHERE id = ?",
        [(external_request_id(str(request_id)), trace_id) for trace_id, request_id in rows],
    )
    conn.execute("CREATE INDEX traces_request ON traces (request_id)")
    conn.execute("CREATE INDEX traces_external ON traces (external_request_id)")
    conn.execute("CREATE INDEX traces_tenant ON traces (tenant, first_alert DESC, id DESC)")


#: MIGRATIONS[i] takes a store from version i to version i + 1: 1 adds the API id and the
#: tenant, 2 the source and the lean rows (:mod:`monitor.sidecar.traces.sqlite_v2`).
MIGRATIONS: Sequence[Migration] = (_v1_request_ids, migrate_v2)
#: The version this llm-monitor writes.
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The store's ``PRAGMA user_version``."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_version(conn: sqlite3.Connection, supported: int = SCHEMA_VERSION) -> int:
    """The store's version; ``SchemaTooNew`` naming both versions when it is above
    ``supported``."""
    found = schema_version(conn)
    if found > supported:
        raise SchemaTooNew(
            f"the trace store has schema version {found}, newer than this llm-monitor's"
            f" {supported}: open it with the llm-monitor that wrote it, or use another"
            " store path"
        )
    return found


def migrate(
    conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS
) -> tuple[int, int]:
    """Bring the store on ``conn`` (autocommit mode) to ``len(migrations)``; returns
    (version before, version after). Raises ``SchemaTooNew`` for a newer store."""
    target = len(migrations)
    before = check_version(conn, target)
    for version in range(before, target):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) != version:  # another process migrated meanwhile
                conn.execute("ROLLBACK")
                continue
            migrations[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return before, schema_version(conn)
