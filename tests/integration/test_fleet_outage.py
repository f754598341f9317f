"""The hub unavailable during load: a real ``llm-monitor serve`` in hub mode keeps scoring
every batch at the same pace while its outbox grows, then drains it to 0 once the hub is
back, and the hub ends with exactly the traces sent.

The outage lasts ``LLM_MONITOR_TEST_OUTAGE_S`` seconds: 60 by default and in CI, shorter
when set for a quick local run.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import grpc

from tests.integration.fleet_sidecar import TOKENS_PER_REQUEST, FleetSidecar, hub_traces, probe_dir
from tests.integration.hub_process import HubProcess
from tests.integration.stack import wait_until

OUTAGE_S = float(os.environ.get("LLM_MONITOR_TEST_OUTAGE_S", "60"))
BATCH_REQUESTS = 5
SEND_INTERVAL_S = 0.2


class Load:
    """Sends a batch of fresh requests every ``SEND_INTERVAL_S`` on a thread, timing each
    Ingest call; any failed call is kept."""

    def __init__(self, sidecar: FleetSidecar) -> None:
        self.sidecar = sidecar
        self.durations: list[tuple[float, float]] = []  # (sent at, seconds)
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.sidecar.send([f"o-{n}-{i}" for i in range(BATCH_REQUESTS)])
            except grpc.RpcError as exc:
                self.failures.append(repr(exc))
            self.durations.append((started, time.monotonic() - started))
            n += 1
            self._stop.wait(SEND_INTERVAL_S)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)

    def slowest(self, since: float, until: float) -> float:
        return max((d for at, d in self.durations if since <= at < until), default=0.0)


def test_a_hub_outage_leaves_ingest_alone_and_the_outbox_drains(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "hub")
    hub.start()
    sidecar = FleetSidecar(tmp_path / "s", "pod-o", probe_dir(tmp_path / "probes"), hub.address)
    sidecar.start()
    load: Load | None = None
    try:
        load = Load(sidecar)
        time.sleep(3.0)
        assert sidecar.spool_rows() <= 2  # shipping keeps up
        before = time.monotonic()
        hub.stop()
        down = time.monotonic()
        growth: list[float] = []
        while time.monotonic() - down < OUTAGE_S:
            time.sleep(min(2.0, OUTAGE_S / 4))
            growth.append(sidecar.spool_rows())
        # the pipeline kept up: everything sent so far is scored and spooled
        sent = len(sidecar.sent)
        assert wait_until(lambda: sidecar.spooled() >= sent, 10), sidecar.log()[-3000:]
        up = time.monotonic()
        assert growth == sorted(growth) and growth[-1] > growth[0] > 0, growth
        assert sidecar.sample("llm_monitor_trace_ship_retries_total") > 0
        hub.start()
        time.sleep(2.0)
        load.stop()
        assert wait_until(lambda: sidecar.spool_rows() == 0, 120), sidecar.log()[-3000:]
        assert load.failures == []
        # ingest unaffected: no call during the outage took much longer than before it
        assert load.slowest(down, up) < max(1.0, 5 * load.slowest(before - 3.0, before))
        sent = len(sidecar.sent)
        scored = sidecar.sample("llm_monitor_tokens_scored_total")
        assert scored == sent * TOKENS_PER_REQUEST
        assert sidecar.sample("llm_monitor_activations_dropped_total") == 0
        assert sidecar.spooled() == sent
        assert sidecar.dropped("spool_full") + sidecar.dropped("queue_full") == 0
        assert sidecar.sample("llm_monitor_trace_updates_shipped_total") == sent
    finally:
        if load is not None:
            load.stop()
        sidecar.stop()
        hub.stop()
    hub.start()
    try:
        with hub.channel() as channel:
            listed = hub_traces(channel, page_size=500)
    finally:
        hub.stop()
    assert sorted(t.request_id for t in listed) == sorted(sidecar.sent)
