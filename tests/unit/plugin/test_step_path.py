"""The step path: no host-device sync, bounded host memory, drops counted, no lost finish."""

from __future__ import annotations

import time
from typing import Any

import pytest
import torch

from monitor.plugin import worker as worker_mod
from monitor.plugin.batch import FINISHED_PER_BATCH, CapturedBatch
from monitor.plugin.ring import REASON_HOST_POOL_FULL, REASON_RING_FULL
from monitor.plugin.settings import PluginSettings
from monitor.plugin.worker import WorkerMonitor
from monitor.plugin.worker_patch import wrap_step

from .rigs import monitor_for, ship
from .tiny import FakeWorker, make_model, reference_residual, scheduler_output

MAX_TOKENS = 32


class NoShipper:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def start(self) -> None:
        pass

    def stop(self, timeout: float = 2.0) -> None:
        pass


@pytest.fixture(autouse=True)
def _no_shipper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_mod, "Shipper", NoShipper)


@pytest.fixture
def worker() -> FakeWorker:
    return FakeWorker(make_model(), max_num_tokens=MAX_TOKENS)


def step(mon: WorkerMonitor, worker: FakeWorker, req: str, tokens: int, **kw: Any) -> None:
    worker.model_runner.input_batch.req_ids = [req]
    out = scheduler_output({req: tokens}, new=[(req, 0)], **kw)
    wrap_step(mon, worker, worker.execute_model)(out)


def finished_of(batches: list[CapturedBatch]) -> list[str]:
    return [r for b in batches for r in b.finished_request_ids]


class HostSync(AssertionError):
    pass


def _host_sync(*args: Any, **kwargs: Any) -> Any:
    raise HostSync("the step path read a tensor's value on the host")


#: Every Tensor method that hands a value to the host (and so waits for the device).
SYNCING_METHODS = ("cpu", "item", "tolist", "numpy", "__bool__", "__int__", "__float__")


