"""``PRAGMA user_version`` of the trace store: fresh stores, a schema-0 store migrated in
place, a store from a newer llm-monitor refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from monitor.sidecar.traces.sqlite import SqliteTraceStore, StoreError
from monitor.sidecar.traces.sqlite_migrations import (
    SCHEMA_VERSION,
    SchemaTooNew,
    migrate,
    schema_version,
)
from monitor.v1 import query_pb2

from .test_sqlite_store import HOUR, T0, flagged, make_alert, write

#: The store as llm-monitor wrote it before it carried a schema version (version 0),
#: verbatim: the fixture a migration must upgrade.
SCHEMA_V0 = """
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

OLD_ID = "chatcmpl-8f2a-3c4d5e6f"  # vLLM's internal id: the API id plus its suffix


def open_store(path: Path) -> SqliteTraceStore:
    store = SqliteTraceStore(path, retention_s=24 * HOUR, clock=lambda: T0)
    store.start()
    return store


def v0_store(path: Path) -> None:
    """A schema-0 store holding one flagged request, written as the old code wrote it."""
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_V0)
    conn.execute(
        "INSERT INTO traces VALUES (1, 'tiny-llama', ?, ?, ?, ?, 1, 0.9)",
        (OLD_ID, T0 - 1, T0, T0),
    )
    conn.execute("INSERT INTO trace_scores VALUES (1, 'deception', 0.9)")
    old_alert = query_pb2.Alert(alert_id="a-old", request_id=OLD_ID, concept="deception")
    old_alert.fired_at.FromNanoseconds(int(T0 * 1e9))
    conn.execute(
        "INSERT INTO alerts VALUES ('a-old', 1, 'deception', ?, ?)",
        (T0, old_alert.SerializeToString()),
    )
    conn.commit()
    assert schema_version(conn) == 0
    conn.close()


def columns(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[1] for row in conn.execute("PRAGMA table_info(traces)")]
    finally:
        conn.close()


def test_a_fresh_store_has_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite"
    open_store(path).close()
    conn = sqlite3.connect(path)
    assert schema_version(conn) == SCHEMA_VERSION == 1
    conn.close()
    assert {"external_request_id", "tenant"} <= set(columns(path))
    open_store(path).close()  # reopening changes nothing
    conn = sqlite3.connect(path)
    assert schema_version(conn) == SCHEMA_VERSION
    conn.close()


def test_a_schema_0_store_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    v0_store(path)
    store = open_store(path)
    try:
        conn = sqlite3.connect(path)
        assert schema_version(conn) == 1
        assert conn.execute("SELECT external_request_id, tenant FROM traces").fetchall() == [
            ("chatcmpl-8f2a", "")
        ]
        conn.close()
        # the old trace is found by the id the API client saw, its alert filled in
        trace = store.get_trace("chatcmpl-8f2a")
        assert trace is not None and trace.summary.request_id == OLD_ID
        assert trace.summary.external_request_id == "chatcmpl-8f2a"
        assert [a.external_request_id for a in trace.summary.alerts] == ["chatcmpl-8f2a"]
        # and new traces are written next to it
        write(store, flagged("cmpl-new-0a0b0c0d", at=T0 + 5, tenant="team-a"))
        new = store.get_trace("cmpl-new")
        assert new is not None and new.summary.tenant == "team-a"
    finally:
        store.close()


def test_a_store_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    open_store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = columns(path)
    with pytest.raises(StoreError) as caught:
        open_store(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"schema version {SCHEMA_VERSION + 1}" in message
    assert f"this llm-monitor's {SCHEMA_VERSION}" in message
    assert columns(path) == before


def test_migrations_run_in_order_each_committed_with_its_version(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.sqlite", isolation_level=None)
    conn.execute("CREATE TABLE log (step INTEGER)")
    seen: list[int] = []

    def step(n: int):  # type: ignore[no-untyped-def]
        def run(c: sqlite3.Connection) -> None:
            seen.append(schema_version(c))
            c.execute("INSERT INTO log VALUES (?)", (n,))

        return run

    def broken(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO log VALUES (99)")
        raise RuntimeError("migration 2 failed")

    assert migrate(conn, [step(0), step(1)]) == (0, 2)
    assert seen == [0, 1]
    with pytest.raises(RuntimeError):
        migrate(conn, [step(0), step(1), broken])
    # the failed step rolled back as a whole; the store stays at the last good version
    assert schema_version(conn) == 2
    assert [r[0] for r in conn.execute("SELECT step FROM log")] == [0, 1]
    with pytest.raises(SchemaTooNew, match="schema version 2, newer than this llm-monitor's 1"):
        migrate(conn, [step(0)])
    conn.close()


def test_alert_firings_carry_the_api_id() -> None:
    firing = make_alert("chatcmpl-abc-0123abcd")
    assert firing.external_request_id == "chatcmpl-abc"
