"""One trace-store contract, every backend: the same cases run against a fresh SQLite
store, a fresh ClickHouse store on chDB (directly and through the HTTP executor's client
code), and a ClickHouse server when ``LLM_MONITOR_TEST_CLICKHOUSE_URL`` is set.

Order: newest first by the first alert. Ties (the same first alert) are ordered by each
backend's documented rule: SQLite by insertion, newest first; ClickHouse by (model name,
request id, source), descending. The cases with ties insert in ascending key order, where
both rules give the same order; ClickHouse's own rule is checked in its own tests.
"""

from __future__ import annotations

import base64
import dataclasses
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path

import pytest

from monitor.sidecar.traces.labels import ConceptLabels
from monitor.sidecar.traces.reader import TraceFilter
from monitor.sidecar.traces.writer import TraceUpdate
from monitor.v1 import query_pb2

from .backends import BACKENDS, Backend, ChdbEngine, Store
from .data import DAY, HOUR, MODEL, SOURCE, T0, Sidecar, tokens


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChdbEngine]:
    shared = ChdbEngine(tmp_path_factory.mktemp("chdb"))
    yield shared
    shared.close()


@pytest.fixture(params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, engine: ChdbEngine
) -> Iterator[Backend]:
    opened = Backend(request.param, tmp_path, lambda: engine)
    yield opened
    opened.close()


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open()


def ids(summaries: Sequence[query_pb2.TraceSummary]) -> list[str]:
    return [s.request_id for s in summaries]


def listed(store: Store, page_size: int = 100, **filters: object) -> list[str]:
    """Request ids of every matching trace, all pages, in order."""
    out: list[str] = []
    cursor = ""
    while True:
        page, cursor = store.query_traces(TraceFilter(**filters), page_size, cursor)  # type: ignore[arg-type]
        out += ids(page)
        if not cursor:
            return out


def utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def test_a_flagged_request_round_trips(store: Store) -> None:
    side = Sidecar()
    chunk = tokens(
        {"deception": [0.25, 0.75], "misuse": [0.5, 0.125]},
        start=3,
        request_id="a",
        concept_ids=[[9, 2], [5, -1]],
        concept_values=[[1.0, 0.5], [2.0, 0.0]],
        segments=[6, 6],
    )
    update = side.flagged(
        "a",
        chunks=[chunk],
        max_scores={"deception": 0.75, "misuse": 0.5},
        tenant="team-x",
        texts=[["Hel", "lo"]],
    )
    store.apply([update])
    trace = store.get_trace("a")
    assert trace is not None
    s = trace.summary
    assert (s.request_id, s.model_name, s.source, s.severity) == ("a", MODEL, SOURCE, "warning")
    assert (s.token_count, s.tenant, s.external_request_id) == (2, "team-x", "a")
    assert dict(s.max_scores) == {"deception": 0.75, "misuse": 0.5}
    assert s.first_seen.ToNanoseconds() == int((T0 - 1) * 1e9)
    assert s.last_seen.ToNanoseconds() == int(T0 * 1e9)
    [alert] = s.alerts
    assert (alert.alert_id, alert.rule, alert.concept, alert.severity) == (
        f"{SOURCE}/{MODEL}/a/r",
        "r",
        "deception",
        "warning",
    )
    assert (alert.source, alert.tenant, alert.request_id, alert.model_name) == (
        SOURCE,
        "team-x",
        "a",
        MODEL,
    )
    assert (alert.score, alert.threshold, alert.position) == (0.9, 0.5, 1)
    assert alert.fired_at.ToNanoseconds() == int(T0 * 1e9)
    assert [(c.id, c.value, c.label) for c in alert.top_concepts] == [
        (4, 1.5, "concept 4"),
        (2, 0.5, "concept 2"),
    ]
    assert [(t.position, t.token_id, t.text, t.segment) for t in trace.tokens] == [
        (3, 1003, "Hel", 6),
        (4, 1004, "lo", 6),
    ]
    assert dict(trace.tokens[0].scores) == {"deception": 0.25, "misuse": 0.5}
    assert [(c.id, c.value, c.label) for c in trace.tokens[0].concepts] == [
        (9, 1.0, "concept 9"),
        (2, 0.5, "concept 2"),
    ]
    assert [(c.id, c.value, c.label) for c in trace.tokens[1].concepts] == [(5, 2.0, "concept 5")]
    assert (trace.total_tokens, trace.next_token_offset) == (2, 0)
    assert store.get_trace("missing") is None


