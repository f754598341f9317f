"""The shipper against an in-process TraceIngest servicer: order, acknowledgements,
retries, labels, malformed rows, resuming after a restart, draining at shutdown."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from prometheus_client import CollectorRegistry

from monitor.sidecar.hub_config import HubConfig
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.traces.factory import build_trace_store
from monitor.sidecar.traces.hub_writer import HubTraceWriter, OutboxRepository
from monitor.sidecar.traces.labels import concept_labels
from monitor.sidecar.traces.outbox import Outbox
from monitor.sidecar.traces.shipper import GrpcPusher, Shipper, ShipperMetrics

from ..certs import make_pki
from .fake_hub import MODEL, FakeHub, flagged, later
from .test_hub_writer import hub_storage

LABELS = concept_labels(["alpha", "beta", "gamma"])
TOKEN = "push-token-0123456789"


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    fake = FakeHub().start()
    yield fake
    fake.stop()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


class Counts:
    def __init__(self) -> None:
        self.pushes = self.shipped = self.rejected = 0
        self.retries: list[str] = []

    def metrics(self) -> ShipperMetrics:
        def pushes() -> None:
            self.pushes += 1

        def shipped(n: int) -> None:
            self.shipped += n

        def rejected(n: int) -> None:
            self.rejected += n

        return ShipperMetrics(pushes, shipped, rejected, self.retries.append)


def spool(outbox: Outbox, *request_ids: str, encoder: str = LABELS.encoder) -> None:
    """One outbox row per request id (each a flagging update)."""
    repository = OutboxRepository(
        outbox,
        source="pod-a",
        encoder=encoder,
        max_bytes=2**30,
        max_batch_tokens=1,
        max_row_bytes=2**20,
    )
    repository.apply([flagged(request_id) for request_id in request_ids])


def shipper(outbox: Outbox, address: str, counts: Counts, **settings: Any) -> Shipper:
    config = HubConfig(
        address=address,
        spool_path=outbox.path,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
        **{k: v for k, v in settings.items() if k in HubConfig.model_fields},
    )
    return Shipper(
        outbox,
        GrpcPusher(config),
        max_batch_tokens=settings.get("max_batch_tokens", 20000),
        max_push_bytes=settings.get("max_push_bytes", 2**20),
        flush_interval_s=settings.get("flush_interval_s", 0.05),
        push_timeout_s=settings.get("push_timeout_s", 5.0),
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
        metrics=counts.metrics(),
        rng=random.Random(7),
    )


def test_rows_ship_in_order_and_leave_once_acknowledged(tmp_path: Path, hub: FakeHub) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    outbox.put_labels(LABELS)
    spool(outbox, "a", "b", "c")
    counts = Counts()
    ship = shipper(outbox, hub.address, counts)
    ship.start()
    try:
        assert wait_for(lambda: outbox.rows == 0)
        spool(outbox, "d")
        assert wait_for(lambda: outbox.rows == 0)
    finally:
        assert ship.drain(2.0)
    assert hub.stored_ids() == ["a", "b", "c", "d"]
    pushes = hub.received.pushes
    assert [p.source for p in pushes] == ["pod-a"] * len(pushes)
    assert [p.seq for p in pushes] == sorted({p.seq for p in pushes})
    assert pushes[-1].seq == 4
    assert [bool(p.labels.encoder) for p in pushes] == [True] + [False] * (len(pushes) - 1)
    assert hub.received.labels == {LABELS.encoder: LABELS.labels}
    assert counts.shipped == 4 and counts.pushes == len(pushes) and counts.retries == []
    outbox.close()


def test_need_labels_sends_them_again(tmp_path: Path, hub: FakeHub) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    outbox.put_labels(LABELS)
    spool(outbox, "a")
    ship = shipper(outbox, hub.address, Counts())
    ship.start()
    try:
        assert wait_for(lambda: outbox.rows == 0)
        hub.received.labels.clear()  # the hub lost them: it answers need_labels
        spool(outbox, "b")
        assert wait_for(lambda: outbox.rows == 0)
        spool(outbox, "c")
        assert wait_for(lambda: outbox.rows == 0)
    finally:
        ship.drain(2.0)
    with_labels = [p.updates[0].request_id for p in hub.received.pushes if p.labels.encoder]
    assert with_labels == ["a", "c"]  # first after start, then after need_labels
    assert hub.received.labels == {LABELS.encoder: LABELS.labels}
    outbox.close()


@pytest.mark.parametrize(
    "code",
    [
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNAUTHENTICATED,
    ],
)
def test_failed_pushes_back_off_and_retry_without_losing_rows(
    tmp_path: Path, hub: FakeHub, code: grpc.StatusCode
) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    spool(outbox, "a", "b", encoder="")
    hub.fail.extend([code] * 3)
    counts = Counts()
    ship = shipper(outbox, hub.address, counts)
    ship.start()
    try:
        assert wait_for(lambda: outbox.rows == 0)
    finally:
        ship.drain(2.0)
    assert counts.retries == [code.name.lower()] * 3
    assert hub.stored_ids() == ["a", "b"]
    assert hub.calls == 4
    outbox.close()


def test_a_malformed_row_is_dropped_and_counted_the_others_ship(
    tmp_path: Path, hub: FakeHub
) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    spool(outbox, "a", "bad", "c", "d", encoder="")
    hub.reject.add("bad")
    counts = Counts()
    ship = shipper(outbox, hub.address, counts)
    ship.start()
    try:
        assert wait_for(lambda: outbox.rows == 0)
    finally:
        ship.drain(2.0)
    assert sorted(hub.stored_ids()) == ["a", "c", "d"]
    assert hub.stored_ids()[0] == "a"
    assert counts.rejected == 1 and counts.shipped == 3 and counts.retries == []
    outbox.close()


def test_rows_are_kept_until_the_acknowledgement_covers_them(tmp_path: Path, hub: FakeHub) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    spool(outbox, "a", "b", encoder="")
    hub.ack_lag = 1  # acknowledges all but the push's last row
    counts = Counts()
    ship = shipper(outbox, hub.address, counts, max_batch_tokens=16)
    ship.start()
    try:
        assert wait_for(lambda: outbox.rows == 1)
        time.sleep(0.2)
        assert outbox.rows == 1  # b is sent again and again, never acknowledged
        hub.ack_lag = 0
        assert wait_for(lambda: outbox.rows == 0)
    finally:
        ship.drain(2.0)
    assert "not_acknowledged" in counts.retries
    assert set(hub.stored_ids()) == {"a", "b"}
    outbox.close()


def test_a_restart_resumes_shipping_the_outbox(
    tmp_path: Path, registry: CollectorRegistry, hub: FakeHub
) -> None:
    hub.stop()  # down while the first process writes
    storage = hub_storage(tmp_path, hub.address, flush_interval_s=0.05, drain_timeout_s=0.3)
    first = build_trace_store(storage, SidecarMetrics(registry), MODEL, source="pod-a")
    assert isinstance(first, HubTraceWriter)
    first.start()
    for i in range(5):
        assert first.submit(flagged(f"r{i}"))
    assert first.submit(later("r0", 8))
    assert first.flush(10.0)
    assert not first.close(5.0)  # not drained: the hub is down
    left = Outbox(tmp_path / "outbox.sqlite")
    assert left.rows > 0
    left.close()

    hub.start()  # same port
    registry = CollectorRegistry()
    second = build_trace_store(storage, SidecarMetrics(registry), MODEL, source="pod-a")
    assert isinstance(second, HubTraceWriter)
    second.start()
    try:
        assert wait_for(lambda: second.outbox.rows == 0)
        shipped = registry.get_sample_value(
            "llm_monitor_trace_updates_shipped_total", {"model_name": MODEL}
        )
        assert shipped == 6
        assert (
            registry.get_sample_value("llm_monitor_trace_spool_bytes", {"model_name": MODEL}) == 0
        )
    finally:
        assert second.close(5.0)
    assert hub.stored_ids() == ["r0", "r1", "r2", "r3", "r4", "r0"]
    assert [v for _, _, _, v in hub.received.updates] == [1, 1, 1, 1, 1, 2]


def test_close_drains_to_a_reachable_hub_and_gives_up_on_time(
    tmp_path: Path, registry: CollectorRegistry, hub: FakeHub
) -> None:
    storage = hub_storage(tmp_path, hub.address, flush_interval_s=5.0, drain_timeout_s=5.0)
    store = build_trace_store(storage, SidecarMetrics(registry), MODEL, source="pod-a")
    assert isinstance(store, HubTraceWriter)
    store.start()
    for i in range(20):
        assert store.submit(flagged(f"r{i}"))
    started = time.monotonic()
    assert store.close(5.0)  # no waiting for flush_interval_s while draining
    assert time.monotonic() - started < 4.0
    assert sorted(hub.stored_ids()) == sorted(f"r{i}" for i in range(20))

    hub.stop()
    storage = hub_storage(tmp_path, hub.address, drain_timeout_s=1.0, push_timeout_s=30.0)
    store = build_trace_store(storage, SidecarMetrics(CollectorRegistry()), MODEL, source="x")
    assert isinstance(store, HubTraceWriter)
    store.start()
    assert store.submit(flagged("late"))
    started = time.monotonic()
    assert not store.close(5.0)
    assert time.monotonic() - started < 3.0  # drain_timeout_s bounds it
    kept = Outbox(tmp_path / "outbox.sqlite")
    assert kept.rows == 1
    kept.close()


def test_the_token_and_tls_reach_the_hub(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    hub = FakeHub(token=TOKEN)
    hub.credentials = grpc.ssl_server_credentials(
        [(pki.server_key.read_bytes(), pki.server_cert.read_bytes())]
    )
    hub.start()
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    outbox = Outbox(tmp_path / "o.sqlite")
    spool(outbox, "a", encoder="")
    counts = Counts()
    ship = shipper(outbox, f"localhost:{hub.port}", counts, tls_ca=pki.ca, token_file=token_file)
    ship.start()
    try:
        assert wait_for(lambda: outbox.rows == 0), counts.retries
    finally:
        ship.drain(2.0)
        hub.stop()
    assert hub.stored_ids() == ["a"]
    assert hub.metadata[0]["authorization"] == f"Bearer {TOKEN}"
    outbox.close()
