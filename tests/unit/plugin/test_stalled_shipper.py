"""The whole plugin path against an in-process sidecar, with the shipper stalled."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from monitor.plugin import shipper as shipper_mod
from monitor.plugin.ring import REASON_HOST_POOL_FULL
from monitor.plugin.settings import PluginSettings
from monitor.plugin.worker import WorkerMonitor
from monitor.plugin.worker_patch import wrap_step

from .rigs import SidecarFactory, wait_for
from .tiny import FakeWorker, make_model, reference_residual, scheduler_output

MAX_TOKENS = 32
LAYERS = [1, 3]


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """While the gate is closed the shipper hangs in its first encode (a stuck sidecar)."""
    opened = threading.Event()
    encode = shipper_mod.encode

    def stalled_encode(*args: Any, **kwargs: Any) -> Any:
        opened.wait(30)
        return encode(*args, **kwargs)

    monkeypatch.setattr(shipper_mod, "encode", stalled_encode)
    yield opened
    opened.set()


def test_a_stalled_shipper_costs_dropped_rows_not_memory_or_time(
    sidecar_factory: SidecarFactory, gate: threading.Event
) -> None:
    sidecar = sidecar_factory()
    worker = FakeWorker(make_model(), max_num_tokens=MAX_TOKENS)
    settings = PluginSettings(
        enabled=True,
        sidecar_address=sidecar.target,
        layers=LAYERS,
        host_pool_bytes=1 << 20,
        reconnect_initial_s=0.05,
        shipper_mode="thread",  # the stall is patched into this process
        ship_gather_ms=0,  # one step at a time: what waits in the ring is known
    )
    mon = WorkerMonitor(settings)
    try:
        mon.attach(worker)
        mon.self_test(worker)
        assert mon.shipper is not None and mon.shipper.connected.wait(10)
        assert mon.pool is not None and mon.capture is not None
        # leave room for 4 full steps: one stuck in the shipper, three in the ring
        hog = mon.pool.acquire(mon.pool.capacity - 4 * mon.capture.staged_bytes(MAX_TOKENS))
        assert hog is not None
        slowest = 0.0
        steps = 30
        for i in range(steps):
            req = f"r{i}"
            worker.model_runner.input_batch.req_ids = [req]
            out = scheduler_output(
                {req: MAX_TOKENS}, new=[(req, 0)], finished=[f"r{i - 1}"] if i else []
            )
            t0 = time.perf_counter()
            wrap_step(mon, worker, worker.execute_model)(out)
            slowest = max(slowest, time.perf_counter() - t0)
            assert mon.pool.used_bytes <= mon.pool.capacity
        assert slowest < 2.0  # no step waits for the stuck shipper (generous for CI)
        assert len(mon.ring) == 3
        dropped = mon.drops.snapshot()
        assert dropped == {REASON_HOST_POOL_FULL: (steps - 4) * MAX_TOKENS * len(LAYERS)}
        assert sidecar.activations.rows() == 0

        gate.set()
        hog.release()
        worker.model_runner.input_batch.req_ids = ["last"]
        wrap_step(mon, worker, worker.execute_model)(
            scheduler_output({"last": 1}, new=[("last", 0)], finished=[f"r{steps - 1}"])
        )
        delivered_steps = [*range(4), steps]  # the four that fit, then "last"
        want_rows = (4 * MAX_TOKENS + 1) * len(LAYERS)
        assert wait_for(lambda: sidecar.activations.rows() == want_rows)
        received = sidecar.activations.snapshot()
        # identical activations, layer by layer, for every step that was kept
        model = worker.model_runner.model
        by_request = {(b.request_ids[0], b.layer): b for b in received}
        for index in delivered_steps:
            _, ids, positions = worker.inputs[index]
            req = "last" if index == steps else f"r{index}"
            for layer in LAYERS:
                got = by_request[(req, layer)]
                want = reference_residual(model, ids, positions, layer).numpy()
                np.testing.assert_array_equal(got.activations, want)
                assert got.positions.tolist() == positions.tolist()
                assert got.token_ids.tolist() == ids.tolist()
        # every finish arrived, those of dropped steps included
        finished = [r for b in received for r in b.finished_request_ids]
        assert sorted(finished) == sorted(f"r{i}" for i in range(steps))
        assert mon.pool.used_bytes == 0

        def dropped_at_sidecar() -> float:
            values = [
                sidecar.metric(
                    "llm_monitor_activations_dropped_total", model_name="tiny-llama", reason=r
                )
                for r in (REASON_HOST_POOL_FULL, "other")
            ]
            return sum(v or 0.0 for v in values)

        assert wait_for(lambda: dropped_at_sidecar() == dropped[REASON_HOST_POOL_FULL])
        lost = sidecar.metric(
            "llm_monitor_activations_dropped_total",
            model_name="tiny-llama",
            reason="lost_in_transit",
        )
        assert lost in (None, 0.0)
    finally:
        gate.set()
        if mon.shipper is not None:
            mon.shipper.stop(timeout=5)