def test_later_updates_extend_the_trace(store: Store) -> None:
    side = Sidecar()
    store.apply([side.flagged("a", chunks=[tokens({"deception": [0.9]}, request_id="a")])])
    store.apply(
        [
            side.update(
                "a",
                at=T0 + 5,
                first_seen=T0 - 1,
                chunks=[tokens({"deception": [0.1, 0.2]}, start=1, request_id="a")],
                alerts=[side.alert("a", rule="other", severity="critical", fired_at=T0 + 5)],
                max_scores={"deception": 0.95, "misuse": 0.3},
            ),
            side.update("a", at=T0 + 6, first_seen=T0 - 1, max_scores={"deception": 0.5}),
        ]
    )
    trace = store.get_trace("a", MODEL)
    assert trace is not None
    s = trace.summary
    assert (s.severity, s.token_count) == ("critical", 3)
    assert dict(s.max_scores) == pytest.approx({"deception": 0.95, "misuse": 0.3})
    assert [a.rule for a in s.alerts] == ["r", "other"]
    assert s.first_seen.ToNanoseconds() == int((T0 - 1) * 1e9)
    assert s.last_seen.ToNanoseconds() == int((T0 + 6) * 1e9)
    assert [t.position for t in trace.tokens] == [0, 1, 2]
    assert listed(store) == ["a"]
    assert listed(store, min_severity="critical") == ["a"]
    assert listed(store, concept="deception", min_score=0.95) == ["a"]


def test_updates_without_a_snapshot_are_summarised_by_the_store(store: Store) -> None:
    side = Sidecar()
    first = side.flagged("a", chunks=[tokens({"deception": [0.9, 0.1]}, request_id="a")])
    later = side.update(
        "a",
        at=T0 + 5,
        first_seen=T0 - 1,
        chunks=[tokens({"deception": [0.2]}, start=2, request_id="a")],
        alerts=[side.alert("a", rule="other", severity="critical", fired_at=T0 + 5)],
        max_scores={"misuse": 0.4},
    )
    store.apply([dataclasses.replace(u, snapshot=None) for u in (first, later)])
    trace = store.get_trace("a")
    assert trace is not None
    assert (trace.summary.severity, trace.summary.token_count) == ("critical", 3)
    assert dict(trace.summary.max_scores) == pytest.approx({"deception": 0.9, "misuse": 0.4})
    assert listed(store, concept="deception", min_score=0.9) == ["a"]
    assert listed(store, concept="misuse") == []  # no misuse alert
    assert listed(store, min_severity="critical") == ["a"]


def test_an_update_of_an_unknown_request_without_alert_is_ignored(store: Store) -> None:
    ghost = TraceUpdate(
        MODEL, "ghost", T0, T0, tokens=[tokens({"x": [1.0]}, request_id="ghost")], source=SOURCE
    )
    store.apply([ghost])
    assert store.get_trace("ghost") is None
    assert listed(store) == []


def test_the_layers_of_a_token_merge(store: Store) -> None:
    side = Sidecar()
    chunks = [
        tokens(
            {"deception": [0.5, 0.25]},
            layer=3,
            request_id="a",
            concept_ids=[[1], [2]],
            concept_values=[[1.0], [2.0]],
        ),
        tokens({"misuse": [0.75, 1.0]}, layer=7, request_id="a"),
    ]
    store.apply([side.flagged("a", chunks=chunks)])
    trace = store.get_trace("a")
    assert trace is not None
    assert (trace.summary.token_count, trace.total_tokens) == (2, 2)
    assert [dict(t.scores) for t in trace.tokens] == [
        {"deception": 0.5, "misuse": 0.75},
        {"deception": 0.25, "misuse": 1.0},
    ]
    assert [[c.id for c in t.concepts] for t in trace.tokens] == [[1], [2]]


def test_tokens_are_paged_by_position(store: Store) -> None:
    side = Sidecar()
    chunks = [
        tokens({"deception": [0.5] * 2500}, layer=3, request_id="a"),
        tokens({"misuse": [0.25] * 2500}, layer=7, request_id="a"),
    ]
    store.apply([side.flagged("a", chunks=chunks)])
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
    assert past.total_tokens == 2500
    with pytest.raises(ValueError, match="token_offset"):
        store.get_trace("a", token_offset=-1)


