"""WatchAlerts on the hub: a pushed alert is streamed once, and only after its commit."""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import grpc
import pytest

from monitor.v1 import query_pb2

from .pushes import LABELS, Sidecar, firing
from .rig import HubFactory, RunningHub


@contextmanager
def watching(hub: RunningHub, **filters: str) -> Iterator[queue.Queue[query_pb2.Alert]]:
    """A WatchAlerts stream read on a thread into a queue (subscribed when this yields)."""
    received: queue.Queue[query_pb2.Alert] = queue.Queue()
    before = hub.hub.alert_hub.subscriber_count
    stream = hub.query.WatchAlerts(query_pb2.WatchAlertsRequest(**filters))

    def read() -> None:
        try:
            for alert in stream:
                received.put(alert)
        except grpc.RpcError:
            pass  # cancelled at the end of the test

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while hub.hub.alert_hub.subscriber_count == before:
        assert time.monotonic() < deadline, "WatchAlerts did not subscribe"
        time.sleep(0.01)
    try:
        yield received
    finally:
        stream.cancel()
        thread.join(5)


def nothing_in(received: queue.Queue[query_pb2.Alert], wait_s: float = 0.3) -> bool:
    try:
        received.get(timeout=wait_s)
    except queue.Empty:
        return True
    return False


def test_an_alert_is_streamed_after_its_push_committed(start_hub: HubFactory) -> None:
    hub = start_hub()
    a = Sidecar("pod-a")
    assert hub.ingest.Push(a.push([], labels=True)).acked_seq == 1
    hub.store.gate.clear()
    with watching(hub) as received, ThreadPoolExecutor(1) as pool:
        pending = pool.submit(hub.ingest.Push, a.push([a.flagged("r1", 2000.0)]), timeout=30)
        assert hub.store.entered.wait(10)
        assert nothing_in(received)  # the write has not returned yet
        hub.store.gate.set()
        assert pending.result().acked_seq == 2
        alert = received.get(timeout=10)
    assert (alert.alert_id, alert.request_id, alert.source) == ("pod-a/r1/a1", "r1", "pod-a")
    assert alert.trace_stored
    assert [(c.id, c.label) for c in alert.top_concepts] == [
        (2, LABELS.labels[2]),
        (5, LABELS.labels[5]),
    ]
    assert hub.sample("llm_monitor_hub_alerts_published_total") == 1


def test_no_alert_is_streamed_when_the_write_failed(start_hub: HubFactory) -> None:
    hub = start_hub()
    a = Sidecar("pod-a")
    push = a.push([a.flagged("r1", 2000.0)])
    hub.store.fail = sqlite3.OperationalError("database is locked")
    with watching(hub) as received:
        with pytest.raises(grpc.RpcError) as info:
            hub.ingest.Push(push)
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        assert nothing_in(received)
        hub.store.fail = None
        assert hub.ingest.Push(push).acked_seq == 1  # the retry stores and streams it
        assert received.get(timeout=10).alert_id == "pod-a/r1/a1"
        assert hub.ingest.Push(push).acked_seq == 1  # a replay streams nothing again
        assert nothing_in(received)
    assert hub.sample("llm_monitor_hub_alerts_published_total") == 1


def test_suppressed_alerts_are_stored_but_not_streamed(start_hub: HubFactory) -> None:
    hub = start_hub()
    a = Sidecar("pod-a")
    quiet = firing("r1", "pod-a/r1/quiet", 2000.0, suppressed=True)
    with watching(hub) as received:
        assert hub.ingest.Push(a.push([a.update("r1", 0, 3, alerts=(quiet,))])).acked_seq == 1
        assert nothing_in(received)
    trace = hub.query.GetTrace(query_pb2.GetTraceRequest(request_id="r1"))
    assert [x.alert_id for x in trace.summary.alerts] == ["pod-a/r1/quiet"]


def test_watch_filters_by_source_and_model(start_hub: HubFactory) -> None:
    hub = start_hub()
    a, b = Sidecar("pod-a"), Sidecar("pod-b")
    with watching(hub, source="pod-b") as from_b, watching(hub, model_name="other") as other:
        assert hub.ingest.Push(a.push([a.flagged("r1", 2000.0)])).acked_seq == 1
        assert hub.ingest.Push(b.push([b.flagged("r1", 2001.0)])).acked_seq == 1
        assert hub.ingest.Push(b.push([b.flagged("r2", 2002.0, model="other")])).acked_seq == 2
        assert [from_b.get(timeout=10).alert_id for _ in range(2)] == [
            "pod-b/r1/a1",
            "pod-b/r2/a1",
        ]
        assert other.get(timeout=10).alert_id == "pod-b/r2/a1"
        assert nothing_in(from_b) and nothing_in(other, 0.05)
