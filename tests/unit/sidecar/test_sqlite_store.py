from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path

import pytest

from monitor.sidecar.records import Firing
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.severity import Severity
from monitor.sidecar.traces.cursor import decode_cursor
from monitor.sidecar.traces.reader import TraceFilter
from monitor.sidecar.traces.sqlite import SqliteTraceStore, StoreError
from monitor.sidecar.traces.writer import TraceUpdate
from monitor.v1 import query_pb2

from .helpers import MODEL
from .tokens import request_tokens

T0 = 1_700_000_000.0
HOUR = 3600.0
LABELS = {4: "x"}  # the concept encoder's labels


def make_alert(
    request_id: str,
    *,
    concept: str = "deception",
    severity: Severity = "warning",
    fired_at: float = T0,
    model_name: str = MODEL,
    rule: str = "r",
    score: float = 0.9,
) -> Firing:
    return Firing(
        alert_id=f"{model_name}/{request_id}/{rule}",
        request_id=request_id,
        model_name=model_name,
        concept=concept,
        rule=rule,
        severity=severity,
        score=score,
        threshold=0.5,
        position=1,
        fired_at=fired_at,
        top_concept_ids=(4,),
        top_concept_values=(1.5,),
    )


def flagged(
    request_id: str,
    *,
    at: float = T0,
    model_name: str = MODEL,
    tokens: Sequence[RequestTokens] = (),
    alerts: Sequence[Firing] | None = None,
    max_scores: dict[str, float] | None = None,
    tenant: str = "",
    source: str = "",
    **alert_kw: object,
) -> TraceUpdate:
    return TraceUpdate(
        model_name=model_name,
        request_id=request_id,
        first_seen=at - 1.0,
        last_seen=at,
        tokens=tokens,
        alerts=(
            list(alerts)
            if alerts is not None
            else [make_alert(request_id, fired_at=at, model_name=model_name, **alert_kw)]  # type: ignore[arg-type]
        ),
        max_scores=max_scores if max_scores is not None else {"deception": 0.9},
        tenant=tenant,
        source=source,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteTraceStore]:
    s = SqliteTraceStore(
        tmp_path / "traces.sqlite",
        retention_s=24 * HOUR,
        clock=lambda: T0,
        concept_label=LABELS.__getitem__,
    )
    s.start()
    yield s
    s.close()


def write(store: SqliteTraceStore, *updates: TraceUpdate) -> None:
    for update in updates:
        assert store.submit(update)
    assert store.flush(10.0)


def ids(summaries: Sequence[query_pb2.TraceSummary]) -> list[str]:
    return [s.request_id for s in summaries]


def test_file_is_in_wal_mode(store: SqliteTraceStore) -> None:
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_flagged_request_round_trip(store: SqliteTraceStore) -> None:
    tokens = request_tokens(
        {"deception": [0.25, 0.75], "misuse": [0.5, 0.125]},
        start=3,
        concept_ids=[[9, 2], [5, -1]],
        concept_values=[[1.0, 0.5], [2.0, 0.0]],
    )
    write(store, flagged("a", tokens=[tokens], max_scores={"deception": 0.75, "misuse": 0.5}))
    trace = store.get_trace("a")
    assert trace is not None
    s = trace.summary
    assert (s.request_id, s.model_name, s.severity, s.token_count) == ("a", MODEL, "warning", 2)
    assert dict(s.max_scores) == {"deception": 0.75, "misuse": 0.5}
    assert s.first_seen.ToNanoseconds() == int((T0 - 1) * 1e9)
    assert s.last_seen.ToNanoseconds() == int(T0 * 1e9)
    assert [a.alert_id for a in s.alerts] == [f"{MODEL}/a/r"]
    assert s.alerts[0].top_concepts[0].label == "x"
    assert [(t.position, t.token_id, t.text) for t in trace.tokens] == [
        (3, 1003, ""),
        (4, 1004, ""),
    ]
    assert dict(trace.tokens[0].scores) == {"deception": 0.25, "misuse": 0.5}
    assert [(c.id, c.value) for c in trace.tokens[0].concepts] == [(9, 1.0), (2, 0.5)]
    assert [(c.id, c.value) for c in trace.tokens[1].concepts] == [(5, 2.0)]
    assert store.get_trace("missing") is None


