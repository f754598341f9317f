"""Sidecars in hub mode (real ``llm-monitor serve`` processes) and a real ``llm-monitor hub``
on chDB: the hub lists exactly the union of their traces in the documented order, an
outbox survives kill -9, a full outbox drops with exact counts, and SIGTERM drains.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.sidecar.traces.outbox import Outbox
from monitor.v1 import query_pb2, query_pb2_grpc
from tests.integration.fleet_sidecar import (
    TOKENS_PER_REQUEST,
    AlertWatch,
    FleetSidecar,
    hub_traces,
    probe_dir,
)
from tests.integration.hub_process import HubProcess
from tests.integration.stack import wait_until
from tests.unit.sidecar.helpers import MODEL


@pytest.fixture
def probes(tmp_path: Path) -> Path:
    return probe_dir(tmp_path / "probes")


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProcess]:
    """A hub on chDB, not started (the tests start it when they want it up)."""
    process = HubProcess(tmp_path / "hub")
    try:
        yield process
    finally:
        process.stop()


def stop_all(*running: FleetSidecar) -> None:
    for sidecar in running:
        sidecar.stop()


def test_the_hub_lists_exactly_the_union_of_three_sidecars_newest_first(
    tmp_path: Path, probes: Path, hub: HubProcess
) -> None:
    hub.start()
    fleet = [FleetSidecar(tmp_path / name, name, probes, hub.address) for name in "abc"]
    watches: list[AlertWatch] = []
    try:
        for sidecar in fleet:
            sidecar.start()
            watches.append(AlertWatch(sidecar.address))
        time.sleep(0.5)  # the subscriptions are in place
        for round_ in range(3):  # the same request ids on every sidecar
            for sidecar in fleet:
                sidecar.send([f"req-{round_}-{i}" for i in range(10)])
        for sidecar in fleet:
            assert wait_until(lambda s=sidecar: s.spool_rows() == 0 and s.spooled() == 30, 60), (
                sidecar.log()[-3000:]
            )
        assert all(wait_until(lambda w=w: len(w.alerts) == 30, 30) for w in watches)
    finally:
        for watch in watches:
            watch.close()
        stop_all(*fleet)
    # the order the hub documents: first alert newest first, ties by (model, request,
    # source) descending; first alerts as each sidecar streamed them
    first_alert: dict[tuple[str, str], int] = {}
    alert_ids: dict[tuple[str, str], set[str]] = {}
    for sidecar, watch in zip(fleet, watches, strict=True):
        for alert in watch.alerts:
            assert alert.source == sidecar.name
            key = (alert.source, alert.request_id)
            fired = alert.fired_at.ToMicroseconds()
            first_alert[key] = min(first_alert.get(key, fired), fired)
            alert_ids.setdefault(key, set()).add(alert.alert_id)
    expected = sorted(
        first_alert,
        key=lambda k: (first_alert[k], MODEL, k[1], k[0]),
        reverse=True,
    )
    assert len(expected) == 90
    with hub.channel() as channel:
        listed = hub_traces(channel, page_size=25)
        assert [(t.source, t.request_id) for t in listed] == expected
        assert all(t.token_count == TOKENS_PER_REQUEST for t in listed)
        assert all(
            {a.alert_id for a in t.alerts} == alert_ids[(t.source, t.request_id)] for t in listed
        )
        only_b = hub_traces(channel, source="b")
        assert [(t.source, t.request_id) for t in only_b] == [k for k in expected if k[0] == "b"]
        trace = query_pb2_grpc.TraceQueryStub(channel).GetTrace(
            query_pb2.GetTraceRequest(request_id="req-1-3", source="c"), timeout=30
        )
        assert (trace.summary.source, trace.total_tokens) == ("c", TOKENS_PER_REQUEST)


def test_an_outbox_left_by_kill_9_drains_after_restart(
    tmp_path: Path, probes: Path, hub: HubProcess
) -> None:
    sidecar = FleetSidecar(tmp_path / "s", "pod-k", probes, hub.address)  # the hub is down
    sidecar.start()
    try:
        for round_ in range(4):
            sidecar.send([f"k-{round_}-{i}" for i in range(5)])
        # the acknowledged set: 20 updates committed to the outbox
        assert wait_until(lambda: sidecar.spooled() == 20, 30), sidecar.log()[-3000:]
        assert sidecar.spool_rows() > 0
        sidecar.kill()
        assert sidecar.process is not None and sidecar.process.returncode == -9
        outbox = Outbox(sidecar.spool_path)
        assert outbox.rows > 0
        outbox.close()
        hub.start()
        sidecar.start()
        assert wait_until(lambda: sidecar.spool_rows() == 0, 60), sidecar.log()[-3000:]
        assert sidecar.sample("llm_monitor_trace_updates_shipped_total") >= 1
    finally:
        sidecar.stop()
    with hub.channel() as channel:
        listed = hub_traces(channel)
    assert sorted(t.request_id for t in listed) == sorted(sidecar.sent)
    assert {t.source for t in listed} == {"pod-k"}


def test_a_full_outbox_drops_new_updates_with_exact_counts(
    tmp_path: Path, probes: Path, hub: HubProcess
) -> None:
    sidecar = FleetSidecar(tmp_path / "s", "pod-f", probes, hub.address, hub={"spool_max_mb": 0.03})
    sidecar.start()  # the hub is down: the outbox fills
    try:
        for round_ in range(20):
            sidecar.send([f"f-{round_}-{i}" for i in range(10)])
        submitted = len(sidecar.sent)
        assert wait_until(lambda: sidecar.spooled() + sidecar.dropped() == submitted, 30), (
            sidecar.log()[-3000:]
        )
        time.sleep(0.5)
        spooled, dropped = sidecar.spooled(), sidecar.dropped()
        assert spooled + dropped == submitted  # and stays so
        assert spooled > 0 and dropped > 0
        assert sidecar.sample("llm_monitor_traces_lost_total", reason="spool_full") == dropped
        assert sidecar.sample("llm_monitor_trace_spool_bytes") <= 0.03 * 2**20
        hub.start()
        assert wait_until(lambda: sidecar.spool_rows() == 0, 60), sidecar.log()[-3000:]
    finally:
        sidecar.stop()
    with hub.channel() as channel:
        listed = hub_traces(channel)
    assert len(listed) == spooled  # submitted = stored + dropped{spool_full}, exactly
    assert len(listed) + dropped == submitted
    assert all(t.token_count == TOKENS_PER_REQUEST and t.alerts for t in listed)


def test_sigterm_drains_the_outbox_within_drain_timeout(
    tmp_path: Path, probes: Path, hub: HubProcess
) -> None:
    hub.start()
    drain_timeout_s = 15.0
    sidecar = FleetSidecar(
        tmp_path / "s",
        "pod-t",
        probes,
        hub.address,
        hub={"flush_interval_s": 60.0, "drain_timeout_s": drain_timeout_s},
    )
    sidecar.start()
    try:
        for round_ in range(5):
            sidecar.send([f"t-{round_}-{i}" for i in range(8)])
        assert wait_until(lambda: sidecar.spooled() == 40, 30), sidecar.log()[-3000:]
        assert sidecar.spool_rows() > 0  # waiting for flush_interval_s
    finally:
        started = time.monotonic()
        status = sidecar.stop(timeout=drain_timeout_s + 30)
        took = time.monotonic() - started
    assert status == 0, sidecar.log()[-3000:]
    assert took < drain_timeout_s + 10  # the ingest drain and the process exit besides
    outbox = Outbox(sidecar.spool_path)
    assert outbox.rows == 0
    outbox.close()
    with hub.channel() as channel:
        listed = hub_traces(channel)
    assert sorted(t.request_id for t in listed) == sorted(sidecar.sent)