def test_filters(store: Store) -> None:
    a, b = Sidecar("pod-a"), Sidecar("pod-b")
    ext = "chatcmpl-ext-0a1b2c3d"  # vLLM's internal id of X-Request-Id "ext"
    store.apply(
        [
            a.flagged("info", at=T0, severity="info", max_scores={"deception": 0.6}),
            a.flagged(
                "misuse",
                at=T0 + 10,
                concept="misuse",
                severity="critical",
                max_scores={"misuse": 0.99, "deception": 0.2},
            ),
            a.flagged("other-model", at=T0 + 20, model_name="m2", max_scores={"deception": 0.8}),
            a.flagged("warn", at=T0 + 30, max_scores={"deception": 0.7}, tenant="team-x"),
            b.flagged(ext, at=T0 + 40, max_scores={"deception": 0.55}),
        ]
    )
    everything = [ext, "warn", "other-model", "misuse", "info"]
    assert listed(store) == everything
    assert listed(store, concept="misuse") == ["misuse"]
    assert listed(store, model_name="m2") == ["other-model"]
    assert listed(store, min_severity="warning") == [ext, "warn", "other-model", "misuse"]
    assert listed(store, min_severity="critical") == ["misuse"]
    assert listed(store, min_score=0.75) == ["other-model", "misuse"]  # any concept
    assert listed(store, min_score=0.0) == everything
    assert listed(store, concept="deception", min_score=0.65) == ["warn", "other-model"]
    assert listed(store, concept="deception", min_score=0.6) == ["warn", "other-model", "info"]
    assert listed(store, concept="misuse", min_score=0.0) == ["misuse"]
    assert listed(store, start=utc(T0 + 10)) == [ext, "warn", "other-model", "misuse"]
    assert listed(store, start=utc(T0 + 10), end=utc(T0 + 30)) == ["other-model", "misuse"]
    assert listed(store, end=utc(T0 + 10)) == ["info"]  # end exclusive
    assert listed(store, tenant="team-x") == ["warn"]
    assert listed(store, source="pod-b") == [ext]
    assert listed(store, source="pod-a") == everything[1:]
    assert listed(store, source="pod-c") == []
    for given in (ext, "chatcmpl-ext", "ext"):  # internal id, the API's id, X-Request-Id
        assert listed(store, request_id=given) == [ext], given
    assert listed(store, request_id="warn") == ["warn"]
    assert listed(store, request_id="nope") == []
    combined = listed(store, min_severity="warning", model_name=MODEL, min_score=0.5)
    assert combined == [ext, "warn", "misuse"]


def test_newest_first_with_ties_in_the_documented_order(store: Store) -> None:
    a, b = Sidecar("pod-a"), Sidecar("pod-b")
    store.apply(
        [
            a.flagged("early", at=T0),
            a.flagged("tie-a", at=T0 + 5),
            a.flagged("tie-b", at=T0 + 5),
            a.flagged("tie-c", at=T0 + 5),
            a.flagged("late", at=T0 + 9),
        ]
    )
    store.apply([a.flagged("dup", at=T0 + 7)])
    store.apply([b.flagged("dup", at=T0 + 7)])
    expected = ["late", "dup", "dup", "tie-c", "tie-b", "tie-a", "early"]
    page, _ = store.query_traces(TraceFilter(), 100, "")
    assert ids(page) == expected
    assert [s.source for s in page[1:3]] == ["pod-b", "pod-a"]
    assert listed(store, page_size=1) == expected
    assert listed(store, page_size=2) == expected


def test_pages_stay_stable_while_traces_arrive(store: Store) -> None:
    side = Sidecar()
    store.apply([side.flagged(f"r{i}", at=T0 + i) for i in range(5)])
    store.apply([side.flagged("same-time", at=T0 + 2)])  # a tie with r2, stored later
    page1, cursor = store.query_traces(TraceFilter(), 2, "")
    assert ids(page1) == ["r4", "r3"]
    store.apply([side.flagged("new-1", at=T0 + 100), side.flagged("s-new", at=T0 + 3)])
    page2, cursor = store.query_traces(TraceFilter(), 2, cursor)
    page3, cursor3 = store.query_traces(TraceFilter(), 2, cursor)
    assert ids(page2) == ["same-time", "r2"]
    assert ids(page3) == ["r1", "r0"]
    assert cursor3 == ""


def test_newest_first_across_days(store: Store) -> None:
    side = Sidecar()
    now = time.time()
    at = {"minutes": now - 600, "hours": T0, "days": now - 3 * DAY, "weeks": now - 20 * DAY}
    store.apply([side.flagged(name, at=t) for name, t in at.items()])
    expected = ["minutes", "hours", "days", "weeks"]
    for size in (1, 2, 3, 100):
        assert listed(store, page_size=size) == expected, size
    assert listed(store, end=utc(now - DAY)) == ["days", "weeks"]
    assert listed(store, start=utc(now - 4 * DAY), page_size=1) == expected[:3]