def test_appends_and_more_alerts_update_the_trace(store: SqliteTraceStore) -> None:
    write(store, flagged("a", tokens=[request_tokens({"deception": [0.9]})]))
    write(
        store,
        TraceUpdate(
            model_name=MODEL,
            request_id="a",
            first_seen=0.0,  # ignored for an existing trace
            last_seen=T0 + 5,
            tokens=[request_tokens({"deception": [0.1, 0.2]}, start=1)],
            alerts=[make_alert("a", rule="other", severity="critical", fired_at=T0 + 5)],
            max_scores={"deception": 0.95, "misuse": 0.3},
        ),
        TraceUpdate(MODEL, "a", 0.0, T0 + 6, max_scores={"deception": 0.5}),
    )
    trace = store.get_trace("a", MODEL)
    assert trace is not None
    assert trace.summary.severity == "critical"
    assert trace.summary.token_count == 3
    assert dict(trace.summary.max_scores) == pytest.approx({"deception": 0.95, "misuse": 0.3})
    assert [a.rule for a in trace.summary.alerts] == ["r", "other"]
    assert trace.summary.first_seen.ToNanoseconds() == int((T0 - 1) * 1e9)
    assert trace.summary.last_seen.ToNanoseconds() == int((T0 + 6) * 1e9)
    assert [t.position for t in trace.tokens] == [0, 1, 2]


def test_update_for_an_unknown_request_without_alert_is_ignored(
    store: SqliteTraceStore,
) -> None:
    write(store, TraceUpdate(MODEL, "ghost", T0, T0, tokens=[request_tokens({"x": [1.0]})]))
    assert store.get_trace("ghost") is None


def test_layers_of_the_same_token_are_merged(store: SqliteTraceStore) -> None:
    write(
        store,
        flagged(
            "a",
            tokens=[
                request_tokens({"deception": [0.5, 0.25]}, layer=3),
                request_tokens({"misuse": [0.75, 1.0]}, layer=7),
            ],
        ),
    )
    trace = store.get_trace("a")
    assert trace is not None
    assert trace.summary.token_count == 2
    assert [dict(t.scores) for t in trace.tokens] == [
        {"deception": 0.5, "misuse": 0.75},
        {"deception": 0.25, "misuse": 1.0},
    ]


def test_get_trace_pages_tokens_and_merges_layers_within_a_page(store: SqliteTraceStore) -> None:
    write(
        store,
        flagged(
            "a",
            tokens=[
                request_tokens({"deception": [0.5] * 2500}, layer=3),
                request_tokens({"misuse": [0.25] * 2500}, layer=7),
            ],
        ),
    )
    first = store.get_trace("a")
    assert first is not None
    assert (len(first.tokens), first.total_tokens, first.next_token_offset) == (1000, 2500, 1000)
    positions: list[int] = []
    offset = 0
    while True:
        page = store.get_trace("a", MODEL, token_offset=offset, max_tokens=700)
        assert page is not None and page.summary.request_id == "a"
        assert all(set(t.scores) == {"deception", "misuse"} for t in page.tokens)
        positions += [t.position for t in page.tokens]
        offset = page.next_token_offset
        if not offset:
            break
    assert positions == list(range(2500))
    capped = store.get_trace("a", max_tokens=10**6)
    assert capped is not None and len(capped.tokens) == 2000  # MAX_TRACE_TOKENS
    past = store.get_trace("a", token_offset=5000)
    assert past is not None and len(past.tokens) == 0 and past.next_token_offset == 0
    with pytest.raises(ValueError, match="token_offset"):
        store.get_trace("a", token_offset=-1)


def test_store_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "t.sqlite"
    store = SqliteTraceStore(path, retention_s=HOUR, clock=lambda: T0)
    store.write_now([flagged("a", tokens=[request_tokens({"deception": [0.5]})])])
    assert (path.parent.stat().st_mode & 0o777) == 0o700
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    assert all(f.exists() for f in files)
    assert [oct(f.stat().st_mode & 0o777) for f in files] == ["0o600"] * 3
    store.close()


