"""TraceIngest.Push on a real gRPC server over SQLite: acks, validation, back-pressure."""

from __future__ import annotations

import dataclasses
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from monitor.v1 import fleet_pb2, query_pb2

from .pushes import LABELS, MODEL, Sidecar
from .rig import HubFactory, RunningHub


def traces(hub: RunningHub, **filters: str) -> list[tuple[str, str]]:
    """(source, request id) of every stored trace, in the order QueryTraces returns them."""
    response = hub.query.QueryTraces(query_pb2.QueryTracesRequest(page_size=100, **filters))
    return [(t.source, t.request_id) for t in response.traces]


def code_of(call: object) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as info:
        call()  # type: ignore[operator]
    return info.value.code(), info.value.details()


def test_pushes_from_two_sidecars_are_acknowledged_and_readable(start_hub: HubFactory) -> None:
    hub = start_hub()
    a, b = Sidecar("pod-a"), Sidecar("pod-b")
    answer = hub.ingest.Push(a.push([a.flagged("r1", 2000.0), a.flagged("r2", 2002.0)]))
    assert answer.acked_seq == 1
    assert hub.ingest.Push(b.push([b.flagged("r1", 2001.0, n=7)])).acked_seq == 1
    assert hub.ingest.Push(a.push([a.update("r1", 5, 3)])).acked_seq == 2
    # newest first by first alert; the same request id from both sources, apart
    assert traces(hub) == [("pod-a", "r2"), ("pod-b", "r1"), ("pod-a", "r1")]
    assert traces(hub, source="pod-b") == [("pod-b", "r1")]
    mine = hub.query.GetTrace(query_pb2.GetTraceRequest(request_id="r1", source="pod-a"))
    assert [t.position for t in mine.tokens] == list(range(8))
    assert mine.summary.source == "pod-a"
    theirs = hub.query.GetTrace(query_pb2.GetTraceRequest(request_id="r1", source="pod-b"))
    assert [t.token_id for t in theirs.tokens] == [1000 + p for p in range(7)]
    assert hub.sample("llm_monitor_hub_pushes_total", outcome="ok") == 3
    assert hub.sample("llm_monitor_hub_rows_stored_total", table="trace_tokens") == 5 + 5 + 7 + 3
    assert hub.sample("llm_monitor_hub_rows_stored_total", table="traces") == 4
    assert hub.sample("llm_monitor_hub_rows_stored_total", table="alerts") == 3
    assert hub.sample("llm_monitor_hub_push_duration_seconds_count") == 3
    assert hub.sample("llm_monitor_hub_received_bytes_total") > 0
    assert hub.sample("llm_monitor_hub_pushes_in_flight") == 0


def test_a_replayed_push_shows_nothing_twice(start_hub: HubFactory) -> None:
    hub = start_hub()
    a = Sidecar("pod-a")
    push = a.push([a.flagged("r1", 2000.0, n=6)])
    assert hub.ingest.Push(push).acked_seq == 1
    assert hub.ingest.Push(push).acked_seq == 1  # the sidecar did not see the first answer
    assert traces(hub) == [("pod-a", "r1")]
    trace = hub.query.GetTrace(query_pb2.GetTraceRequest(request_id="r1"))
    assert [t.position for t in trace.tokens] == list(range(6))
    assert [a.alert_id for a in trace.summary.alerts] == ["pod-a/r1/a1"]
    assert trace.summary.token_count == 6


def test_need_labels_until_the_table_arrived(start_hub: HubFactory) -> None:
    hub = start_hub()
    a = Sidecar("pod-a")
    assert hub.ingest.Push(a.push([a.flagged("r1", 2000.0)])).need_labels
    assert not hub.ingest.Push(a.push([], labels=True)).need_labels
    assert not hub.ingest.Push(a.push([a.update("r1", 5, 2)])).need_labels
    assert not hub.ingest.Push(fleet_pb2.PushRequest(source="pod-c", seq=1)).need_labels
    assert hub.store.inner.has_labels(LABELS.encoder)
    assert hub.sample("llm_monitor_hub_rows_stored_total", table="concept_labels") == len(
        LABELS.labels
    )
    # read-time labels: the stored trace's concepts are named by the table pushed later
    trace = hub.query.GetTrace(query_pb2.GetTraceRequest(request_id="r1"))
    assert [(c.id, c.label) for c in trace.tokens[1].concepts][:2] == [
        (1, LABELS.labels[1]),
        (2, LABELS.labels[2]),
    ]