def test_the_same_request_id_from_two_sources_and_two_models(store: Store) -> None:
    a, b = Sidecar("pod-a"), Sidecar("pod-b")
    store.apply(
        [
            a.flagged("x", at=T0, chunks=[tokens({"deception": [0.1]}, request_id="x")]),
            b.flagged("x", at=T0 + 1, chunks=[tokens({"deception": [0.9, 0.8]}, request_id="x")]),
            a.flagged("x", at=T0 + 2, model_name="m2", severity="critical"),
        ]
    )
    page, _ = store.query_traces(TraceFilter(), 10, "")
    assert [(s.model_name, s.source) for s in page] == [
        ("m2", "pod-a"),
        (MODEL, "pod-b"),
        (MODEL, "pod-a"),
    ]
    for summary in page:
        assert [(al.source, al.model_name) for al in summary.alerts] == [
            (summary.source, summary.model_name)
        ]
    newest = store.get_trace("x")
    assert newest is not None
    assert (newest.summary.model_name, newest.summary.source) == ("m2", "pod-a")
    of_model = store.get_trace("x", MODEL)
    assert of_model is not None and of_model.summary.source == "pod-b"
    assert [dict(t.scores)["deception"] for t in of_model.tokens] == pytest.approx([0.9, 0.8])
    own = store.get_trace("x", MODEL, source="pod-a")
    assert own is not None and (own.summary.source, own.total_tokens) == ("pod-a", 1)
    assert [dict(t.scores)["deception"] for t in own.tokens] == pytest.approx([0.1])
    assert store.get_trace("x", "m2", source="pod-b") is None
    assert listed(store, source="pod-b") == ["x"]
    assert listed(store, request_id="x", model_name=MODEL) == ["x", "x"]


def test_replaying_batches_stores_nothing_twice(store: Store) -> None:
    side = Sidecar()
    first = [
        side.flagged("a", chunks=[tokens({"deception": [0.5, 0.6]}, request_id="a")]),
        side.flagged("b", at=T0 + 1),
    ]
    second = [
        side.update(
            "a",
            at=T0 + 2,
            first_seen=T0 - 1,
            chunks=[tokens({"deception": [0.7]}, start=2, request_id="a")],
            alerts=[side.alert("a", rule="late", fired_at=T0 + 2)],
            max_scores={"deception": 0.7},
        )
    ]
    for batch in (first, second, first, second, second):
        store.apply(batch)
    page, cursor = store.query_traces(TraceFilter(), 10, "")
    assert (ids(page), cursor) == (["b", "a"], "")
    a = page[1]
    assert (a.token_count, [al.rule for al in a.alerts]) == (3, ["r", "late"])
    trace = store.get_trace("a")
    assert trace is not None and trace.total_tokens == 3
    assert [t.position for t in trace.tokens] == [0, 1, 2]
    assert len(trace.summary.alerts) == 2


def test_retention_removes_old_traces_whole(backend: Backend) -> None:
    store = backend.open(retention_s=DAY)
    side = Sidecar()
    now = time.time()
    store.apply(
        [
            side.flagged("old", at=now - 2 * DAY, chunks=[tokens({"d": [1.0]}, request_id="old")]),
            side.flagged(
                "recent", at=now - HOUR, chunks=[tokens({"d": [0.5]}, request_id="recent")]
            ),
        ]
    )
    backend.expire(store, now)
    assert listed(store) == ["recent"]
    assert store.get_trace("old") is None
    recent = store.get_trace("recent")
    assert recent is not None and len(recent.tokens) == 1


def _token(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense!",
        "W10",  # []
        _token('["x", 1]'),
        _token('{"a": 1}'),
        _token("[1.0, true]"),
        _token("[1" + "0" * 400 + ", 1]"),
        _token('[null, "m", "r", "s"]'),
        _token("[1, 2, 3, 4]"),
        _token("[1.0, -1]"),
    ],
)
def test_a_malformed_cursor_is_a_value_error(store: Store, cursor: str) -> None:
    with pytest.raises(ValueError, match="malformed page token"):
        store.query_traces(TraceFilter(), 10, cursor)