def test_an_existing_readable_store_file_is_narrowed(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite"
    path.touch(mode=0o644)
    path.chmod(0o644)
    SqliteTraceStore(path, retention_s=HOUR).close()
    assert (path.stat().st_mode & 0o777) == 0o600


def test_max_bytes_prunes_the_oldest_traces_and_shrinks_the_file(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite"
    cap = 2**20
    store = SqliteTraceStore(path, retention_s=1000 * HOUR, max_bytes=cap, clock=lambda: T0)
    for i in range(60):  # ~40 KB of tokens each: ~2.4 MB without the cap
        tokens = [request_tokens({"deception": [0.5] * 1000}, request_id=f"r{i}")]
        store.write_now([flagged(f"r{i}", at=T0 + i, tokens=tokens)])
    conn = sqlite3.connect(path)
    try:
        pages, size = (
            conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "page_size")
        )
        assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental
    finally:
        conn.close()
    assert pages * size <= cap
    page, _ = store.query_traces(TraceFilter(), 1000, "")
    kept = sorted(int(s.request_id[1:]) for s in page)
    assert 10 < len(kept) < 60 and kept == list(range(60 - len(kept), 60))  # newest kept
    store.close()


def test_same_request_id_for_two_models(store: SqliteTraceStore) -> None:
    write(store, flagged("a", at=T0), flagged("a", at=T0 + 1, model_name="m2"))
    newest = store.get_trace("a")
    assert newest is not None and newest.summary.model_name == "m2"
    first = store.get_trace("a", MODEL)
    assert first is not None and first.summary.model_name == MODEL


def test_filters(store: SqliteTraceStore) -> None:
    write(
        store,
        flagged("info", at=T0, severity="info", max_scores={"deception": 0.6}),
        flagged(
            "misuse",
            at=T0 + 10,
            concept="misuse",
            severity="critical",
            max_scores={"misuse": 0.99, "deception": 0.2},
        ),
        flagged("other-model", at=T0 + 20, model_name="m2", max_scores={"deception": 0.8}),
        flagged("warn", at=T0 + 30, max_scores={"deception": 0.7}),
    )

    def q(**kw: object) -> list[str]:
        return ids(store.query_traces(TraceFilter(**kw), 100, "")[0])  # type: ignore[arg-type]

    utc = timezone.utc
    assert q() == ["warn", "other-model", "misuse", "info"]
    assert q(concept="misuse") == ["misuse"]
    assert q(model_name="m2") == ["other-model"]
    assert q(min_severity="warning") == ["warn", "other-model", "misuse"]
    assert q(min_severity="critical") == ["misuse"]
    assert q(min_score=0.75) == ["other-model", "misuse"]  # any concept
    assert q(concept="deception", min_score=0.65) == ["warn", "other-model"]
    assert q(concept="deception", min_score=0.6) == ["warn", "other-model", "info"]
    start = datetime.fromtimestamp(T0 + 10, utc)
    end = datetime.fromtimestamp(T0 + 30, utc)
    assert q(start=start) == ["warn", "other-model", "misuse"]  # start inclusive
    assert q(start=start, end=end) == ["other-model", "misuse"]  # end exclusive
    assert q(min_severity="warning", model_name=MODEL, min_score=0.5) == ["warn", "misuse"]


def test_pagination_is_stable_while_traces_arrive(store: SqliteTraceStore) -> None:
    write(store, *(flagged(f"r{i}", at=T0 + i) for i in range(5)))
    write(store, flagged("same-time", at=T0 + 2))  # ties are ordered by insertion
    page1, cursor = store.query_traces(TraceFilter(), 2, "")
    assert ids(page1) == ["r4", "r3"]
    write(store, flagged("new-1", at=T0 + 100), flagged("new-2", at=T0 + 3))  # arrive meanwhile
    page2, cursor = store.query_traces(TraceFilter(), 2, cursor)
    page3, cursor3 = store.query_traces(TraceFilter(), 2, cursor)
    assert ids(page2) == ["same-time", "r2"]
    assert ids(page3) == ["r1", "r0"]
    assert cursor3 == ""
    assert decode_cursor(cursor)[0] == pytest.approx(T0 + 2)


def test_page_size_defaults_and_caps(store: SqliteTraceStore) -> None:
    write(store, *(flagged(f"r{i}", at=T0 + i) for i in range(60)))
    page, cursor = store.query_traces(TraceFilter(), 0, "")
    assert len(page) == 50 and cursor
    page, cursor = store.query_traces(TraceFilter(), 10**6, "")
    assert len(page) == 60 and cursor == ""


def _cursor(raw: str) -> str:
    import base64

    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense!",
        "W10",
        "WyJ4IiwgMV0",
        "WzEuMCwgdHJ1ZV0",
        _cursor("[1" + "0" * 400 + ", 1]"),  # time overflows a float
        _cursor("[1.0, " + "9" * 30 + "]"),  # row id beyond SQLite's integers
        _cursor("[1.0, -1]"),
    ],
)
def test_malformed_cursor_is_a_value_error(store: SqliteTraceStore, cursor: str) -> None:
    with pytest.raises(ValueError, match="malformed page token"):
        store.query_traces(TraceFilter(), 10, cursor)


