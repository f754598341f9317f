"""The WatchAlerts fan-out: filters, bounded queues, and real gRPC subscribers."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import grpc
import pytest
from prometheus_client import CollectorRegistry

from monitor.sidecar.alerts.hub import (
    DEFAULT_MAX_CONSECUTIVE_DROPS,
    AlertFilter,
    AlertHub,
    SubscriberLimit,
    WatchLimits,
    peer_host,
)
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
            # the stalled one held its queue plus what its transport buffers, then lost
            # max_consecutive_drops alerts in a row and was ended
            assert api.metric("llm_monitor_alerts_dropped_total") == DEFAULT_MAX_CONSECUTIVE_DROPS
            ended = {"model_name": "", "reason": "slow"}  # the rig's hub has no model name
            assert (
                api.registry.get_sample_value("llm_monitor_watch_streams_ended_total", ended) == 1
            )
            assert wait_for(lambda: api.hub.subscriber_count == 1)
            with pytest.raises(grpc.RpcError) as info:
                list(stalled)  # what its transport buffered, then the verdict
            assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "read too slowly" in (info.value.details() or "")
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


# ---- admission and eviction -----------------------------------------------------------


def _sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, {"model_name": MODEL, **labels})
    return 0.0 if value is None else value


def test_peer_host_strips_the_port() -> None:
    assert peer_host("ipv4:10.0.0.1:5555") == "ipv4:10.0.0.1"
    assert peer_host("ipv6:[::1]:5555") == "ipv6:[::1]"
    assert peer_host("unix:/run/x.sock") == peer_host("unix:") == "unix"


def test_limits_refuse_and_count_and_free_on_unsubscribe() -> None:
    registry = CollectorRegistry()
    limits = WatchLimits(max_subscribers=3, max_per_peer=2)
    hub = AlertHub(SidecarMetrics(registry), limits=limits, model_name=MODEL)

    async def scenario() -> None:
        a1 = hub.subscribe(AlertFilter(), "ipv4:10.0.0.1:1")
        hub.subscribe(AlertFilter(), "ipv4:10.0.0.1:2")
        with pytest.raises(SubscriberLimit, match="max_subscribers_per_peer") as info:
            hub.subscribe(AlertFilter(), "ipv4:10.0.0.1:3")
        assert info.value.reason == "per_peer"
        hub.subscribe(AlertFilter(), "ipv4:10.0.0.2:1")
        with pytest.raises(SubscriberLimit, match=r"watch\.max_subscribers\)") as info:
            hub.subscribe(AlertFilter(), "ipv4:10.0.0.3:1")
        assert info.value.reason == "max_subscribers"
        assert _sample(registry, "llm_monitor_watch_subscribers") == 3
        a1.close()
        hub.subscribe(AlertFilter(), "ipv4:10.0.0.1:4")  # the slot is free again
        hub.close()

    asyncio.run(scenario())
    assert _sample(registry, "llm_monitor_watch_refused_total", reason="per_peer") == 1
    assert _sample(registry, "llm_monitor_watch_refused_total", reason="max_subscribers") == 1
    assert _sample(registry, "llm_monitor_watch_streams_ended_total", reason="shutdown") == 3
    assert _sample(registry, "llm_monitor_watch_subscribers") == 0


def test_a_subscriber_that_keeps_losing_alerts_is_ended() -> None:
    registry = CollectorRegistry()
    limits = WatchLimits(queue_size=2, max_consecutive_drops=3)
    hub = AlertHub(SidecarMetrics(registry), limits=limits, model_name=MODEL)

    async def scenario() -> tuple[list[str], str]:
        sub = hub.subscribe(AlertFilter())
        hub.publish(alert(0))
        hub.publish(alert(1))
        got = [(await sub.next_alert()).alert_id]  # type: ignore[union-attr]
        hub.publish(alert(2))  # fits again: the drop streak starts from here
        for n in range(3, 6):
            hub.publish(alert(n))  # three drops in a row: ended
        assert hub.subscriber_count == 0
        assert await sub.next_alert() is None  # ended: queued alerts are discarded
        return got, sub.ended_reason

    got, reason = asyncio.run(scenario())
    assert got == ["a0"] and reason == "slow"
    assert _sample(registry, "llm_monitor_watch_streams_ended_total", reason="slow") == 1
    assert _dropped(registry) == 3


def test_one_wakeup_per_alert_and_loop() -> None:
    limits = WatchLimits(max_subscribers=100, max_per_peer=100)
    hub = AlertHub(SidecarMetrics(CollectorRegistry()), limits=limits)
    wakeups: list[int] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        subs = [hub.subscribe(AlertFilter()) for _ in range(50)]
        original = loop.call_soon_threadsafe

        def counting(callback, *args):  # type: ignore[no-untyped-def]
            wakeups.append(1)
            return original(callback, *args)

        loop.call_soon_threadsafe = counting  # type: ignore[method-assign]
        hub.publish(alert(1))
        loop.call_soon_threadsafe = original  # type: ignore[method-assign]
        for sub in subs:
            assert (await asyncio.wait_for(sub.next_alert(), 5)).alert_id == "a1"  # type: ignore[union-attr]
        hub.close()

    asyncio.run(scenario())
    assert len(wakeups) == 1
