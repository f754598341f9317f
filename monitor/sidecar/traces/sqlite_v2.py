"""Schema version 2 of the SQLite trace store: lean rows and a source per trace.

- ``traces`` gains ``source`` (the replica that saw the request) and is keyed by
  (model, request id, source);
- token rows become compact (:mod:`monitor.sidecar.traces.sqlite_tokens`): packed scores
  and top-k under a ``token_formats`` row, no labels;
- concept labels move to ``concept_labels`` (once per encoder and id); alerts are stored
  without labels next to their encoder's identity, and are unique per trace.

The migration rebuilds every table inside one transaction. Foreign keys stay on, so the
order matters: the new tables reference ``traces_new``; the old child tables are dropped
before the old ``traces`` (dropping a parent first would cascade into its children);
renaming ``traces_new`` to ``traces`` then rewrites the children's references. Old token
and alert blobs carry their labels: they go to ``concept_labels`` under the encoder
``MIGRATED_ENCODER`` (the first label seen per id wins).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import numpy as np

from monitor.sidecar.traces.sqlite_tokens import (
    TokenFormat,
    format_id,
    pack_concepts,
    pack_scores,
)
from monitor.v1 import query_pb2

#: The encoder of concept ids converted from a version-1 store (whose rows named none).
MIGRATED_ENCODER = "schema-1"
COPY_BATCH = 2000  # token rows converted per step

TABLES = """
CREATE TABLE traces_new (
    id INTEGER PRIMARY KEY,
    model_name TEXT NOT NULL,
    request_id TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    first_alert REAL NOT NULL,
    severity INTEGER NOT NULL,
    max_score REAL NOT NULL,
    external_request_id TEXT NOT NULL DEFAULT '',
    tenant TEXT NOT NULL DEFAULT '',
    UNIQUE (model_name, request_id, source)
);
CREATE TABLE trace_scores_new (
    trace_id INTEGER NOT NULL REFERENCES traces_new (id) ON DELETE CASCADE,
    concept TEXT NOT NULL,
    max_score REAL NOT NULL,
    PRIMARY KEY (trace_id, concept)
) WITHOUT ROWID;
CREATE TABLE alerts_new (
    id INTEGER PRIMARY KEY,
    trace_id INTEGER NOT NULL REFERENCES traces_new (id) ON DELETE CASCADE,
    alert_id TEXT NOT NULL,
    concept TEXT NOT NULL,
    fired_at REAL NOT NULL,
    encoder TEXT NOT NULL,
    data BLOB NOT NULL,
    UNIQUE (trace_id, alert_id)
);
CREATE TABLE tokens_new (
    trace_id INTEGER NOT NULL REFERENCES traces_new (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    layer INTEGER NOT NULL,
    token_id INTEGER NOT NULL,
    segment INTEGER NOT NULL,
    format INTEGER NOT NULL,
    scores BLOB NOT NULL,
    concept_ids BLOB,
    concept_values BLOB,
    text TEXT,
    PRIMARY KEY (trace_id, position, layer)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS concept_labels (
    encoder TEXT NOT NULL,
    concept_id INTEGER NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (encoder, concept_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS token_formats (
    id INTEGER PRIMARY KEY,
    encoder TEXT NOT NULL,
    probes TEXT NOT NULL,
    UNIQUE (encoder, probes)
)
"""

INDEXES = """
CREATE INDEX traces_newest ON traces (first_alert DESC, id DESC);
CREATE INDEX traces_last_seen ON traces (last_seen);
CREATE INDEX traces_request ON traces (request_id);
CREATE INDEX traces_external ON traces (external_request_id);
CREATE INDEX traces_tenant ON traces (tenant, first_alert DESC, id DESC);
CREATE INDEX traces_source ON traces (source, first_alert DESC, id DESC);
CREATE INDEX alerts_trace ON alerts (trace_id, concept)
"""


def _script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one (``executescript`` would commit the transaction)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def migrate_v2(conn: sqlite3.Connection) -> None:
    """Version 2 (inside the caller's transaction): see the module."""
    _script(conn, TABLES)
    conn.execute(
        "INSERT INTO traces_new (id, model_name, request_id, source, first_seen, last_seen,"
        " first_alert, severity, max_score, external_request_id, tenant)"
        " SELECT id, model_name, request_id, '', first_seen, last_seen, first_alert,"
        " severity, max_score, external_request_id, tenant FROM traces"
    )
    conn.execute("INSERT INTO trace_scores_new SELECT * FROM trace_scores")
    labels: dict[int, str] = {}
    _copy_alerts(conn, labels)
    _copy_tokens(conn, labels)
    conn.executemany(
        "INSERT OR IGNORE INTO concept_labels (encoder, concept_id, label) VALUES (?, ?, ?)",
        ((MIGRATED_ENCODER, concept_id, label) for concept_id, label in labels.items()),
    )
    for table in ("tokens", "alerts", "trace_scores", "traces"):  # children first
        conn.execute(f"DROP TABLE {table}")
    for table in ("traces", "trace_scores", "alerts", "tokens"):
        conn.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
    _script(conn, INDEXES)


def _collect(labels: dict[int, str], concepts: list[query_pb2.ConceptActivation]) -> None:
    for concept in concepts:
        if concept.label and concept.id not in labels:
            labels[concept.id] = concept.label
        concept.label = ""


def _copy_alerts(conn: sqlite3.Connection, labels: dict[int, str]) -> None:
    rows = []
    for trace_id, alert_id, concept, fired_at, data in conn.execute(
        "SELECT trace_id, alert_id, concept, fired_at, data FROM alerts"
    ).fetchall():
        alert = query_pb2.Alert()
        alert.ParseFromString(data)
        _collect(labels, list(alert.top_concepts))
        encoder = MIGRATED_ENCODER if alert.top_concepts else ""
        rows.append((trace_id, alert_id, concept, fired_at, encoder, alert.SerializeToString()))
    conn.executemany(
        "INSERT INTO alerts_new (trace_id, alert_id, concept, fired_at, encoder, data)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )


def _copy_tokens(conn: sqlite3.Connection, labels: dict[int, str]) -> None:
    formats: dict[TokenFormat, int] = {}
    read = conn.execute("SELECT trace_id, position, layer, data FROM tokens")
    while batch := read.fetchmany(COPY_BATCH):
        conn.executemany(
            "INSERT INTO tokens_new (trace_id, position, layer, token_id, segment, format,"
            " scores, concept_ids, concept_values, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _converted(conn, batch, formats, labels),
        )


def _converted(
    conn: sqlite3.Connection,
    batch: list[tuple[int, int, int, bytes]],
    formats: dict[TokenFormat, int],
    labels: dict[int, str],
) -> Iterator[tuple[object, ...]]:
    for trace_id, position, layer, data in batch:
        token = query_pb2.TraceToken()
        token.ParseFromString(data)
        concepts = list(token.concepts)
        _collect(labels, concepts)
        fmt = TokenFormat(MIGRATED_ENCODER if concepts else "", tuple(sorted(token.scores)))
        if fmt not in formats:
            formats[fmt] = format_id(conn, fmt)
        ids, values = (None, None)
        if concepts:
            ids, values = pack_concepts(
                np.asarray([[c.id for c in concepts]], dtype=np.int64),
                np.asarray([[c.value for c in concepts]], dtype=np.float32),
            )[0]
        yield (
            trace_id,
            position,
            layer,
            token.token_id,
            int(token.segment),
            formats[fmt],
            pack_scores([token.scores[p] for p in fmt.probes]),
            ids,
            values,
            token.text or None,
        )
