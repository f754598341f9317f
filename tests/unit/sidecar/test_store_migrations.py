"""``PRAGMA user_version`` of the trace store: fresh stores, schema-0 and schema-1 stores
migrated in place, a store from a newer llm-monitor refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from monitor.sidecar.protos import alert_message
from monitor.sidecar.traces import sqlite_v2
from monitor.sidecar.traces.reader import TraceFilter
from monitor.sidecar.traces.sqlite import SqliteTraceStore, StoreError
from monitor.sidecar.traces.sqlite_migrations import (
    MIGRATIONS,
    SCHEMA_VERSION,
    SchemaTooNew,
    migrate,
    schema_version,
)
from monitor.sidecar.traces.sqlite_v2 import MIGRATED_ENCODER
from monitor.v1 import query_pb2

from .helpers import MODEL
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
    assert schema_version(conn) == SCHEMA_VERSION == 2
    conn.close()
    assert {"external_request_id", "tenant", "source"} <= set(columns(path))
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
        assert schema_version(conn) == SCHEMA_VERSION
        assert conn.execute(
            "SELECT external_request_id, tenant, source FROM traces"
        ).fetchall() == [("chatcmpl-8f2a", "", "")]
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


#: Labels of the concept encoder that wrote the schema-1 fixture (one id above 65535).
V1_LABELS = {1: "alpha", 2: "beta", 4: "delta", 70000: "big"}


def _activations(*pairs: tuple[int, float]) -> list[query_pb2.ConceptActivation]:
    return [query_pb2.ConceptActivation(id=i, value=v, label=V1_LABELS[i]) for i, v in pairs]


def v1_store(path: Path) -> None:
    """A schema-1 store as llm-monitor wrote it: the base tables and the real version-1
    migration, token rows as serialized ``TraceToken``s and alerts as serialized
    ``Alert``s, both with their concept labels. Trace 1 is recent (two layers at position
    0), trace 2 is past a one-hour retention."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(SCHEMA_V0)
    assert migrate(conn, MIGRATIONS[:1]) == (0, 1)
    conn.executemany(
        "INSERT INTO traces (id, model_name, request_id, first_seen, last_seen, first_alert,"
        " severity, max_score, external_request_id, tenant) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (1, MODEL, OLD_ID, T0 - 1, T0, T0, 2, 0.9, "chatcmpl-8f2a", "team-a"),
            (2, MODEL, "cmpl-old-99999999", T0 - 3 * HOUR, T0 - 2 * HOUR, T0 - 2 * HOUR, 1, 0.7,
             "cmpl-old", ""),
        ],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO trace_scores VALUES (?, ?, ?)",
        [(1, "deception", 0.9), (1, "misuse", 0.5), (2, "deception", 0.7)],
    )
    for trace_id, request_id, fired_at in (
        (1, OLD_ID, T0),
        (2, "cmpl-old-99999999", T0 - 2 * HOUR),
    ):
        alert = alert_message(make_alert(request_id, fired_at=fired_at), V1_LABELS.__getitem__)
        conn.execute(
            "INSERT INTO alerts VALUES (?, ?, 'deception', ?, ?)",
            (alert.alert_id, trace_id, fired_at, alert.SerializeToString()),
        )
    tokens = [
        (1, 0, 3, query_pb2.TraceToken(
            position=0, token_id=100, text="Hi", scores={"deception": 0.25, "misuse": 0.5},
            segment=query_pb2.SEGMENT_USER, concepts=_activations((1, 1.5), (70000, 0.5)))),
        (1, 0, 7, query_pb2.TraceToken(position=0, token_id=100, scores={"eval_awareness": 0.75})),
        (1, 1, 3, query_pb2.TraceToken(
            position=1, token_id=101, scores={"deception": 0.125, "misuse": 1.0},
            segment=query_pb2.SEGMENT_REPLY, concepts=_activations((2, 2.0)))),
        (2, 0, 3, query_pb2.TraceToken(position=0, token_id=7, scores={"deception": 0.7})),
    ]  # fmt: skip
    conn.executemany(
        "INSERT INTO tokens VALUES (?, ?, ?, ?)",
        [(t, p, layer, token.SerializeToString()) for t, p, layer, token in tokens],
    )
    conn.close()


