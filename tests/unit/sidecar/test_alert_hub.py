"""The WatchAlerts fan-out: filters, bounded queues, and real gRPC subscribers."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import grpc
import pytest
from prometheus_client import CollectorRegistry

from monitor.sidecar.alerts.hub import AlertFilter, AlertHub
from monitor.sidecar.metrics import SidecarMetrics
from monitor.v1 import query_pb2, query_pb2_grpc

from .query_rig import MODEL, api_server


def alert(
    n: int, *, concept: str = "deception", severity: str = "warning", model: str = MODEL
) -> query_pb2.Alert:
    return query_pb2.Alert(
        alert_id=f"a{n}",
        request_id=f"r{n}",
        model_name=model,
        concept=concept,
        rule=f"{concept}-rule",
        severity=severity,
        score=0.9,
        threshold=0.5,
        # ~1 KiB per alert so that a subscriber that never reads fills its transport soon
        top_concepts=[
            query_pb2.ConceptActivation(id=i, value=1.0, label="x" * 60) for i in range(16)
        ],
    )


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.001)
    return predicate()


@pytest.mark.parametrize(
    ("wanted", "passes"),
    [
        (AlertFilter(), [True, True, True, True]),
        (AlertFilter(concept="misuse"), [False, True, False, False]),
        (AlertFilter(model_name="other"), [False, False, True, False]),
        (AlertFilter(min_severity="warning"), [True, False, True, False]),
        (AlertFilter(min_severity="critical"), [False, False, True, False]),
    ],
)
def test_filter(wanted: AlertFilter, passes: list[bool]) -> None:
    alerts = [
        alert(1),
        alert(2, concept="misuse", severity="info"),
        alert(3, model="other", severity="critical"),
        alert(4, severity="bogus"),
    ]
    assert [wanted.matches(a) for a in alerts] == passes


def _dropped(registry: CollectorRegistry, model: str = MODEL) -> float:
    value = registry.get_sample_value("llm_monitor_alerts_dropped_total", {"model_name": model})
    return 0.0 if value is None else value


def test_full_queue_drops_and_counts_without_blocking() -> None:
    registry = CollectorRegistry()
    hub = AlertHub(SidecarMetrics(registry), queue_size=3)

    async def scenario() -> tuple[list[str], list[str]]:
        slow = hub.subscribe(AlertFilter())
        misuse_only = hub.subscribe(AlertFilter(concept="misuse"))
        started = time.monotonic()
        for n in range(5):
            hub.publish(alert(n))  # from the loop's thread here; never blocks
        hub.publish(alert(9, concept="misuse"))
        assert time.monotonic() - started < 0.5
        hub.close()
        got_slow, got_misuse = [], []
        while (a := await slow.next_alert()) is not None:
            got_slow.append(a.alert_id)
        while (a := await misuse_only.next_alert()) is not None:
            got_misuse.append(a.alert_id)
        return got_slow, got_misuse

    got_slow, got_misuse = asyncio.run(scenario())
    assert got_slow == ["a0", "a1", "a2"]  # the rest did not fit
    assert got_misuse == ["a9"]
    assert _dropped(registry) == 3  # a3, a4 and a9 for the slow subscriber
    assert hub.published == 6


def test_publish_from_another_thread_wakes_the_subscriber() -> None:
    hub = AlertHub(SidecarMetrics(CollectorRegistry()))

    async def scenario() -> list[str]:
        sub = hub.subscribe(AlertFilter())
        publisher = threading.Thread(target=lambda: [hub.publish(alert(n)) for n in range(3)])
        publisher.start()
        got = [(await asyncio.wait_for(sub.next_alert(), 5)) for _ in range(3)]
        publisher.join()
        sub.close()
        assert await sub.next_alert() is None
        return [a.alert_id for a in got if a is not None]

    assert asyncio.run(scenario()) == ["a0", "a1", "a2"]
    assert hub.subscriber_count == 0


def test_subscribing_after_close_ends_at_once() -> None:
    hub = AlertHub(SidecarMetrics(CollectorRegistry()))
    hub.close()

    async def scenario() -> query_pb2.Alert | None:
        return await asyncio.wait_for(hub.subscribe(AlertFilter()).next_alert(), 5)

    assert asyncio.run(scenario()) is None
    hub.publish(alert(1))  # no subscribers: nothing happens, nothing raises


def test_queue_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="queue_size must be positive"):
        AlertHub(SidecarMetrics(CollectorRegistry()), queue_size=0)


# ---- real gRPC ----------------------------------------------------------------------


def test_slow_subscriber_loses_alerts_and_never_slows_the_other() -> None:
    total = 3000
    with api_server(None, queue_size=16) as api:
        # Tiny flow-control windows on the stalled client so its backlog reaches the hub.
        stalled_options = [("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", 1024)]
        with (
            grpc.insecure_channel(api.target, options=stalled_options) as stalled_channel,
            grpc.insecure_channel(api.target) as reader_channel,
        ):
            stalled = query_pb2_grpc.TraceQueryStub(stalled_channel).WatchAlerts(
                query_pb2.WatchAlertsRequest()
            )  # never read
            stream = query_pb2_grpc.TraceQueryStub(reader_channel).WatchAlerts(
                query_pb2.WatchAlertsRequest()
            )
            received: list[str] = []

            def read() -> None:
                for a in stream:
                    received.append(a.alert_id)

            reader = threading.Thread(target=read)
            reader.start()
            assert wait_for(lambda: api.hub.subscriber_count == 2)
            for chunk in range(0, total, 8):
                for n in range(chunk, chunk + 8):
                    api.hub.publish(alert(n))
                # pace the publisher by the reading subscriber only (8 < its queue of 16)
                assert wait_for(lambda c=chunk: len(received) >= c + 8), len(received)
            assert received == [f"a{n}" for n in range(total)]
            # the stalled one holds at most its queue plus what its transport buffers
            assert api.metric("llm_monitor_alerts_dropped_total") >= total // 2
            stalled.cancel()
            assert wait_for(lambda: api.hub.subscriber_count == 1)
            api.hub.close()  # server shutdown ends the streams
            reader.join(5)
            assert not reader.is_alive()


def test_watch_filters_and_rejects_bad_severity() -> None:
    with api_server(None) as api, grpc.insecure_channel(api.target) as channel:
        stub = query_pb2_grpc.TraceQueryStub(channel)
        with pytest.raises(grpc.RpcError) as info:
            next(iter(stub.WatchAlerts(query_pb2.WatchAlertsRequest(min_severity="x"))))
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        stream = stub.WatchAlerts(
            query_pb2.WatchAlertsRequest(concept="misuse", min_severity="critical")
        )
        assert wait_for(lambda: api.hub.subscriber_count == 1)
        api.hub.publish(alert(1, concept="misuse", severity="warning"))
        api.hub.publish(alert(2, concept="deception", severity="critical"))
        api.hub.publish(alert(3, concept="misuse", severity="critical"))
        api.hub.close()
        assert [a.alert_id for a in stream] == ["a3"]
