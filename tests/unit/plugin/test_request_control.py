"""Per-request control through ``vllm_xargs``: opt-outs never leave the process, tenants do."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest
import torch

from monitor.plugin import worker as worker_mod
from monitor.plugin.batch import CapturedBatch
from monitor.plugin.request_control import (
    CAPTURE_KEY,
    TENANT_KEY,
    RequestControl,
    parse_control,
)
from monitor.plugin.ring import REASON_OPTED_OUT
from monitor.plugin.settings import PluginSettings
from monitor.plugin.worker import WorkerMonitor
from monitor.plugin.worker_patch import wrap_step
from monitor.sidecar.ingest.accounting import LOST_IN_TRANSIT

from .rigs import SidecarFactory, monitor_for, ship, wait_for
from .tiny import FakeWorker, make_model, reference_residual, scheduler_output, tokens_of

OFF = {CAPTURE_KEY: "off"}


@pytest.mark.parametrize("value", ["off", "OFF", " false", "no", "0", False, 0])
def test_capture_off_values(value: object) -> None:
    assert parse_control({CAPTURE_KEY: value}) == RequestControl(capture=False)


@pytest.mark.parametrize("value", ["on", "true", True, 1])
def test_capture_on_values(value: object) -> None:
    assert parse_control({CAPTURE_KEY: value, TENANT_KEY: "team-a"}) == RequestControl(
        capture=True, tenant="team-a"
    )


def test_no_keys_of_ours_is_the_default() -> None:
    assert parse_control(None) == RequestControl()
    assert parse_control({"session_id": "x"}) == RequestControl()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({CAPTURE_KEY: "maybe"}, "llm_monitor_capture must be 'on' or 'off', got 'maybe'"),
        ({CAPTURE_KEY: 2}, "llm_monitor_capture must be 'on' or 'off', got 2"),
        ({TENANT_KEY: "x" * 65}, "llm_monitor_tenant must be 1 to 64 printable characters"),
        ({TENANT_KEY: "a\nb"}, "llm_monitor_tenant must be 1 to 64 printable characters"),
        ({TENANT_KEY: ""}, "llm_monitor_tenant must be 1 to 64 printable characters"),
        ({TENANT_KEY: 7}, "got 7"),
    ],
)
def test_bad_values_are_ignored_and_the_request_captured(
    args: dict[str, object], problem: str
) -> None:
    control = parse_control(args)
    assert control.capture and control.tenant == ""
    assert problem in control.problem


def test_opt_out_can_be_refused() -> None:
    control = parse_control({CAPTURE_KEY: "off", TENANT_KEY: "t"}, allow_opt_out=False)
    assert control.capture and control.tenant == "t"
    assert "not allowed" in control.problem


# -- the worker ------------------------------------------------------------------------


class NoShipper:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def start(self) -> None:
        pass

    def stop(self, timeout: float = 2.0) -> None:
        pass


@pytest.fixture
def worker() -> FakeWorker:
    return FakeWorker(make_model(), max_num_tokens=32)


def run_step(mon: WorkerMonitor, worker: FakeWorker, out: Any, order: list[str]) -> None:
    worker.model_runner.input_batch.req_ids = order
    wrap_step(mon, worker, worker.execute_model)(out)


def labels(batch: CapturedBatch) -> list[tuple[str, int]]:
    return [
        (batch.request_ids[batch.row_request[i]], int(batch.positions[i]))
        for i in range(batch.rows)
    ]


def test_opted_out_rows_starts_and_notes_never_leave_and_are_counted(
    monkeypatch: pytest.MonkeyPatch, worker: FakeWorker
) -> None:
    monkeypatch.setattr(worker_mod, "Shipper", NoShipper)
    mon = monitor_for(worker, layers=[0, 2], allow_opt_out=True)
    out = scheduler_output(
        {"a": 4, "b": 3, "c": 2},
        new=[("a", 2), ("b", 0), ("c", 0)],  # a: 2 tokens from the prefix cache
        xargs={"a": {**OFF, TENANT_KEY: "hidden"}, "b": {TENANT_KEY: "team-a"}},
    )
    run_step(mon, worker, out, ["a", "b", "c"])
    first, second = ship(mon)
    assert [b.layer for b in (first, second)] == [0, 2]
    for batch in (first, second):
        assert batch.request_ids == ["b", "c"]
        assert labels(batch) == [("b", 0), ("b", 1), ("b", 2), ("c", 0), ("c", 1)]
        assert [s[0] for s in batch.started] == ["b", "c"]
    assert first.started == [("b", [7], "team-a"), ("c", [7], "")]
    assert second.uncaptured == []  # a's prefix-cache note stays too
    # the kept rows claim the end of each layer's range: the gap lies before them
    assert (first.row_offset, second.row_offset) == (4, 13)
    # each batch carries its count; the shipper adds it just before sending the batch
    assert (first.opted_out_rows, second.opted_out_rows) == (4, 4)
    assert mon.drops.snapshot() == {}
    rows, ids, positions = worker.inputs[0]
    keep = [i for i, r in enumerate(rows) if r != "a"]
    for batch, layer in ((first, 0), (second, 2)):
        want = reference_residual(worker.model_runner.model, ids, positions, layer)[keep]
        torch.testing.assert_close(batch.activations, want)

    # its finish is not shipped either, and the opt-out is forgotten with it
    out = scheduler_output({"b": 1}, cached=[("b", 3)], finished=["a", "c"])
    run_step(mon, worker, out, ["b"])
    (only,) = ship(mon)[-1:]
    assert only.finished_request_ids == ["c"]
    assert mon.controls.opted_out == frozenset()


def test_a_step_of_opted_out_requests_only_ships_nothing(
    monkeypatch: pytest.MonkeyPatch, worker: FakeWorker
) -> None:
    monkeypatch.setattr(worker_mod, "Shipper", NoShipper)
    mon = monitor_for(worker, layers=[1], allow_opt_out=True)
    run_step(
        mon,
        worker,
        scheduler_output({"a": 5}, new=[("a", 0)], finished=["z"], xargs={"a": OFF}),
        ["a"],
    )
    assert ship(mon) == []
    assert mon.drops.snapshot() == {REASON_OPTED_OUT: 5}
    assert mon.pool is not None and mon.pool.used_bytes == 0
    run_step(mon, worker, scheduler_output({"b": 2}, new=[("b", 0)]), ["b"])
    (batch,) = ship(mon)
    assert batch.finished_request_ids == ["z"]  # carried from the empty step
    assert batch.row_offset == 5 and labels(batch) == [("b", 0), ("b", 1)]


def test_opt_out_refused_by_the_settings_captures_and_warns(
    monkeypatch: pytest.MonkeyPatch, worker: FakeWorker, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(worker_mod, "Shipper", NoShipper)
    mon = monitor_for(worker, layers=[1])  # the default refuses opt-outs
    with caplog.at_level(logging.WARNING, logger="vllm.llm_monitor"):
        run_step(
            mon,
            worker,
            scheduler_output({"a": 3}, new=[("a", 0)], xargs={"a": {**OFF, TENANT_KEY: "t\x00"}}),
            ["a"],
        )
    (batch,) = ship(mon)
    assert batch.request_ids == ["a"] and batch.started == [("a", [7], "")]
    assert mon.drops.snapshot() == {}
    text = caplog.text
    assert "request 'a': vllm_xargs ignored" in text
    assert "allow_opt_out is off" in text and "llm_monitor_tenant must be" in text


def test_opt_outs_reach_a_real_sidecar_as_drops_not_losses(
    sidecar_factory: SidecarFactory, worker: FakeWorker
) -> None:
    sidecar = sidecar_factory()
    settings = PluginSettings(
        enabled=True,
        sidecar_address=sidecar.target,
        layers=[1, 3],
        reconnect_initial_s=0.05,
        allow_opt_out=True,
    )
    mon = WorkerMonitor(settings)
    try:
        mon.attach(worker)
        mon.self_test(worker)
        assert mon.shipper is not None and mon.shipper.connected.wait(10)
        # the very first batch the sidecar sees already has rows left out
        out = scheduler_output(
            {"a": 4, "b": 2},
            new=[("a", 0), ("b", 0)],
            xargs={"a": OFF, "b": {TENANT_KEY: "team-a"}},
        )
        run_step(mon, worker, out, ["a", "b"])
        run_step(mon, worker, scheduler_output({"a": 1}, cached=[("a", 4)]), ["a"])
        out = scheduler_output({"a": 1, "b": 1}, cached=[("a", 5), ("b", 2)], finished=["x"])
        run_step(mon, worker, out, ["b", "a"])
        run_step(mon, worker, scheduler_output({"c": 3}, new=[("c", 0)]), ["c"])
        assert wait_for(lambda: sidecar.activations.rows() == 2 * (2 + 1 + 3))
        batches = sidecar.activations.snapshot()
        assert all("a" not in b.request_ids for b in batches)
        starts = [(s.request_id, s.tenant) for b in batches for s in b.started]
        assert ("b", "team-a") in starts and all(r != "a" for r, _ in starts)

        def dropped(reason: str) -> float:
            value = sidecar.metric(
                "llm_monitor_activations_dropped_total", model_name="tiny-llama", reason=reason
            )
            return value or 0.0

        assert wait_for(lambda: dropped(REASON_OPTED_OUT) == 2 * (4 + 1 + 1))
        assert dropped(LOST_IN_TRANSIT) == 0.0
        np.testing.assert_array_equal(
            batches[-1].token_ids, np.asarray(tokens_of("c")[:3], dtype=np.int64)
        )
    finally:
        if mon.shipper is not None:
            mon.shipper.stop(timeout=5)