@pytest.mark.parametrize(
    ("mangle", "field"),
    [
        (lambda p: setattr(p, "source", ""), "source is empty"),
        (lambda p: setattr(p.updates[0], "version", 0), "updates[0].version must be >= 1"),
        (lambda p: setattr(p.updates[0], "request_id", ""), "updates[0].request_id is empty"),
        (lambda p: p.updates[0].chunks[0].token_ids.append(7), "updates[0].chunks[0].token_ids"),
        (lambda p: setattr(p.updates[0], "severity", "dire"), "updates[0].severity"),
        (lambda p: setattr(p.updates[0], "first_alert", float("nan")), "first_alert is not finite"),
        (lambda p: p.labels.ClearField("labels"), "labels.labels: 0 labels"),
    ],
)
def test_a_malformed_push_is_refused_naming_the_field(
    start_hub: HubFactory, mangle: object, field: str
) -> None:
    hub = start_hub()
    a = Sidecar("pod-a")
    push = a.push([a.flagged("r1", 2000.0)], labels=True)
    mangle(push)  # type: ignore[operator]
    code, details = code_of(lambda: hub.ingest.Push(push))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert field in details
    assert traces(hub) == []  # nothing of it stored
    assert hub.store.applied == 0
    assert hub.sample("llm_monitor_hub_pushes_total", outcome="invalid") == 1


def test_pushes_beyond_the_limit_are_refused_as_busy(start_hub: HubFactory) -> None:
    hub = start_hub(limits={"max_inflight_pushes": 1})
    a = Sidecar("pod-a")
    hub.store.gate.clear()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(hub.ingest.Push, a.push([a.flagged("r1", 2000.0)]), timeout=30)
        assert hub.store.entered.wait(10)
        code, details = code_of(lambda: hub.ingest.Push(a.push([a.flagged("r2", 2001.0)])))
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "limits.max_inflight_pushes" in details
        assert hub.sample("llm_monitor_hub_pushes_in_flight") == 1
        hub.store.gate.set()
        assert first.result().acked_seq == 1
    assert hub.sample("llm_monitor_hub_pushes_total", outcome="busy") == 1
    assert traces(hub) == [("pod-a", "r1")]
    assert hub.ingest.Push(a.push([a.flagged("r2", 2001.0)])).acked_seq == 3  # slot free


def test_a_failing_database_is_unavailable_and_nothing_is_acknowledged(
    start_hub: HubFactory,
) -> None:
    hub = start_hub()
    a = Sidecar("pod-a")
    push = a.push([a.flagged("r1", 2000.0)], labels=True)
    hub.store.fail = sqlite3.OperationalError("disk I/O error")
    code, details = code_of(lambda: hub.ingest.Push(push))
    assert code == grpc.StatusCode.UNAVAILABLE
    assert "OperationalError: disk I/O error" in details
    assert hub.sample("llm_monitor_hub_pushes_total", outcome="unavailable") == 1
    assert hub.sample("llm_monitor_hub_rows_stored_total", table="traces") == 0
    hub.store.fail = None  # the database is back: the sidecar's retry is stored
    assert hub.ingest.Push(push).acked_seq == 1
    assert traces(hub) == [("pod-a", "r1")]


def test_token_text_is_dropped_when_not_kept(start_hub: HubFactory) -> None:
    hub = start_hub(storage={"keep_token_text": False})
    a = Sidecar("pod-a")
    update = a.flagged("r1", 2000.0, n=3)
    update = dataclasses.replace(update, texts=[["x", "y", "z"]])
    assert hub.ingest.Push(a.push([update])).acked_seq == 1
    trace = hub.query.GetTrace(query_pb2.GetTraceRequest(request_id="r1"))
    assert [t.text for t in trace.tokens] == ["", "", ""]


def test_token_text_is_kept_by_default(start_hub: HubFactory) -> None:
    hub = start_hub()
    a = Sidecar("pod-a")
    update = dataclasses.replace(a.flagged("r1", 2000.0, n=3), texts=[["x", "y", "z"]])
    assert hub.ingest.Push(a.push([update])).acked_seq == 1
    trace = hub.query.GetTrace(query_pb2.GetTraceRequest(request_id="r1", model_name=MODEL))
    assert [t.text for t in trace.tokens] == ["x", "y", "z"]


def test_a_push_above_max_push_bytes_is_refused_by_grpc(start_hub: HubFactory) -> None:
    hub = start_hub(limits={"max_push_bytes": 2**20})
    a = Sidecar("pod-a")
    big = a.push([a.flagged("r1", 2000.0, n=40_000)])
    assert big.ByteSize() > 2**20
    code, details = code_of(lambda: hub.ingest.Push(big))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "larger than max" in details
    assert traces(hub) == []
    assert hub.ingest.Push(a.push([a.flagged("r2", 2001.0, n=10)])).acked_seq == 2