def after_step_without_host_sync(
    mon: WorkerMonitor, worker: FakeWorker, out: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run one step; ``after_step`` runs with every host-syncing call raising."""
    n = mon.before_step(out)
    worker.execute_model(out)  # the model itself may do as it likes
    with monkeypatch.context() as patch:
        for name in (*SYNCING_METHODS, "__index__"):
            patch.setattr(torch.Tensor, name, _host_sync)
        patch.setattr(torch.cuda, "synchronize", _host_sync)
        patch.setattr(torch.cuda.Event, "synchronize", _host_sync)
        mon.after_step(worker, out, n)  # raises HostSync if it reads a value


def test_the_step_path_reads_no_captured_value(
    worker: FakeWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    mon = monitor_for(worker, layers=[0, 2])
    worker.model_runner.input_batch.req_ids = ["a", "b"]
    after_step_without_host_sync(
        mon, worker, scheduler_output({"a": 5, "b": 3}, new=[("a", 0), ("b", 0)]), monkeypatch
    )
    out = scheduler_output({"a": 1, "b": 1}, cached=[("a", 5), ("b", 3)], finished=["x"])
    after_step_without_host_sync(mon, worker, out, monkeypatch)
    assert mon.drops.snapshot() == {}
    assert len(mon.ring) == 2
    batches = ship(mon)  # the shipper reads the values, after the copy has landed
    assert [(b.layer, b.rows) for b in batches] == [(0, 8), (2, 8), (0, 2), (2, 2)]
    model = worker.model_runner.model
    for i, (_, ids, positions) in enumerate(worker.inputs):
        for j, layer in enumerate((0, 2)):
            want = reference_residual(model, ids, positions, layer)
            torch.testing.assert_close(batches[2 * i + j].activations, want)
    assert [b.row_offset for b in batches] == [0, 8, 16, 18]
    assert finished_of(batches) == ["x"]
    assert mon.pool is not None and mon.pool.used_bytes == 0


def test_the_sync_guard_catches_a_host_read(
    worker: FakeWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    mon = monitor_for(worker, layers=[1])
    assert mon.capture is not None
    monkeypatch.setattr(mon.capture, "staged_bytes", lambda n: int(torch.tensor(n * 4096)))
    with pytest.raises(HostSync):
        after_step_without_host_sync(
            mon, worker, scheduler_output({"a": 2}, new=[("a", 0)]), monkeypatch
        )


def test_a_full_pool_drops_the_step_counts_it_and_keeps_its_finishes(
    worker: FakeWorker,
) -> None:
    mon = monitor_for(worker, layers=[1, 3], host_pool_bytes=1 << 20)
    assert mon.pool is not None and mon.capture is not None
    step_bytes = mon.capture.staged_bytes(4)
    hog = mon.pool.acquire(mon.pool.capacity - step_bytes)  # room for one 4-token step
    assert hog is not None
    step(mon, worker, "a", 4)
    assert len(mon.ring) == 1
    step(mon, worker, "b", 3, finished=["done-1"])
    step(mon, worker, "c", 2, finished=["done-2"])
    assert len(mon.ring) == 1
    assert mon.drops.snapshot() == {REASON_HOST_POOL_FULL: (3 + 2) * 2}
    assert mon.pool.used_bytes <= mon.pool.capacity
    assert mon.row_offset == (4 + 3 + 2) * 2  # dropped rows keep their offsets
    first = ship(mon)
    hog.release()
    step(mon, worker, "d", 1, finished=["done-3"])
    later = ship(mon)
    assert [b.row_offset for b in first + later] == [0, 4, 18, 19]
    assert finished_of(first) == []
    assert finished_of(later) == ["done-1", "done-2", "done-3"]
    assert mon.pool.used_bytes == 0


def test_a_full_ring_by_count_drops_the_step_and_keeps_its_finishes(
    worker: FakeWorker,
) -> None:
    mon = monitor_for(worker, layers=[1], buffer_batches=2)
    for i in range(2):
        step(mon, worker, f"r{i}", 2)
    step(mon, worker, "x", 3, finished=["f1"])
    step(mon, worker, "y", 1, finished=["f2"])
    assert mon.drops.snapshot() == {REASON_RING_FULL: 4}
    assert mon.pool is not None and mon.capture is not None
    assert mon.pool.used_bytes == 2 * mon.capture.staged_bytes(2)  # the dropped steps hold none
    sent = ship(mon)
    assert finished_of(sent) == []
    step(mon, worker, "z", 1)
    assert finished_of(ship(mon)) == ["f1", "f2"]


def test_a_full_ring_by_bytes_drops_the_step(worker: FakeWorker) -> None:
    mon = monitor_for(worker, layers=[1])
    assert mon.capture is not None
    mon.ring.set_max_bytes(mon.capture.staged_bytes(MAX_TOKENS) * 3 // 2)
    step(mon, worker, "a", MAX_TOKENS)
    step(mon, worker, "b", MAX_TOKENS, finished=["f"])
    assert mon.drops.snapshot() == {REASON_RING_FULL: MAX_TOKENS}
    assert len(mon.ring) == 1
    ship(mon)
    step(mon, worker, "c", MAX_TOKENS)
    assert finished_of(ship(mon)) == ["f"]


def test_a_flood_of_finishes_is_spread_over_batches_not_lost(worker: FakeWorker) -> None:
    mon = monitor_for(worker, layers=[1])
    many = [f"req-{i}" for i in range(FINISHED_PER_BATCH + 10)]
    step(mon, worker, "a", 1, finished=many)
    first = ship(mon)
    assert len(finished_of(first)) == FINISHED_PER_BATCH
    step(mon, worker, "b", 1)
    delivered = finished_of(first) + finished_of(ship(mon))
    assert sorted(delivered) == sorted(many)


def test_a_stalled_shipper_holds_host_memory_only_within_the_pool(worker: FakeWorker) -> None:
    mon = monitor_for(worker, layers=[0, 1, 2, 3], host_pool_bytes=1 << 20)
    assert mon.pool is not None and mon.capture is not None
    hog = mon.pool.acquire(mon.pool.capacity - 3 * mon.capture.staged_bytes(MAX_TOKENS))
    assert hog is not None
    for i in range(50):  # nothing is shipped meanwhile
        step(mon, worker, f"r{i}", MAX_TOKENS, finished=[f"r{i - 1}"] if i else [])
        assert mon.pool.used_bytes <= mon.pool.capacity
    assert len(mon.ring) == 3
    assert mon.drops.snapshot() == {REASON_HOST_POOL_FULL: 47 * MAX_TOKENS * 4}
    first = ship(mon)  # the shipper wakes up
    assert [b.row_offset for b in first] == [i * MAX_TOKENS for i in range(12)]
    hog.release()
    step(mon, worker, "last", 1)
    assert finished_of(first + ship(mon)) == [f"r{i}" for i in range(49)]
    assert mon.pool.used_bytes == 0


def test_the_pool_defaults_to_a_few_full_steps_and_can_be_set(
    worker: FakeWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    mon = monitor_for(worker, layers=[1])
    assert mon.pool is not None and not mon.pool.pinned  # a CPU model: nothing to pin
    assert mon.pool.capacity == worker_mod.MIN_POOL_BYTES  # tiny steps: the floor
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_HOST_POOL_BYTES", str(3 << 20))
    configured = WorkerMonitor(PluginSettings())
    configured.attach(FakeWorker(make_model(), max_num_tokens=MAX_TOKENS))
    assert configured.pool is not None and configured.pool.capacity == 3 << 20
    with pytest.raises(ValueError, match="host_pool_bytes"):
        PluginSettings(host_pool_bytes=1000)


def test_the_default_pool_holds_four_full_steps_rounded_to_a_power_of_two() -> None:
    mib = 1 << 20
    assert worker_mod.default_pool_bytes(1000) == 64 * mib  # the floor
    assert worker_mod.default_pool_bytes(16 * mib) == 64 * mib
    assert worker_mod.default_pool_bytes(16 * mib + 1) == 128 * mib
    assert worker_mod.default_pool_bytes(128 * mib + 128 * 1024) == 1024 * mib


def test_every_batch_carries_the_wall_time_its_step_returned(worker: FakeWorker) -> None:
    mon = monitor_for(worker, layers=[0, 2])
    before = time.time_ns()
    step(mon, worker, "a", 3)
    after = time.time_ns()
    step(mon, worker, "b", 2)
    first, second = ship(mon)[:2], ship(mon)
    assert len(first) == 2 and all(before <= b.step_end_unix_ns <= after for b in first)
    assert all(b.step_end_unix_ns >= after for b in second)
