"""The hub on chDB (ClickHouse's engine in this process): what sidecars push reads back.

One data directory per module (chDB runs one directory per process at a time; each hub
closes its sessions when it stops), one database per test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from monitor.hub.app import Hub
from monitor.hub.config import HubConfig
from monitor.v1 import fleet_pb2_grpc, query_pb2, query_pb2_grpc

from .pushes import LABELS, Sidecar


@pytest.fixture(scope="module")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb")


def chdb_hub(path: Path, database: str) -> Hub:
    return Hub(
        HubConfig(
            server={"address": "127.0.0.1:0", "metrics_address": "127.0.0.1:0"},
            storage={"backend": "chdb", "path": str(path), "database": database},
        )
    )


@pytest.fixture
def channel_to() -> Iterator[list[grpc.Channel]]:
    opened: list[grpc.Channel] = []
    yield opened
    for channel in opened:
        channel.close()


def test_pushes_from_two_sources_read_back_exactly(chdb_dir: Path) -> None:
    a, b = Sidecar("pod-a"), Sidecar("pod-b")
    with chdb_hub(chdb_dir, "two_sources") as hub, grpc.insecure_channel(hub.grpc_target) as ch:
        ingest = fleet_pb2_grpc.TraceIngestStub(ch)
        query = query_pb2_grpc.TraceQueryStub(ch)
        first = ingest.Push(a.push([a.flagged("r1", 2000.0, n=4)]))
        assert (first.acked_seq, first.need_labels) == (1, True)
        answer = ingest.Push(b.push([b.flagged("r1", 2001.0, n=6)], labels=True))
        assert (answer.acked_seq, answer.need_labels) == (1, False)
        later = a.push([a.update("r1", 4, 3)])
        assert ingest.Push(later).acked_seq == 2
        assert ingest.Push(later).acked_seq == 2  # replayed: nothing twice
        found = query.QueryTraces(query_pb2.QueryTracesRequest(page_size=10))
        assert [(t.source, t.request_id, t.token_count) for t in found.traces] == [
            ("pod-b", "r1", 6),
            ("pod-a", "r1", 7),
        ]
        mine = query.GetTrace(query_pb2.GetTraceRequest(request_id="r1", source="pod-a"))
        assert [t.position for t in mine.tokens] == list(range(7))
        assert mine.tokens[1].concepts[0].label == LABELS.labels[1]
        assert [x.alert_id for x in mine.summary.alerts] == ["pod-a/r1/a1"]
        only_b = query.QueryTraces(query_pb2.QueryTracesRequest(source="pod-b"))
        assert [t.source for t in only_b.traces] == ["pod-b"]
        assert hub.check_store()  # the engine answers its health check
        assert hub.registry.get_sample_value("llm_monitor_hub_store_up") == 1


def test_a_restarted_hub_reads_what_the_first_one_acknowledged(chdb_dir: Path) -> None:
    a = Sidecar("pod-a")
    with chdb_hub(chdb_dir, "restart") as hub, grpc.insecure_channel(hub.grpc_target) as ch:
        ingest = fleet_pb2_grpc.TraceIngestStub(ch)
        push = a.push([a.flagged(f"r{i}", 2000.0 + i, n=3) for i in range(5)], labels=True)
        assert ingest.Push(push).acked_seq == 1
    with chdb_hub(chdb_dir, "restart") as hub, grpc.insecure_channel(hub.grpc_target) as ch:
        query = query_pb2_grpc.TraceQueryStub(ch)
        found = query.QueryTraces(query_pb2.QueryTracesRequest(page_size=3))
        assert [t.request_id for t in found.traces] == ["r4", "r3", "r2"]
        rest = query.QueryTraces(
            query_pb2.QueryTracesRequest(page_size=3, page_token=found.next_page_token)
        )
        assert [t.request_id for t in rest.traces] == ["r1", "r0"]
        assert rest.next_page_token == ""
        trace = query.GetTrace(query_pb2.GetTraceRequest(request_id="r2"))
        assert trace.tokens[0].concepts[0].label == LABELS.labels[0]  # labels from the store


def test_alerts_another_replica_stored_stream_on_watch(chdb_dir: Path) -> None:
    """A hub with alert polling streams alerts written to its store by another replica
    (here: straight into the repository, as a second hub's pushes would be), each once."""
    config = HubConfig(
        server={"address": "127.0.0.1:0", "metrics_address": "127.0.0.1:0"},
        storage={"backend": "chdb", "path": str(chdb_dir), "database": "polled"},
        alert_poll_s=0.2,
    )
    other = Sidecar("pod-elsewhere")
    with Hub(config) as hub, grpc.insecure_channel(hub.grpc_target) as ch:
        assert hub.poller is not None
        stream = query_pb2_grpc.TraceQueryStub(ch).WatchAlerts(query_pb2.WatchAlertsRequest())
        grpc.channel_ready_future(ch).result(timeout=10)
        time.sleep(0.5)  # the subscription is in place
        hub.repository.put_labels(LABELS)
        hub.repository.apply([other.flagged("r9", time.time(), n=3)])
        alert = next(iter(stream))
        assert (alert.source, alert.request_id) == ("pod-elsewhere", "r9")
        assert alert.top_concepts and all(c.label for c in alert.top_concepts)
        assert hub.poller.poll_once() == 0  # streamed once, however often it is read
        stream.cancel()
    chdb = HubConfig(storage={"backend": "chdb", "path": str(chdb_dir)})
    assert chdb.alert_poll_interval() == 0.0  # one replica: nothing to poll
    server = HubConfig(storage={"backend": "clickhouse", "url": "http://ch:8123"})
    assert server.alert_poll_interval() == 1.0