def test_page_size_defaults_and_caps(store: Store) -> None:
    side = Sidecar()
    store.apply([side.flagged(f"r{i:04d}", at=T0 + i) for i in range(1005)])
    page, cursor = store.query_traces(TraceFilter(), 0, "")
    assert len(page) == 50 and cursor
    page, cursor = store.query_traces(TraceFilter(), 10**6, "")
    assert (len(page), ids(page)[:2]) == (1000, ["r1004", "r1003"]) and cursor
    rest, cursor = store.query_traces(TraceFilter(), 10**6, cursor)
    assert (ids(rest), cursor) == (["r0004", "r0003", "r0002", "r0001", "r0000"], "")


def test_labels_are_stored_once_per_encoder_and_resolved_when_read(store: Store) -> None:
    from .data import LABELS

    other = ConceptLabels("sha256:0123456789abcdef", ("zero", "one", "two"))
    store.apply([Sidecar().flagged("own")])  # the store's own encoder: stored by now
    assert store.has_labels(LABELS.encoder)
    assert not store.has_labels(other.encoder)
    store.put_labels(other)
    store.put_labels(other)  # idempotent
    assert store.has_labels(other.encoder)
    side = Sidecar("pod-b")
    for request_id, encoder in (("b", other.encoder), ("u", "sha256:unknown")):
        chunk = tokens(
            {"d": [0.5]}, request_id=request_id, concept_ids=[[2, 1]], concept_values=[[1.0, 0.5]]
        )
        store.apply(
            [
                side.update(
                    request_id,
                    at=T0,
                    chunks=[chunk],
                    alerts=[side.alert(request_id)],
                    encoder=encoder,
                )
            ]
        )
    trace = store.get_trace("b")
    assert trace is not None
    assert [(c.id, c.label) for c in trace.tokens[0].concepts] == [(2, "two"), (1, "one")]
    assert [(c.id, c.label) for c in trace.summary.alerts[0].top_concepts] == [(4, ""), (2, "two")]
    unknown = store.get_trace("u")
    assert unknown is not None
    assert [(c.id, c.label) for c in unknown.tokens[0].concepts] == [(2, ""), (1, "")]


def test_awkward_names_round_trip(store: Store) -> None:
    request_id = 'it\'s \\ a "test"\n\t✓ %s {x} -0a1b2c3d'
    model = "m'odel\\"
    side = Sidecar("pod'\\b")
    store.apply(
        [
            side.flagged(
                request_id,
                model_name=model,
                tenant="t'x",
                chunks=[tokens({"de'ception": [0.5]}, request_id=request_id, model_name=model)],
                max_scores={"de'ception": 0.9},
                concept="de'ception",
            ),
            side.flagged("plain", at=T0 - 1, model_name=model),
        ]
    )
    assert listed(store, page_size=1) == [request_id, "plain"]
    for filters in (
        {"model_name": model},
        {"source": "pod'\\b"},
        {"tenant": "t'x"},
        {"concept": "de'ception", "min_score": 0.5},
    ):
        assert listed(store, **filters)[:1] == [request_id], filters
    assert listed(store, request_id=request_id) == [request_id]
    assert listed(store, request_id=request_id[: -len("-0a1b2c3d")]) == [request_id]
    trace = store.get_trace(request_id, model, source="pod'\\b")
    assert trace is not None
    assert [dict(t.scores) for t in trace.tokens] == [{"de'ception": 0.5}]


def test_writes_from_several_threads_while_reading(store: Store) -> None:
    errors: list[BaseException] = []
    done = threading.Event()

    def write(source: str) -> None:
        side = Sidecar(source)
        try:
            for i in range(0, 12, 2):
                store.apply(
                    [
                        side.flagged(
                            f"r{j}",
                            at=T0 + j,
                            chunks=[tokens({"d": [0.5] * 20}, request_id=f"r{j}")],
                        )
                        for j in (i, i + 1)
                    ]
                )
        except BaseException as exc:
            errors.append(exc)

    def read() -> None:
        try:
            while not done.is_set():
                store.query_traces(TraceFilter(), 50, "")
                store.get_trace("r3")
        except BaseException as exc:
            errors.append(exc)

    writers = [threading.Thread(target=write, args=(f"pod-{i}",)) for i in range(4)]
    reader = threading.Thread(target=read)
    reader.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(60)
    done.set()
    reader.join(60)
    assert errors == []
    assert len(listed(store)) == 48
    for i in range(4):
        trace = store.get_trace("r11", source=f"pod-{i}")
        assert trace is not None and trace.total_tokens == 20