def test_a_schema_1_store_is_converted_to_lean_rows(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    v1_store(path)
    store = open_store(path)
    try:
        conn = sqlite3.connect(path)
        assert schema_version(conn) == SCHEMA_VERSION
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        token_columns = {row[1] for row in conn.execute("PRAGMA table_info(tokens)")}
        assert "data" not in token_columns and {"scores", "concept_ids"} <= token_columns
        assert conn.execute(
            "SELECT encoder, concept_id, label FROM concept_labels ORDER BY concept_id"
        ).fetchall() == [(MIGRATED_ENCODER, i, label) for i, label in sorted(V1_LABELS.items())]
        conn.close()
        trace = store.get_trace("chatcmpl-8f2a")
        assert trace is not None
        s = trace.summary
        assert (s.request_id, s.tenant, s.source, s.severity, s.token_count) == (
            OLD_ID,
            "team-a",
            "",
            "critical",
            2,
        )
        assert dict(s.max_scores) == {"deception": 0.9, "misuse": 0.5}
        (alert,) = s.alerts
        assert [(c.id, c.value, c.label) for c in alert.top_concepts] == [(4, 1.5, "delta")]
        first, second = trace.tokens
        assert (first.position, first.token_id, first.text, first.segment) == (
            0,
            100,
            "Hi",
            query_pb2.SEGMENT_USER,
        )
        assert dict(first.scores) == {"deception": 0.25, "misuse": 0.5, "eval_awareness": 0.75}
        assert [(c.id, c.value, c.label) for c in first.concepts] == [
            (1, 1.5, "alpha"),
            (70000, 0.5, "big"),
        ]
        assert (second.position, second.text, second.segment) == (1, "", query_pb2.SEGMENT_REPLY)
        assert [(c.id, c.label) for c in second.concepts] == [(2, "beta")]
    finally:
        store.close()


def test_converted_traces_keep_their_cascades_and_take_a_source(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    v1_store(path)
    store = SqliteTraceStore(path, retention_s=HOUR, clock=lambda: T0)
    try:
        assert store.prune() == 1  # the old trace, with all its rows
        conn = sqlite3.connect(path)
        for table in ("tokens", "alerts", "trace_scores"):
            left = conn.execute(f"SELECT DISTINCT trace_id FROM {table}").fetchall()
            assert left == [(1,)], table
        conn.close()
        # the key is now (model, request id, source): another replica's trace of the same id
        store.write_now([flagged(OLD_ID, at=T0 + 5, source="replica-b")])
        found, _ = store.query_traces(TraceFilter(request_id=OLD_ID), 10, "")
        assert [(t.request_id, t.source) for t in found] == [(OLD_ID, "replica-b"), (OLD_ID, "")]
        assert [t.token_count for t in found] == [0, 2]
        newest = store.get_trace(OLD_ID)  # '' = any source: the newest
        assert newest is not None and newest.summary.source == "replica-b"
    finally:
        store.close()


def test_a_failed_conversion_leaves_the_schema_1_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v1.sqlite"
    v1_store(path)

    def broken(conn: sqlite3.Connection, labels: dict[int, str]) -> None:
        raise RuntimeError("conversion failed")

    monkeypatch.setattr(sqlite_v2, "_copy_tokens", broken)
    with pytest.raises(RuntimeError, match="conversion failed"):
        open_store(path)
    conn = sqlite3.connect(path)
    assert schema_version(conn) == 1
    assert conn.execute("SELECT count(*) FROM tokens WHERE data IS NOT NULL").fetchone() == (4,)
    assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master")} >= {"traces", "tokens"}
    assert "traces_new" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    monkeypatch.undo()
    store = open_store(path)  # the next start converts it
    try:
        trace = store.get_trace(OLD_ID)
        assert trace is not None and len(trace.tokens) == 2
    finally:
        store.close()
