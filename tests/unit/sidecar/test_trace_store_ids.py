"""Trace store lookups by every id form a user has: vLLM's internal id, the API
response's id, the ``X-Request-Id`` header; and the tenant tag."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.sidecar.traces.reader import TraceFilter
from monitor.sidecar.traces.sqlite import SqliteTraceStore

from .test_sqlite_store import HOUR, T0, flagged, ids, write

PLAIN = "chatcmpl-a19fd54b7cd8bf4d-0c1d2e3f"  # the API said chatcmpl-a19fd54b7cd8bf4d
HEADER = "chatcmpl-order-42-aa11bb22"  # the client sent X-Request-Id: order-42
COMPLETION = "cmpl-7e7e-99887766"  # /v1/completions
OFFLINE = "offline-7"  # no internal suffix (e.g. vLLM's offline API): kept as it is
EXTERNAL = {
    PLAIN: "chatcmpl-a19fd54b7cd8bf4d",
    HEADER: "chatcmpl-order-42",
    COMPLETION: "cmpl-7e7e",
    OFFLINE: OFFLINE,
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteTraceStore]:
    s = SqliteTraceStore(tmp_path / "t.sqlite", retention_s=24 * HOUR, clock=lambda: T0)
    s.start()
    write(
        s,
        flagged(PLAIN, at=T0 + 1, tenant="team-a"),
        flagged(HEADER, at=T0 + 2),
        flagged(COMPLETION, at=T0 + 3, tenant="team-b"),
        flagged(OFFLINE, at=T0 + 4),
    )
    yield s
    s.close()


@pytest.mark.parametrize(
    ("given", "internal"),
    [
        (PLAIN, PLAIN),
        ("chatcmpl-a19fd54b7cd8bf4d", PLAIN),
        ("a19fd54b7cd8bf4d", PLAIN),  # the bare base of a generated id works too
        (HEADER, HEADER),
        ("chatcmpl-order-42", HEADER),
        ("order-42", HEADER),
        ("cmpl-7e7e", COMPLETION),
        ("7e7e", COMPLETION),
        (OFFLINE, OFFLINE),
    ],
)
def test_get_trace_by_any_id_form(store: SqliteTraceStore, given: str, internal: str) -> None:
    trace = store.get_trace(given)
    assert trace is not None
    assert trace.summary.request_id == internal
    assert trace.summary.external_request_id == EXTERNAL[internal]


@pytest.mark.parametrize("given", ["order", "chatcmpl-order-42-aa11bb2", "cmpl-order-42", "42"])
def test_near_misses_find_nothing(store: SqliteTraceStore, given: str) -> None:
    assert store.get_trace(given) is None


def test_traces_and_their_alerts_carry_the_api_id_and_tenant(store: SqliteTraceStore) -> None:
    trace = store.get_trace("a19fd54b7cd8bf4d")
    assert trace is not None
    s = trace.summary
    assert (s.external_request_id, s.tenant) == ("chatcmpl-a19fd54b7cd8bf4d", "team-a")
    (alert,) = s.alerts
    assert (alert.request_id, alert.external_request_id, alert.tenant) == (
        PLAIN,
        "chatcmpl-a19fd54b7cd8bf4d",
        "team-a",
    )
    header = store.get_trace("order-42")
    assert header is not None and header.summary.tenant == ""


def test_a_reused_header_returns_the_newest_and_query_lists_all(store: SqliteTraceStore) -> None:
    older, newer = "chatcmpl-dup-11111111", "chatcmpl-dup-22222222"
    write(store, flagged(newer, at=T0 + 20), flagged(older, at=T0 + 10))
    trace = store.get_trace("dup")
    assert trace is not None and trace.summary.request_id == newer
    found, _ = store.query_traces(TraceFilter(request_id="chatcmpl-dup"), 10, "")
    assert ids(found) == [newer, older]
    exact = store.get_trace(older)  # the internal id is unambiguous
    assert exact is not None and exact.summary.request_id == older


def test_query_by_tenant_and_by_request(store: SqliteTraceStore) -> None:
    found, _ = store.query_traces(TraceFilter(tenant="team-b"), 10, "")
    assert ids(found) == [COMPLETION]
    found, _ = store.query_traces(
        TraceFilter(tenant="team-a", request_id="a19fd54b7cd8bf4d"), 10, ""
    )
    assert ids(found) == [PLAIN]
    found, _ = store.query_traces(TraceFilter(tenant="team-b", request_id="order-42"), 10, "")
    assert found == []


def test_the_first_tenant_seen_is_kept(store: SqliteTraceStore) -> None:
    rid = "chatcmpl-late-33333333"
    write(store, flagged(rid, at=T0 + 30), flagged(rid, at=T0 + 31, tenant="team-c"))
    write(store, flagged(rid, at=T0 + 32, tenant="team-d"))
    trace = store.get_trace("late")
    assert trace is not None and trace.summary.tenant == "team-c"
