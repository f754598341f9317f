from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pytest
import torch

from monitor.plugin import worker as worker_mod
from monitor.plugin.batch import CapturedBatch
from monitor.plugin.coalesce import Gather
from monitor.plugin.outbox import Outbox
from monitor.plugin.ring import (
    REASON_CAPTURE_MISSED,
    REASON_LABEL_MISMATCH,
    REASON_PLUGIN_ERROR,
)
from monitor.plugin.settings import PluginSettings
from monitor.plugin.ship_delay import ShipDelay
from monitor.plugin.ship_process import ProcessShipper
from monitor.plugin.vllm_compat import batch_order, computed_before, served_model_name
from monitor.plugin.worker import REASON_PREFIX_CACHE, WorkerMonitor
from monitor.plugin.worker_patch import (
    monitors_of,
    patch_worker_class,
    report_capture_down,
    wrap_step,
)

from .rigs import SidecarFactory, unused_port, wait_for
from .tiny import D_MODEL, FakeWorker, make_model, reference_residual, scheduler_output, tokens_of


class FakeShipper:
    """Stands in for the shipper so the ring can be inspected."""

    instances: ClassVar[list[FakeShipper]] = []

    def __init__(self, ring: Any, drops: Any, address: str, **kwargs: Any) -> None:
        self.ring = ring
        self.address = address
        self.kwargs = kwargs
        self.started = False
        FakeShipper.instances.append(self)

    def start(self) -> None:
        self.started = True

    def stop(self, timeout: float = 2.0) -> None:
        self.started = False


@pytest.fixture
def fake_shipper(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeShipper]]:
    FakeShipper.instances = []
    monkeypatch.setattr(worker_mod, "Shipper", FakeShipper)
    yield FakeShipper


def settings(**kwargs: Any) -> PluginSettings:
    fields: dict[str, Any] = {
        "enabled": True,
        "sidecar_address": "127.0.0.1:1",
        "shipper_mode": "thread",
    }
    fields.update(kwargs)
    return PluginSettings(**fields)


@pytest.fixture
def worker() -> FakeWorker:
    return FakeWorker(make_model(), max_num_tokens=32)


@pytest.fixture
def monitor(fake_shipper: type[FakeShipper], worker: FakeWorker) -> WorkerMonitor:
    mon = WorkerMonitor(settings(layers=[1]))
    mon.attach(worker)
    mon.self_test(worker)
    assert mon.capture_ok, mon.capture_error
    return mon


def step(mon: WorkerMonitor, worker: FakeWorker, out: Any, order: list[str | None]) -> Any:
    worker.model_runner.input_batch.req_ids = order
    return wrap_step(mon, worker, worker.execute_model)(out)


def ring_items(mon: WorkerMonitor) -> list[CapturedBatch]:
    """Open what the ring holds as the shipper does (wait, check, label, carry finishes of
    dropped steps), copying the rows out before their host buffers are released."""
    outbox = mon.__dict__.setdefault("_test_outbox", Outbox(mon.drops))
    batches = []
    while (item := mon.ring.get(timeout=0)) is not None:
        try:
            for batch in outbox.unpack(item):
                batches.append(dataclasses.replace(batch, activations=batch.activations.clone()))
        finally:
            item.release()
    return batches


def row_labels(batch: CapturedBatch) -> list[tuple[str, int, int]]:
    return [
        (batch.request_ids[batch.row_request[i]], int(batch.positions[i]), int(batch.token_ids[i]))
        for i in range(batch.rows)
    ]


