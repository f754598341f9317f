"""The lean SQLite trace store: bytes on disk per token row, labels stored once per
encoder and resolved at read time, packed rows, traces of several sources."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.traces.labels import ConceptLabels, concept_labels
from monitor.sidecar.traces.reader import TraceFilter
from monitor.sidecar.traces.snapshots import Snapshots
from monitor.sidecar.traces.sqlite import SqliteTraceRepository, SqliteTraceStore
from monitor.sidecar.traces.writer import TraceUpdate
from monitor.v1 import query_pb2

from .helpers import MODEL
from .test_sqlite_store import HOUR, T0, flagged, make_alert
from .tokens import request_tokens

PROBES = ("deception", "eval_awareness", "misuse")
LABELS = concept_labels([f"concept label {i:04d}" for i in range(4096)])
OTHER = ConceptLabels("sha256:other-encoder", ("zero", "one", "two", "three", "four", "five"))
BYTES_PER_ROW = 500  # the bound on disk per stored token-layer (3 probes, k = 32)


def repository(path: Path, **kw: object) -> SqliteTraceRepository:
    return SqliteTraceRepository(path, retention_s=1000 * HOUR, **kw)  # type: ignore[arg-type]


def scored_chunk(
    rng: np.random.Generator, request_id: str, start: int, n: int = 50
) -> RequestTokens:
    """n tokens of 3 probes with a k = 32 top-k of a 4096-concept encoder."""
    k = 32
    ids = np.stack([rng.choice(4096, k, replace=False) for _ in range(n)]).astype(np.int32)
    positions = np.arange(start, start + n, dtype=np.int64)
    return RequestTokens(
        model_name=MODEL,
        request_id=request_id,
        layer=12,
        positions=positions,
        token_ids=rng.integers(0, 49152, n),
        scores={p: rng.random(n, dtype=np.float32) for p in PROBES},
        aggregates={},
        thresholds={},
        concept_ids=ids,
        concept_values=-np.sort(-rng.random((n, k), dtype=np.float32) * 5, axis=1),
    )


def test_a_stored_token_layer_takes_at_most_500_bytes_on_disk(tmp_path: Path) -> None:
    """100 flagged requests x 500 tokens written in 50-token chunks as concurrent requests
    arrive (chunks of different requests interleaved), in batches of 512 updates; file
    size after a WAL checkpoint divided by the token rows. Labels: stored once."""
    rng = np.random.default_rng(0)
    path = tmp_path / "t.sqlite"
    repo = repository(path, labels=LABELS, source="pod-a")
    updates = []
    for chunk in range(10):
        for i in range(100):
            rid = f"chatcmpl-{i:04d}-0a0b0c0d"
            alerts = [make_alert(rid, fired_at=T0 + i)] if chunk == 0 else []
            tokens = [scored_chunk(rng, rid, 50 * chunk)]
            updates.append(TraceUpdate(MODEL, rid, T0, T0 + i, tokens=tokens, alerts=alerts))
    for start in range(0, len(updates), 512):
        repo.apply(updates[start : start + 512])
    repo.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    rows = conn.execute("SELECT count(*) FROM tokens").fetchone()[0]
    labels = conn.execute("SELECT count(*) FROM concept_labels").fetchone()[0]
    conn.close()
    assert (rows, labels) == (50_000, 4096)
    per_row = os.path.getsize(path) / rows
    print(f"{per_row:.0f} B on disk per stored token-layer")  # 2,495 B before the lean rows
    assert per_row <= BYTES_PER_ROW
    trace = repo.get_trace("chatcmpl-0007", max_tokens=500)
    assert trace is not None and len(trace.tokens) == 500
    assert len(trace.tokens[0].concepts) == 32
    assert all(c.label == LABELS.label(c.id) for c in trace.tokens[0].concepts)


def test_labels_are_stored_once_and_resolved_when_read(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite"
    repo = repository(path, labels=OTHER)
    tokens = request_tokens({"deception": [0.5]}, concept_ids=[[5, 1]], concept_values=[[2, 1]])
    repo.apply([flagged("a", tokens=[tokens])])
    conn = sqlite3.connect(path)
    assert conn.execute(
        "SELECT concept_id, label FROM concept_labels WHERE encoder = ? ORDER BY concept_id",
        (OTHER.encoder,),
    ).fetchall() == list(enumerate(OTHER.labels))
    assert conn.execute("SELECT DISTINCT encoder FROM alerts").fetchall() == [(OTHER.encoder,)]
    conn.close()
    # a reader without the table in memory resolves from the store
    reader = repository(path)
    trace = reader.get_trace("a")
    assert trace is not None
    assert [(c.id, c.label) for c in trace.tokens[0].concepts] == [(5, "five"), (1, "one")]
    assert [c.label for c in trace.summary.alerts[0].top_concepts] == ["four"]
    assert reader.has_labels(OTHER.encoder) and not reader.has_labels("sha256:unknown")


def test_updates_of_another_encoder_are_labelled_once_its_labels_arrive(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite"
    repo = repository(path, labels=LABELS)
    tokens = request_tokens({"deception": [0.5]}, concept_ids=[[3]], concept_values=[[1.0]])
    update = flagged("a", tokens=[tokens])
    repo.apply([replace(update, encoder=OTHER.encoder)])
    before = repo.get_trace("a")
    assert before is not None and [c.label for c in before.tokens[0].concepts] == [""]
    assert not repo.has_labels(OTHER.encoder)
    repo.put_labels(OTHER)
    repo.put_labels(OTHER)  # again: kept as it is
    assert repo.has_labels(OTHER.encoder) and repository(path).has_labels(OTHER.encoder)
    for reader in (repo, repository(path)):
        after = reader.get_trace("a")
        assert after is not None
        assert [(c.id, c.label) for c in after.tokens[0].concepts] == [(3, "three")]
        assert [c.label for c in after.summary.alerts[0].top_concepts] == ["four"]


def test_a_label_function_still_labels_concepts(tmp_path: Path) -> None:
    repo = repository(tmp_path / "t.sqlite", concept_label=lambda i: f"c{i}")
    tokens = request_tokens({"deception": [0.5]}, concept_ids=[[7]], concept_values=[[1.0]])
    repo.apply([flagged("a", tokens=[tokens])])
    trace = repo.get_trace("a")
    assert trace is not None
    assert [c.label for c in trace.tokens[0].concepts] == ["c7"]
    assert [c.label for c in trace.summary.alerts[0].top_concepts] == ["c4"]


def test_packed_rows_round_trip_exactly(tmp_path: Path) -> None:
    """Ids above 16 bits, padding anywhere, float32 values and scores, segments, text, and
    layers whose rows differ (concepts only on the second layer)."""
    repo = repository(tmp_path / "t.sqlite", decode=lambda ids: [f"<{i}>" for i in ids])
    values = np.array([[3.25, 1e-7, 0.1], [2.0, 1.0, 0.5]], dtype=np.float32)
    scores = np.array([0.1, 0.7], dtype=np.float32)
    first = request_tokens({"misuse": scores.tolist()}, layer=3)
    second = RequestTokens(
        model_name=MODEL,
        request_id="a",
        layer=9,
        positions=np.arange(2, dtype=np.int64),
        token_ids=np.array([5, -1], dtype=np.int64),
        scores={"deception": scores[::-1].copy(), "eval_awareness": scores},
        aggregates={},
        thresholds={},
        concept_ids=np.array([[70000, -1, 3], [-1, -1, -1]], dtype=np.int32),
        concept_values=values,
        segments=np.array([2, 6], dtype=np.int8),
    )
    repo.apply([flagged("a", tokens=[first, second])])
    trace = repo.get_trace("a")
    assert trace is not None
    t0, t1 = trace.tokens
    assert dict(t0.scores) == {
        "misuse": scores[0],
        "deception": scores[1],
        "eval_awareness": scores[0],
    }
    assert [(c.id, c.value) for c in t0.concepts] == [(70000, values[0, 0]), (3, values[0, 2])]
    assert len(t1.concepts) == 0 and (t0.token_id, t0.text) == (1000, "<1000>")
    assert t0.segment == query_pb2.SEGMENT_UNKNOWN  # the first layer's row says so


def test_text_given_with_the_update_is_kept(tmp_path: Path) -> None:
    errors: list[str] = []
    repo = repository(
        tmp_path / "t.sqlite",
        decode=lambda ids: ["decoded"] * len(ids),
        on_error=lambda stage, exc: errors.append(stage),
    )
    chunks = [request_tokens({"deception": [0.5, 0.5]}), request_tokens({"x": [1.0]}, start=2)]
    update = flagged("a", tokens=chunks)
    repo.apply([replace(update, texts=[["He", "llo"], []])])
    given = repo.get_trace("a")
    assert given is not None and [t.text for t in given.tokens] == ["He", "llo", "decoded"]
    repo.apply([TraceUpdate(MODEL, "a", T0, T0, tokens=chunks[:1], texts=[["only one"]])])
    trace = repo.get_trace("a")
    assert trace is not None
    # the second write replaced positions 0 and 1 and its texts did not fit: no text
    assert [t.text for t in trace.tokens] == ["", "", "decoded"]
    assert errors == ["decode"]


def test_updates_with_a_snapshot_are_stored_like_any_other(tmp_path: Path) -> None:
    repo = repository(tmp_path / "t.sqlite")
    snapshots = Snapshots()
    first = snapshots.add(flagged("a", tokens=[request_tokens({"deception": [0.5]})]))
    later = snapshots.add(
        TraceUpdate(MODEL, "a", T0, T0 + 1, tokens=[request_tokens({"deception": [0.75]}, start=1)])
    )
    assert first.snapshot is not None and later.snapshot is not None
    repo.apply([first, later])
    trace = repo.get_trace("a")
    assert trace is not None and trace.total_tokens == later.snapshot.token_count == 2


def test_traces_are_kept_per_source(tmp_path: Path) -> None:
    repo = repository(tmp_path / "t.sqlite", source="pod-a")
    repo.apply(
        [
            flagged("r", at=T0),  # the repository's own source
            flagged("r", at=T0 + 1, source="pod-b"),
            flagged("r", at=T0 + 2, source="pod-b", model_name="m2"),
            flagged("r", at=T0 + 3, source="pod-b"),  # same trace again: merged
        ]
    )

    def q(**kw: str) -> list[tuple[str, str, str]]:
        page, _ = repo.query_traces(TraceFilter(**kw), 10, "")  # type: ignore[arg-type]
        return [(t.request_id, t.model_name, t.source) for t in page]

    assert q() == [("r", "m2", "pod-b"), ("r", MODEL, "pod-b"), ("r", MODEL, "pod-a")]
    assert q(source="pod-a") == [("r", MODEL, "pod-a")]
    assert q(source="pod-b", model_name=MODEL) == [("r", MODEL, "pod-b")]
    assert q(source="pod-c") == []
    newest = repo.get_trace("r")
    assert newest is not None and (newest.summary.model_name, newest.summary.source) == (
        "m2",
        "pod-b",
    )
    own = repo.get_trace("r", source="pod-a")
    assert own is not None and own.summary.source == "pod-a"
    assert [(a.source, a.request_id) for a in own.summary.alerts] == [("pod-a", "r")]
    merged = repo.get_trace("r", MODEL, source="pod-b")
    assert merged is not None and merged.summary.last_seen.ToSeconds() == T0 + 3
    assert len(merged.summary.alerts) == 1  # the same alert id twice: stored once
    assert repo.get_trace("r", "m2", source="pod-a") is None


def test_replaying_a_batch_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite"
    repo = repository(path, labels=LABELS)
    batch = [
        flagged("a", tokens=[request_tokens({"deception": [0.5] * 3})]),
        TraceUpdate(
            MODEL, "a", T0, T0 + 1, tokens=[request_tokens({"deception": [0.25]}, start=3)]
        ),
    ]
    repo.apply(batch)
    first = repo.get_trace("a")
    repo.apply(batch)
    assert repo.get_trace("a") == first
    conn = sqlite3.connect(path)
    counts = [
        conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("traces", "alerts", "tokens", "token_formats")
    ]
    assert counts == [1, 1, 4, 1]


def test_the_store_passes_source_and_labels_on(tmp_path: Path) -> None:
    store = SqliteTraceStore(tmp_path / "t.sqlite", retention_s=HOUR, source="pod-z", labels=OTHER)
    store.write_now(
        [
            flagged(
                "a",
                tokens=[request_tokens({"d": [1.0]}, concept_ids=[[2]], concept_values=[[1.0]])],
            )
        ]
    )
    trace = store.get_trace("a", source="pod-z")
    assert trace is not None and [c.label for c in trace.tokens[0].concepts] == ["two"]
    store.close()


@pytest.mark.parametrize("ids", [[[0, 65535]], [[65536, 1]], [[-1, 2**20 - 1]]])
def test_id_widths(tmp_path: Path, ids: Sequence[Sequence[int]]) -> None:
    repo = repository(tmp_path / "t.sqlite")
    tokens = request_tokens({"d": [1.0]}, concept_ids=ids, concept_values=[[2.0, 1.0]])
    repo.apply([flagged("a", tokens=[tokens])])
    trace = repo.get_trace("a")
    assert trace is not None
    assert [c.id for c in trace.tokens[0].concepts] == [i for i in ids[0] if i >= 0]


def test_the_own_labels_are_stored_when_opened_or_else_with_the_first_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor.sidecar.traces import sqlite as sqlite_module

    assert repository(tmp_path / "a.sqlite", labels=OTHER).has_labels(OTHER.encoder)
    assert repository(tmp_path / "a.sqlite").has_labels(OTHER.encoder)
    calls: list[str] = []

    def full_once(conn: sqlite3.Connection, labels: ConceptLabels) -> None:
        calls.append(labels.encoder)
        if len(calls) == 1:
            raise sqlite3.OperationalError("database or disk is full")
        save_labels(conn, labels)

    save_labels = sqlite_module.save_labels
    monkeypatch.setattr(sqlite_module, "save_labels", full_once)
    errors: list[str] = []
    path = tmp_path / "b.sqlite"
    repo = repository(path, labels=OTHER, on_error=lambda stage, exc: errors.append(stage))
    assert errors == ["write"] and not repository(path).has_labels(OTHER.encoder)
    repo.apply([flagged("a")])
    assert calls == [OTHER.encoder] * 2 and repository(path).has_labels(OTHER.encoder)