def test_retention_prunes_old_traces_with_their_rows(tmp_path: Path) -> None:
    now = [T0]
    store = SqliteTraceStore(
        tmp_path / "t.sqlite", retention_s=HOUR, prune_interval_s=0.05, clock=lambda: now[0]
    )
    store.write_now(
        [
            flagged("old", at=T0 - 2 * HOUR, tokens=[request_tokens({"deception": [1.0]})]),
            flagged("recent", at=T0 - 0.5 * HOUR),
        ]
    )
    assert store.prune() == 1
    assert ids(store.query_traces(TraceFilter(), 10, "")[0]) == ["recent"]
    conn = sqlite3.connect(store.path)
    for table in ("tokens", "alerts", "trace_scores"):
        orphans = conn.execute(
            f"SELECT count(*) FROM {table} WHERE trace_id NOT IN (SELECT id FROM traces)"
        ).fetchone()[0]
        assert orphans == 0, table
    # the writer thread prunes periodically
    now[0] = T0 + HOUR
    store.start()
    try:
        limit = time.monotonic() + 5
        while store.query_traces(TraceFilter(), 10, "")[0] and time.monotonic() < limit:
            time.sleep(0.02)
        assert store.query_traces(TraceFilter(), 10, "")[0] == []
    finally:
        store.close()


def test_token_text_uses_the_injected_decoder(tmp_path: Path) -> None:
    store = SqliteTraceStore(
        tmp_path / "t.sqlite",
        retention_s=HOUR,
        decode=lambda token_ids: [f"<{t}>" for t in token_ids],
    )
    store.write_now([flagged("a", tokens=[request_tokens({"deception": [0.1, 0.9]})])])
    trace = store.get_trace("a")
    assert trace is not None
    assert [t.text for t in trace.tokens] == ["<1000>", "<1001>"]


def test_decoder_failure_keeps_the_trace_and_reports(tmp_path: Path) -> None:
    errors: list[str] = []

    def broken(token_ids: Sequence[int]) -> list[str]:
        raise RuntimeError("no vocab")

    store = SqliteTraceStore(
        tmp_path / "t.sqlite",
        retention_s=HOUR,
        decode=broken,
        on_error=lambda stage, exc: errors.append(stage),
    )
    store.write_now([flagged("a", tokens=[request_tokens({"deception": [0.9]})])])
    trace = store.get_trace("a")
    assert trace is not None and [t.text for t in trace.tokens] == [""]
    assert errors == ["decode"]


def test_full_queue_drops_and_reports(tmp_path: Path) -> None:
    dropped: list[str] = []
    store = SqliteTraceStore(
        tmp_path / "t.sqlite",
        retention_s=HOUR,
        queue_size=1,
        on_drop=lambda update: dropped.append(update.request_id),
    )  # not started: nothing drains the queue
    assert store.submit(flagged("a"))
    assert not store.submit(flagged("b"))
    assert dropped == ["b"]
    assert not store.flush(0.05)


def test_submit_after_close_is_refused(tmp_path: Path) -> None:
    store = SqliteTraceStore(tmp_path / "t.sqlite", retention_s=HOUR, clock=lambda: T0)
    store.start()
    write(store, flagged("a"))
    store.close()
    assert not store.submit(flagged("b"))
    assert ids(store.query_traces(TraceFilter(), 10, "")[0]) == ["a"]


def test_unopenable_path_names_it(tmp_path: Path) -> None:
    (tmp_path / "dir.sqlite").mkdir()
    with pytest.raises(StoreError, match=r"dir\.sqlite: cannot open the trace store"):
        SqliteTraceStore(tmp_path / "dir.sqlite", retention_s=HOUR)


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import numpy as np
    from monitor.sidecar.records import Firing
    from monitor.sidecar.scoring.sinks import RequestTokens
    from monitor.sidecar.traces.sqlite import SqliteTraceStore
    from monitor.sidecar.traces.writer import TraceUpdate

    store = SqliteTraceStore(Path(sys.argv[1]), retention_s=3600.0)
    store.start()
    for i in range(200):
        alert = Firing(alert_id=f"a{i}", request_id=f"r{i}", model_name="m",
                       concept="deception", rule="r", severity="warning", score=0.0,
                       threshold=0.0, position=0, fired_at=time.time() + i)
        tokens = RequestTokens(
            model_name="m", request_id=f"r{i}", layer=0,
            positions=np.arange(8, dtype=np.int64), token_ids=np.arange(8, dtype=np.int64),
            scores={"deception": np.full(8, 0.5, dtype=np.float32)}, aggregates={},
            thresholds={})
        assert store.submit(TraceUpdate("m", f"r{i}", time.time(), time.time(),
                                        tokens=[tokens], alerts=[alert]))
    assert store.flush(30.0)
    print("acked", flush=True)
    # keep writing until killed
    while True:
        time.sleep(0.01)
    """
)


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "traces.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "acked", proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    reopened = SqliteTraceStore(path, retention_s=HOUR)
    page, _ = reopened.query_traces(TraceFilter(), 1000, "")
    assert len(page) == 200
    trace = reopened.get_trace("r199", "m")
    assert trace is not None and len(trace.tokens) == 8