def expected_labels(spec: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """(req_id, first position, count) -> per-row (req_id, position, token id)."""
    return [(r, p, tokens_of(r)[p]) for r, start, k in spec for p in range(start, start + k)]


# -- start-up --------------------------------------------------------------------------


def test_attach_installs_capture_and_the_self_test_starts_the_shipper(
    fake_shipper: type[FakeShipper], worker: FakeWorker
) -> None:
    mon = WorkerMonitor(settings(ingest_token="s3cret", max_message_bytes=1234))
    mon.attach(worker)
    assert mon.capture is not None
    assert mon.layers == [2]  # the middle of 4 layers by default
    assert mon.model_name == "tiny-llama"
    assert worker.vllm_config.additional_config["llm_monitor"]["layers"] == [2]
    assert not mon.hello().capture_ok  # not before the self-test
    assert fake_shipper.instances == []  # the first Hello must carry the verdict

    mon.self_test(worker)
    (shipper,) = fake_shipper.instances
    assert shipper.started
    assert shipper.address == "127.0.0.1:1"
    assert shipper.kwargs["token"] == "s3cret"
    assert shipper.kwargs["max_message_bytes"] == 1234
    assert worker.model_runner.dummy_runs == [16]
    assert mon.capture_ok
    hello = mon.hello()
    assert hello.capture_ok
    assert hello.capture_error == ""
    assert list(hello.layers) == [2]
    assert hello.model_name == "tiny-llama"
    assert mon.capture.rows_written() == 0  # the self-test rows are not left armed


def test_self_test_reports_a_capture_that_never_fires(
    fake_shipper: type[FakeShipper], worker: FakeWorker
) -> None:
    worker.model_runner.dummy_fires = False
    mon = WorkerMonitor(settings())
    mon.attach(worker)
    mon.self_test(worker)
    assert not mon.capture_ok
    assert "never fired" in mon.hello().capture_error
    out = scheduler_output({"a": 2}, new=[("a", 0)], finished=["z"])
    assert mon.before_step(out) == 0


def test_attach_failure_keeps_serving_and_reports_it(
    fake_shipper: type[FakeShipper], worker: FakeWorker
) -> None:
    mon = WorkerMonitor(settings(layers=[99], model_name="named"))
    mon.attach(worker)
    assert mon.capture is None
    assert mon.model_name == "named"
    assert "out of range" in mon.hello().capture_error
    assert fake_shipper.instances[0].started  # the sidecar still learns capture is down
    mon.self_test(worker)
    assert not mon.capture_ok
    out = scheduler_output({"a": 2}, new=[("a", 0)])
    assert step(mon, worker, out, ["a"]) == "output-1"
    assert len(mon.ring) == 0


# -- every step ------------------------------------------------------------------------


def test_steps_are_labelled_and_prefix_cache_hits_become_uncaptured(
    monitor: WorkerMonitor, worker: FakeWorker
) -> None:
    # step 1: "a" prefills 5 tokens; "b" hits the prefix cache for 4 and prefills 3
    out1 = scheduler_output({"a": 5, "b": 3}, new=[("a", 0), ("b", 4)])
    assert step(monitor, worker, out1, ["a", "b"]) == "output-1"
    # step 2: decodes of a and b (runner order b, a, with a free slot) and the first
    # chunk of "c"
    out2 = scheduler_output({"a": 1, "b": 1, "c": 2}, new=[("c", 0)], cached=[("a", 5), ("b", 7)])
    step(monitor, worker, out2, ["b", None, "a", "c"])
    # step 3: the rest of c's prompt (a chunk starting mid-sequence), a finished
    out3 = scheduler_output({"b": 1, "c": 4}, cached=[("b", 8), ("c", 2)], finished=["a"])
    step(monitor, worker, out3, ["b", "c"])

    b1, b2, b3 = ring_items(monitor)
    assert row_labels(b1) == expected_labels([("a", 0, 5), ("b", 4, 3)])
    assert row_labels(b2) == expected_labels([("b", 7, 1), ("a", 5, 1), ("c", 0, 2)])
    assert row_labels(b3) == expected_labels([("b", 8, 1), ("c", 2, 4)])
    assert b1.request_ids == ["a", "b"]
    assert b2.request_ids == ["b", "a", "c"]
    assert [b.row_offset for b in (b1, b2, b3)] == [0, 8, 12]
    assert [b.layer for b in (b1, b2, b3)] == [1, 1, 1]
    assert all(b.model_name == "tiny-llama" for b in (b1, b2, b3))
    assert b1.uncaptured == [("b", 4, REASON_PREFIX_CACHE)]
    assert b2.uncaptured == [] and b3.uncaptured == []
    assert b3.finished_request_ids == ["a"]
    assert b1.finished_request_ids == [] and b2.finished_request_ids == []
    assert b1.token_ids.dtype == np.int32
    # the activations are the layer's hidden + residual for exactly those rows
    for batch, (_, ids, positions) in zip((b1, b2, b3), worker.inputs, strict=True):
        torch.testing.assert_close(
            batch.activations, reference_residual(worker.model_runner.model, ids, positions, 1)
        )
    assert monitor.drops.snapshot() == {}
    assert monitor.steps == 3


def test_each_batch_carries_its_steps_start_and_end_for_the_shippers_delay(
    fake_shipper: type[FakeShipper], worker: FakeWorker
) -> None:
    cases = [({}, ShipDelay(0.5, 0.025)), ({"ship_delay_fraction": 0.0}, ShipDelay(0.0, 0.025))]
    cases.append(({"ship_delay_fraction": 1.0, "ship_delay_max_ms": 100}, ShipDelay(1.0, 0.1)))
    for fields, delay in cases:
        mon = WorkerMonitor(settings(layers=[1], **fields))
        mon.attach(worker)
        mon.self_test(worker)
        assert FakeShipper.instances[-1].kwargs["ship_delay"] == delay
        before = time.time_ns()
        step(mon, worker, scheduler_output({"a": 2}, new=[("a", 0)]), ["a"])
        after = time.time_ns()
        (batch,) = ring_items(mon)
        assert before <= batch.step_start_unix_ns < batch.step_end_unix_ns <= after
    for bad in ({"ship_delay_fraction": 1.5}, {"ship_delay_max_ms": -1}):
        with pytest.raises(ValueError, match="ship_delay"):
            settings(**bad)


def test_the_shipper_gathers_steps_as_the_settings_say(
    fake_shipper: type[FakeShipper], worker: FakeWorker
) -> None:
    cases: list[tuple[dict[str, Any], Gather]] = [
        ({"layers": [1]}, Gather(0.04)),
        ({"layers": [1], "ship_gather_ms": 0}, Gather(0.0)),
        ({"layers": [0, 3]}, Gather(0.0)),  # layers interleave: nothing could be joined
    ]
    for fields, gather in cases:
        mon = WorkerMonitor(settings(**fields))
        mon.attach(worker)
        mon.self_test(worker)
        assert FakeShipper.instances[-1].kwargs["gather"] == gather
    for bad in (-1, 1001):
        with pytest.raises(ValueError, match="ship_gather_ms"):
            settings(ship_gather_ms=bad)


def test_every_layer_gets_a_batch(fake_shipper: type[FakeShipper], worker: FakeWorker) -> None:
    mon = WorkerMonitor(settings(layers=[0, 3]))
    mon.attach(worker)
    mon.self_test(worker)
    step(mon, worker, scheduler_output({"a": 3}, new=[("a", 0)], finished=["x"]), ["a"])
    first, second = ring_items(mon)
    assert (first.layer, second.layer) == (0, 3)
    assert (first.row_offset, second.row_offset) == (0, 3)
    assert first.finished_request_ids == [] and second.finished_request_ids == ["x"]
    # the new request's prompt goes with every layer's batch (the sidecar needs one)
    assert first.started == [("a", [7], "")] and second.started == [("a", [7], "")]
    _, ids, positions = worker.inputs[0]
    model = worker.model_runner.model
    torch.testing.assert_close(second.activations, reference_residual(model, ids, positions, 3))
    assert mon.row_offset == 6


def test_step_where_capture_did_not_fire_is_dropped_and_finished_ids_carried(
    monitor: WorkerMonitor, worker: FakeWorker
) -> None:
    worker.skip_forward = True
    out = scheduler_output({"a": 4}, new=[("a", 0)], finished=["old"])
    assert step(monitor, worker, out, ["a"]) == "output-1"
    assert len(monitor.ring) == 1  # the step path does not look at the rows
    assert monitor.drops.snapshot() == {}
    assert ring_items(monitor) == []  # the shipper does
    assert monitor.drops.snapshot() == {REASON_CAPTURE_MISSED: 4}
    assert monitor.pool is not None and monitor.pool.used_bytes == 0

    worker.skip_forward = False
    step(monitor, worker, scheduler_output({"a": 1}, cached=[("a", 4)], finished=["new"]), ["a"])
    (batch,) = ring_items(monitor)
    assert row_labels(batch) == expected_labels([("a", 4, 1)])
    assert batch.finished_request_ids == ["old", "new"]
    assert batch.row_offset == 4  # the dropped rows keep their offsets
    # the prompt of the request that started in the dropped step still reaches the sidecar
    assert batch.started == [("a", [7], "")]
    step(monitor, worker, scheduler_output({"a": 1}, cached=[("a", 5)]), ["a"])
    assert ring_items(monitor)[-1].started == []


def test_label_mismatch_is_dropped_and_finished_ids_carried(
    monitor: WorkerMonitor, worker: FakeWorker
) -> None:
    # the model lays out b before a, the runner reports a before b
    worker.layout_order = ["b", "a"]
    out = scheduler_output({"a": 2, "b": 1}, new=[("a", 0), ("b", 0)], finished=["gone"])
    step(monitor, worker, out, ["a", "b"])
    assert ring_items(monitor) == []
    assert monitor.drops.snapshot() == {REASON_LABEL_MISMATCH: 3}

    # wrong computed count in the scheduler output
    worker.layout_order = None
    out = scheduler_output({"a": 1}, cached=[("a", 2)])
    worker.model_runner.input_batch.req_ids = ["a"]
    n = monitor.before_step(out)
    worker.execute_model(out)
    out.scheduled_cached_reqs.num_computed_tokens = [7]
    monitor.after_step(worker, out, n)
    assert ring_items(monitor) == []
    assert monitor.drops.snapshot() == {REASON_LABEL_MISMATCH: 4}

    step(monitor, worker, scheduler_output({"b": 1}, cached=[("b", 1)]), ["b"])
    (batch,) = ring_items(monitor)
    assert batch.finished_request_ids == ["gone"]
    assert batch.row_offset == 4


def test_finished_ids_of_an_empty_step_are_carried(
    monitor: WorkerMonitor, worker: FakeWorker
) -> None:
    step(monitor, worker, scheduler_output({}, finished=["idle-done"]), [])
    assert len(monitor.ring) == 0
    step(monitor, worker, scheduler_output({"a": 1}, new=[("a", 0)]), ["a"])
    (batch,) = ring_items(monitor)
    assert batch.finished_request_ids == ["idle-done"]


def test_step_larger_than_the_sink_is_dropped_as_plugin_error(
    monitor: WorkerMonitor, worker: FakeWorker
) -> None:
    out = scheduler_output({"a": 40}, new=[("a", 0)])
    step(monitor, worker, out, ["a"])
    assert monitor.drops.snapshot() == {REASON_PLUGIN_ERROR: 40}
    assert len(monitor.ring) == 0
    assert monitor.row_offset == 40


def test_finished_ids_survive_an_oversized_step(monitor: WorkerMonitor, worker: FakeWorker) -> None:
    step(monitor, worker, scheduler_output({"a": 40}, new=[("a", 0)], finished=["f"]), ["a"])
    step(monitor, worker, scheduler_output({"b": 1}, new=[("b", 0)]), ["b"])
    (batch,) = ring_items(monitor)
    assert batch.finished_request_ids == ["f"]


# -- fail-open -------------------------------------------------------------------------


def test_wrap_step_survives_monitor_errors(
    monitor: WorkerMonitor, worker: FakeWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any) -> None:
        raise RuntimeError("monitor bug")

    monkeypatch.setattr(monitor, "after_step", boom)
    out = scheduler_output({"a": 3}, new=[("a", 0)])
    assert step(monitor, worker, out, ["a"]) == "output-1"
    assert monitor.drops.snapshot() == {REASON_PLUGIN_ERROR: 3}

    monkeypatch.setattr(monitor, "before_step", boom)
    assert step(monitor, worker, out, ["a"]) == "output-2"
    assert monitor.drops.snapshot() == {REASON_PLUGIN_ERROR: 3}


def test_wrap_step_passes_arguments_and_propagates_the_workers_own_error(
    monitor: WorkerMonitor, worker: FakeWorker
) -> None:
    error = ValueError("engine failure")
    calls: list[tuple[Any, ...]] = []

    def failing(scheduler_output: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append((scheduler_output, args, kwargs))
        raise error

    wrapped = wrap_step(monitor, worker, failing)
    out = scheduler_output({"a": 2}, new=[("a", 0)])
    with pytest.raises(ValueError) as info:
        wrapped(out, "grammar", flag=True)
    assert info.value is error
    assert calls == [(out, ("grammar",), {"flag": True})]
    assert len(monitor.ring) == 0


# -- helpers ---------------------------------------------------------------------------


def test_helpers_read_vllm_objects() -> None:
    out = scheduler_output({"a": 1, "b": 2}, new=[("b", 3)], cached=[("a", 9)])
    assert computed_before(out) == {"a": 9, "b": 3}
    runner_v1 = FakeWorker(make_model()).model_runner
    runner_v1.input_batch.req_ids = ["x", None, "y"]
    assert batch_order(runner_v1) == ["x", "y"]
    runner_v1.execute_model_state = type("S", (), {"input_batch": type("B", (), {})()})()
    runner_v1.execute_model_state.input_batch.req_ids = ["y", "x"]
    assert batch_order(runner_v1) == ["y", "x"]  # model runner V2: the step's own batch
    config = FakeWorker(make_model()).vllm_config
    assert served_model_name(config) == "tiny-llama"
    config.model_config.served_model_name = ["alias", "other"]
    assert served_model_name(config) == "alias"
    config.model_config.served_model_name = None
    assert served_model_name(config) == "tiny-llama"  # basename of the model path


def test_patch_worker_class_monitors_every_instance(fake_shipper: type[FakeShipper]) -> None:
    class Worker:
        def __init__(self) -> None:
            self.fake = FakeWorker(make_model(), max_num_tokens=32)
            self.vllm_config = self.fake.vllm_config
            self.model_runner = self.fake.model_runner
            self.warmed = 0

        def load_model(self) -> str:
            return "loaded"

        def compile_or_warm_up_model(self) -> str:
            self.warmed += 1
            return "warm"

        def execute_model(self, out: Any) -> str:
            return self.fake.execute_model(out)

    patch_worker_class(Worker, settings(layers=[1]))
    patched_load = Worker.load_model
    patch_worker_class(Worker, settings(layers=[1]))  # re-entrant
    assert Worker.load_model is patched_load

    w = Worker()
    assert w.load_model() == "loaded"
    mon = monitors_of({"w": w})["w"]
    assert w.compile_or_warm_up_model() == "warm"
    assert w.warmed == 1
    assert mon.capture_ok
    w.model_runner.input_batch.req_ids = ["a"]
    assert w.execute_model(scheduler_output({"a": 2}, new=[("a", 0)])) == "output-1"
    (batch,) = ring_items(mon)
    assert row_labels(batch) == expected_labels([("a", 0, 2)])


def _worker_class() -> type:
    class Worker:
        def __init__(self) -> None:
            self.fake = FakeWorker(make_model(), max_num_tokens=32)
            self.vllm_config = self.fake.vllm_config
            self.model_runner = self.fake.model_runner

        def load_model(self) -> str:
            return "loaded"

        def compile_or_warm_up_model(self) -> str:
            return "warm"

        def execute_model(self, out: Any) -> str:
            return self.fake.execute_model(out)

    return Worker


REASON_DOWN = "vLLM 0.40.1 is outside the supported range >=0.32,<0.33; capture not installed"


def test_report_capture_down_installs_nothing_and_reports_the_reason(
    fake_shipper: type[FakeShipper],
) -> None:
    Worker = _worker_class()
    report_capture_down(Worker, settings(), REASON_DOWN)
    w = Worker()
    assert w.load_model() == "loaded"
    mon = monitors_of({"w": w})["w"]
    assert mon.capture is None
    assert "execute_model" not in vars(w) and "compile_or_warm_up_model" not in vars(w)
    assert w.compile_or_warm_up_model() == "warm"
    assert w.fake.model_runner.dummy_runs == []  # no self-test
    (shipper,) = fake_shipper.instances
    assert shipper.started
    hello = mon.hello()
    assert not hello.capture_ok
    assert hello.capture_error == REASON_DOWN
    assert hello.model_name == "tiny-llama"
    assert list(hello.layers) == [2]  # the layer it would have captured
    assert w.fake.vllm_config.additional_config == {}  # the compile cache is untouched


def test_report_down_survives_an_unreadable_config(fake_shipper: type[FakeShipper]) -> None:
    mon = WorkerMonitor(settings(layers=[1]))
    mon.report_down(object(), REASON_DOWN)  # type: ignore[arg-type]
    assert mon.model_name == "unknown" and mon.layers == [1]
    assert fake_shipper.instances[0].started
    assert mon.hello().capture_error == REASON_DOWN


def test_capture_down_reaches_the_sidecar_as_capture_up_0(
    sidecar_factory: SidecarFactory,
) -> None:
    sidecar = sidecar_factory()
    Worker = _worker_class()
    report_capture_down(
        Worker,
        settings(sidecar_address=sidecar.target, layers=[1], reconnect_initial_s=0.05),
        REASON_DOWN,
    )
    w = Worker()
    w.load_model()
    mon = monitors_of({"w": w})["w"]
    try:
        assert mon.shipper is not None and mon.shipper.connected.wait(10)
        assert wait_for(
            lambda: (
                sidecar.metric("llm_monitor_capture_up", model_name="tiny-llama", layer="1") == 0
            )
        )
    finally:
        if mon.shipper is not None:
            mon.shipper.stop(timeout=5)


def connected_monitor(worker: FakeWorker, address: str, **fields: Any) -> WorkerMonitor:
    """A monitor of layer 1 attached to ``worker``, its shipper connected to ``address``."""
    mon = WorkerMonitor(
        settings(sidecar_address=address, layers=[1], reconnect_initial_s=0.05, **fields)
    )
    try:
        mon.attach(worker)
        mon.self_test(worker)
        assert mon.shipper is not None and mon.shipper.connected.wait(10)
    except BaseException:
        if mon.shipper is not None:
            mon.shipper.stop(timeout=5)
        raise
    return mon


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_end_to_end_to_a_real_sidecar(
    sidecar_factory: SidecarFactory,
    worker: FakeWorker,
    mode: str,
) -> None:
    sidecar = sidecar_factory()
    mon = connected_monitor(worker, sidecar.target, shipper_mode=mode, ship_gather_ms=0)
    try:
        step(mon, worker, scheduler_output({"a": 4, "b": 2}, new=[("a", 0), ("b", 3)]), ["a", "b"])
        out = scheduler_output({"a": 1, "b": 1}, cached=[("a", 4), ("b", 5)], finished=["a"])
        step(mon, worker, out, ["b", "a"])
        assert wait_for(lambda: sidecar.activations.rows() == 8)
        first, second = sidecar.activations.snapshot()
        assert first.request_ids == ("a", "b")
        assert first.positions.tolist() == [0, 1, 2, 3, 3, 4]
        assert second.request_ids == ("b", "a")
        assert second.positions.tolist() == [5, 4]
        assert second.token_ids.tolist() == [tokens_of("b")[5], tokens_of("a")[4]]
        assert second.finished_request_ids == ("a",)
        assert first.uncaptured[0].request_id == "b" and first.uncaptured[0].count == 3
        _, ids, positions = worker.inputs[0]
        want = reference_residual(worker.model_runner.model, ids, positions, 1).numpy()
        np.testing.assert_allclose(first.activations, want, rtol=1e-6)
        assert first.activations.shape == (6, D_MODEL)
        assert sidecar.metric("llm_monitor_capture_up", model_name="tiny-llama", layer="1") == 1
    finally:
        if mon.shipper is not None:
            mon.shipper.stop(timeout=5)


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_steps_close_together_reach_a_real_sidecar_joined(
    sidecar_factory: SidecarFactory, worker: FakeWorker, mode: str
) -> None:
    sidecar = sidecar_factory()
    # the default 40 ms, widened for a slow test host
    mon = connected_monitor(worker, sidecar.target, shipper_mode=mode, ship_gather_ms=1000)
    try:
        step(mon, worker, scheduler_output({"a": 4, "b": 2}, new=[("a", 0), ("b", 3)]), ["a", "b"])
        out = scheduler_output({"a": 1, "b": 1}, cached=[("a", 4), ("b", 5)], finished=["a"])
        step(mon, worker, out, ["b", "a"])
        assert wait_for(lambda: sidecar.activations.rows() == 8)
        (joined,) = sidecar.activations.snapshot()
        assert joined.request_ids == ("a", "b")
        assert joined.positions.tolist() == [0, 1, 2, 3, 3, 4, 5, 4]
        assert joined.row_request.tolist() == [0, 0, 0, 0, 1, 1, 1, 0]
        assert joined.finished_request_ids == ("a",)
        want = np.concatenate(
            [
                reference_residual(worker.model_runner.model, ids, positions, 1).numpy()
                for _, ids, positions in worker.inputs[:2]
            ]
        )
        np.testing.assert_allclose(joined.activations, want, rtol=1e-6)
        assert wait_for(lambda: sidecar.app.pipeline.active_requests == 1)  # "a" finished
    finally:
        if mon.shipper is not None:
            mon.shipper.stop(timeout=5)


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_unreachable_sidecar_never_slows_the_step(worker: FakeWorker, mode: str) -> None:
    mon = WorkerMonitor(
        settings(sidecar_address=f"127.0.0.1:{unused_port()}", layers=[1], shipper_mode=mode)
    )
    try:
        mon.attach(worker)
        mon.self_test(worker)
        for i in range(20):
            t0 = time.perf_counter()
            step(mon, worker, scheduler_output({f"r{i}": 3}, new=[(f"r{i}", 0)]), [f"r{i}"])
            assert time.perf_counter() - t0 < 1.0  # never waits for a connection
        if mode == "thread":
            assert wait_for(lambda: mon.drops.snapshot().get("sidecar_unavailable") == 60)
        else:  # counted in the child; every step's host memory comes back
            assert isinstance(mon.shipper, ProcessShipper) and mon.pool is not None
            shipper = mon.shipper
            assert wait_for(lambda: shipper.in_flight() == 0)
            assert mon.pool.used_bytes == 0
    finally:
        assert mon.shipper is not None
        mon.shipper.stop(timeout=5)
