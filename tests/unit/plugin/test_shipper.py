from __future__ import annotations

import math
import os
import threading
import time
from pathlib import Path

import numpy as np
import torch

from monitor.artifacts.probe_format import Normalization, Probe, save_probe
from monitor.plugin.batch import CapturedBatch, Unshippable
from monitor.plugin.coalesce import Gather
from monitor.plugin.ring import (
    REASON_LABEL_MISMATCH,
    REASON_RING_FULL,
    REASON_SIDECAR_UNAVAILABLE,
)
from monitor.plugin.ship_delay import ShipDelay

from .rigs import (
    RunningSidecar,
    ShipperFactory,
    ShipperRig,
    SidecarFactory,
    unused_port,
    wait_for,
)

MODEL = "tiny-llama"
D = 8
LAYER = 1


def make_batch(
    row_offset: int,
    request_ids: list[str],
    counts: list[int],
    starts: list[int],
    *,
    seed: int = 0,
    finished: list[str] | None = None,
    uncaptured: list[tuple[str, int, str]] | None = None,
    dtype: torch.dtype = torch.float32,
) -> CapturedBatch:
    n = sum(counts)
    gen = torch.Generator().manual_seed(seed)
    row_request = np.repeat(np.arange(len(request_ids), dtype=np.uint32), counts)
    positions = np.concatenate(
        [np.arange(s, s + c) for s, c in zip(starts, counts, strict=True)]
    ).astype(np.uint32)
    return CapturedBatch(
        model_name=MODEL,
        layer=LAYER,
        activations=torch.randn(n, D, generator=gen).to(dtype),
        row_offset=row_offset,
        request_ids=request_ids,
        row_request=row_request,
        positions=positions,
        token_ids=(positions.astype(np.int32) * 3 + 1),
        finished_request_ids=finished or [],
        uncaptured=uncaptured or [],
    )


def put_all(rig: ShipperRig, batches: list[CapturedBatch]) -> None:
    """Queue every batch for the shipper (each must fit in its ring)."""
    for batch in batches:
        assert rig.ring.put(batch, rows=batch.rows)


def assert_arrived_as_sent(received: list, sent: list[CapturedBatch]) -> None:
    """Concatenated received rows equal the sent rows, labels included."""
    got_rows = [
        (b.request_ids[b.row_request[i]], int(b.positions[i]), int(b.token_ids[i]))
        for b in received
        for i in range(b.rows)
    ]
    want_rows = [
        (s.request_ids[s.row_request[i]], int(s.positions[i]), int(s.token_ids[i]))
        for s in sent
        for i in range(s.rows)
    ]
    assert got_rows == want_rows
    got = np.concatenate([b.activations for b in received])
    want = np.concatenate([s.activations.float().numpy() for s in sent])
    np.testing.assert_array_equal(got, want)
    assert all(b.model_name == MODEL and b.layer == LAYER for b in received)
    assert all(b.producer_id == "test-producer" for b in received)


def test_batches_arrive_with_their_labels(
    sidecar_factory: SidecarFactory,
    shipper_factory: ShipperFactory,
) -> None:
    sidecar = sidecar_factory()
    rig = shipper_factory(sidecar.target)
    assert rig.shipper.connected.wait(10)
    sent = [
        make_batch(0, ["a", "b"], [3, 2], [0, 4], seed=1, uncaptured=[("b", 4, "prefix_cache")]),
        make_batch(5, ["b", "a"], [1, 1], [6, 3], seed=2, dtype=torch.bfloat16),
        make_batch(7, ["a"], [1], [4], seed=3, finished=["a", "b"]),
    ]
    put_all(rig, sent)
    assert wait_for(lambda: sidecar.activations.rows() == 8)
    received = sidecar.activations.snapshot()
    assert len(received) == 3
    assert_arrived_as_sent(received, sent)
    assert received[0].uncaptured[0].request_id == "b"
    assert received[0].uncaptured[0].count == 4
    assert received[2].finished_request_ids == ("a", "b")
    assert wait_for(lambda: rig.shipper.batches_sent == 3)
    assert sidecar.metric("llm_monitor_batches_received_total", model_name=MODEL) == 3
    assert rig.drops.snapshot() == {}


def test_hello_carries_capture_ok(
    sidecar_factory: SidecarFactory,
    shipper_factory: ShipperFactory,
) -> None:
    sidecar = sidecar_factory()
    ok = shipper_factory(sidecar.target, layers=(1,), model_name="model-ok")
    bad = shipper_factory(sidecar.target, layers=(2,), model_name="model-bad", capture_ok=False)
    assert ok.shipper.connected.wait(10)
    assert bad.shipper.connected.wait(10)

    def up(model: str, layer: str) -> float | None:
        return sidecar.metric("llm_monitor_capture_up", model_name=model, layer=layer)

    assert wait_for(lambda: up("model-ok", "1") == 1.0 and up("model-bad", "2") == 0.0)
    assert ok.hellos[0].capture_ok
    assert not bad.hellos[0].capture_ok
    assert bad.hellos[0].capture_error == "hooks never fired"


def test_large_batches_are_split_and_reassemble(
    sidecar_factory: SidecarFactory,
    shipper_factory: ShipperFactory,
) -> None:
    sidecar = sidecar_factory()
    rig = shipper_factory(sidecar.target, max_message_bytes=3 * D * 4)
    assert rig.shipper.connected.wait(10)
    batch = make_batch(0, ["a", "b", "c"], [4, 3, 3], [0, 2, 9], finished=["c"])
    rig.ring.put(batch, rows=batch.rows)
    assert wait_for(lambda: sidecar.activations.rows() == 10)
    received = sidecar.activations.snapshot()
    assert [b.rows for b in received] == [3, 3, 3, 1]
    assert_arrived_as_sent(received, [batch])
    assert [b.finished_request_ids for b in received] == [(), (), (), ("c",)]
    assert sidecar.metric(
        "llm_monitor_activations_dropped_total", model_name=MODEL, reason="lost_in_transit"
    ) in (None, 0.0)


def test_without_a_sidecar_batches_are_drained_and_put_never_blocks(
    shipper_factory: ShipperFactory,
) -> None:
    rig = shipper_factory(f"127.0.0.1:{unused_port()}", capacity=4)
    t0 = time.monotonic()
    accepted = 0
    for i in range(10):
        accepted += rig.ring.put(make_batch(i * 2, ["a"], [2], [i * 2]), rows=2)
    assert time.monotonic() - t0 < 0.5
    assert accepted == 4
    assert wait_for(lambda: len(rig.ring) == 0, timeout=10)
    snap = rig.drops.snapshot()
    assert snap[REASON_RING_FULL] == 12
    assert snap[REASON_SIDECAR_UNAVAILABLE] == 8
    assert not rig.shipper.connected.is_set()
    assert rig.shipper.batches_sent == 0


def test_reconnects_when_the_sidecar_comes_up_later(
    sidecar_factory: SidecarFactory,
    shipper_factory: ShipperFactory,
) -> None:
    port = unused_port()
    rig = shipper_factory(f"127.0.0.1:{port}")
    lost = make_batch(0, ["a"], [3], [0])
    rig.ring.put(lost, rows=3)
    assert wait_for(lambda: rig.drops.snapshot().get(REASON_SIDECAR_UNAVAILABLE) == 3)
    assert not rig.shipper.connected.is_set()

    sidecar = sidecar_factory(grpc_address=f"127.0.0.1:{port}")
    assert rig.shipper.connected.wait(15), "the shipper did not reconnect"
    sent = [make_batch(3, ["a"], [1], [3], seed=5), make_batch(4, ["a", "b"], [1, 2], [4, 0])]
    put_all(rig, sent)
    assert wait_for(lambda: sidecar.activations.rows() == 4)
    assert_arrived_as_sent(sidecar.activations.snapshot(), sent)
    # the drop counters travel with the batches
    assert (
        sidecar.metric(
            "llm_monitor_activations_dropped_total",
            model_name=MODEL,
            reason=REASON_SIDECAR_UNAVAILABLE,
        )
        == 3
    )
    assert len(rig.hellos) >= 1 and rig.hellos[-1].capture_ok


def test_finishes_of_batches_dropped_while_the_sidecar_was_away_arrive_later(
    sidecar_factory: SidecarFactory,
    shipper_factory: ShipperFactory,
) -> None:
    port = unused_port()
    rig = shipper_factory(f"127.0.0.1:{port}")
    rig.ring.put(make_batch(0, ["a"], [2], [0], finished=["gone-1", "gone-2"]), rows=2)
    assert wait_for(lambda: rig.drops.snapshot().get(REASON_SIDECAR_UNAVAILABLE) == 2)
    sidecar = sidecar_factory(grpc_address=f"127.0.0.1:{port}")
    assert rig.shipper.connected.wait(15), "the shipper did not reconnect"
    rig.ring.put(make_batch(2, ["b"], [1], [0], finished=["b"]), rows=1)
    assert wait_for(lambda: sidecar.activations.rows() == 1)
    (received,) = sidecar.activations.snapshot()
    assert received.finished_request_ids == ("gone-1", "gone-2", "b")


def restart_sidecar(
    sidecar_factory: SidecarFactory, shipper_factory: ShipperFactory
) -> tuple[RunningSidecar, ShipperRig]:
    """A shipper streaming to a sidecar that is stopped and started again on its port."""
    port = unused_port()
    first = sidecar_factory(grpc_address=f"127.0.0.1:{port}")
    rig = shipper_factory(first.target)
    assert rig.shipper.connected.wait(10)
    rig.ring.put(make_batch(0, ["a"], [2], [0]), rows=2)
    assert wait_for(lambda: first.activations.rows() == 2)
    first.app.stop(grace=0)
    assert wait_for(lambda: not rig.shipper.connected.is_set())
    second = sidecar_factory(grpc_address=f"127.0.0.1:{port}")
    assert rig.shipper.connected.wait(15), "the shipper did not reconnect"
    return second, rig


def test_reconnects_after_the_sidecar_restarts(
    sidecar_factory: SidecarFactory,
    shipper_factory: ShipperFactory,
) -> None:
    second, rig = restart_sidecar(sidecar_factory, shipper_factory)
    later = [make_batch(2 + i, ["a"], [1], [2 + i], seed=i) for i in range(4)]
    for batch in later:
        rig.ring.put(batch, rows=1)
        time.sleep(0.05)
    assert wait_for(lambda: second.activations.rows() >= 3)
    sent_positions = {int(b.positions[0]) for b in later}
    received = second.activations.snapshot()
    assert {int(p) for b in received for p in b.positions} <= sent_positions
    assert len(rig.hellos) >= 2  # a new Hello on every stream


def test_no_batch_is_lost_after_the_sidecar_restarts(
    sidecar_factory: SidecarFactory,
    shipper_factory: ShipperFactory,
) -> None:
    second, rig = restart_sidecar(sidecar_factory, shipper_factory)
    later = [make_batch(2 + i, ["a"], [1], [2 + i], seed=i) for i in range(4)]
    for batch in later:
        rig.ring.put(batch, rows=1)
        time.sleep(0.05)
    wait_for(lambda: second.activations.rows() == 4, timeout=1.5)
    lost = rig.drops.snapshot().get(REASON_SIDECAR_UNAVAILABLE, 0)
    assert second.activations.rows() + lost == 4


def test_stop_flushes_what_is_queued(
    sidecar_factory: SidecarFactory,
    shipper_factory: ShipperFactory,
) -> None:
    sidecar = sidecar_factory()
    rig = shipper_factory(sidecar.target, start=False)
    sent = [make_batch(i, ["a"], [1], [i], seed=i) for i in range(5)]
    for batch in sent:
        rig.ring.put(batch, rows=1)
    rig.shipper.start()
    assert rig.shipper.connected.wait(10)
    rig.shipper.stop(timeout=10)
    assert not rig.shipper._thread.is_alive()
    assert wait_for(lambda: sidecar.activations.rows() == 5)
    assert_arrived_as_sent(sidecar.activations.snapshot(), sent)


def test_scores_from_a_saved_probe_reach_the_sinks(
    tmp_path: Path,
    sidecar_factory: SidecarFactory,
    shipper_factory: ShipperFactory,
) -> None:
    rng = np.random.default_rng(7)
    probe = Probe(
        concept="deception",
        model_name=MODEL,
        layer=LAYER,
        d_model=D,
        normalization=Normalization(mean=[0.0] * D, scale=[1.0] * D),
        weights=rng.normal(size=D).tolist(),
        bias=0.1,
        threshold=0.5,
    )
    save_probe(tmp_path / "deception.probe.json", probe)
    sidecar = sidecar_factory(probe_dir=tmp_path)
    rig = shipper_factory(sidecar.target)
    assert rig.shipper.connected.wait(10)
    batch = make_batch(0, ["r1", "r2"], [3, 2], [0, 5], finished=["r1"])
    rig.ring.put(batch, rows=batch.rows)
    assert wait_for(lambda: len(sidecar.scores.finished) == 1)
    acts = batch.activations.numpy().astype(np.float64)
    logits = acts @ np.asarray(probe.weights) + probe.bias
    want = [1.0 / (1.0 + math.exp(-z)) for z in logits]
    r1 = sidecar.scores.scores_of("r1", "deception")
    r2 = sidecar.scores.scores_of("r2", "deception")
    assert sorted(r1) == [0, 1, 2]
    assert sorted(r2) == [5, 6]
    np.testing.assert_allclose([r1[0], r1[1], r1[2], r2[5], r2[6]], want, rtol=1e-4)
    (result,) = sidecar.scores.finished
    assert result.request_id == "r1"
    assert result.end == "finished"


def test_the_shipper_thread_runs_on_the_cpus_it_is_given(
    shipper_factory: ShipperFactory, sidecar_factory: SidecarFactory
) -> None:
    """A CPU worker binds its main thread to the model's cores; the shipper (and the gRPC
    threads it starts) run where it is told instead, the caller's binding unchanged."""
    sidecar = sidecar_factory()
    before = os.sched_getaffinity(0)
    target = frozenset({min(before)})
    rig = shipper_factory(sidecar.target, cpus=target)
    assert rig.shipper.connected.wait(10)
    native = rig.shipper._thread.native_id
    assert native is not None
    assert os.sched_getaffinity(native) == target
    assert os.sched_getaffinity(0) == before


def ended(batch: CapturedBatch, seconds_ago: float, lasting_s: float) -> CapturedBatch:
    """Give a batch the wall-clock times of a step that ended ``seconds_ago``."""
    batch.step_end_unix_ns = time.time_ns() - int(seconds_ago * 1e9)
    batch.step_start_unix_ns = batch.step_end_unix_ns - int(lasting_s * 1e9)
    return batch


def delayed_rig(
    sidecar_factory: SidecarFactory,
    shipper_factory: ShipperFactory,
    delay: ShipDelay | None = None,
    gather: Gather | None = None,
) -> tuple[RunningSidecar, ShipperRig]:
    """A connected shipper that holds steps by ``delay`` or gathers them, and its sidecar."""
    sidecar = sidecar_factory()
    rig = shipper_factory(sidecar.target, ship_delay=delay, gather=gather)
    assert rig.shipper.connected.wait(10)
    return sidecar, rig


def test_a_step_is_sent_part_way_through_the_next(
    sidecar_factory: SidecarFactory, shipper_factory: ShipperFactory
) -> None:
    sidecar, rig = delayed_rig(sidecar_factory, shipper_factory, ShipDelay(0.5, 5.0))
    batch = ended(make_batch(0, ["a"], [2], [0]), seconds_ago=0.0, lasting_s=1.2)
    assert rig.ring.put(batch, rows=2)
    time.sleep(0.2)
    assert sidecar.activations.rows() == 0  # due 0.6 s after the end of a 1.2 s step
    assert wait_for(lambda: sidecar.activations.rows() == 2, timeout=10, interval=0.005)
    assert time.time_ns() - batch.step_end_unix_ns >= 0.55e9


def test_a_step_due_already_or_of_unknown_times_is_sent_at_once(
    sidecar_factory: SidecarFactory, shipper_factory: ShipperFactory
) -> None:
    sidecar, rig = delayed_rig(sidecar_factory, shipper_factory, ShipDelay(1.0, 60.0))
    late = ended(make_batch(0, ["a"], [2], [0]), seconds_ago=61.0, lasting_s=30.0)
    unknown = make_batch(2, ["a"], [1], [2])  # no step times: nothing to count from
    for batch in (late, unknown):
        assert rig.ring.put(batch, rows=batch.rows)
    # the late one is due already: counted from its end, not from now (30 s later)
    assert wait_for(lambda: sidecar.activations.rows() == 3, timeout=10)


def test_stopping_sends_held_steps_without_waiting_out_the_delay(
    sidecar_factory: SidecarFactory, shipper_factory: ShipperFactory
) -> None:
    sidecar, rig = delayed_rig(sidecar_factory, shipper_factory, ShipDelay(1.0, 60.0))
    batch = ended(make_batch(0, ["a"], [2], [0]), seconds_ago=0.0, lasting_s=60.0)
    assert rig.ring.put(batch, rows=2)
    rig.shipper.stop(timeout=10.0)
    assert not rig.shipper._thread.is_alive()  # it did not sit out the 60 s hold
    assert wait_for(lambda: sidecar.activations.rows() == 2, timeout=10)


def test_steps_ending_close_together_travel_as_one_message(
    sidecar_factory: SidecarFactory, shipper_factory: ShipperFactory
) -> None:
    sidecar, rig = delayed_rig(sidecar_factory, shipper_factory, gather=Gather(0.5))
    sent = [
        make_batch(0, ["a", "b"], [2, 1], [0, 4], seed=1),
        make_batch(3, ["b", "a"], [1, 1], [5, 2], seed=2, finished=["a"]),
        make_batch(5, ["b"], [1], [6], seed=3, finished=["b"]),
    ]
    put_all(rig, sent)
    assert wait_for(lambda: sidecar.activations.rows() == 6)
    received = sidecar.activations.snapshot()
    assert len(received) == 1
    assert_arrived_as_sent(received, sent)
    assert received[0].finished_request_ids == ("a", "b")
    assert sidecar.metric("llm_monitor_batches_received_total", model_name=MODEL) == 1


def test_gathered_steps_around_a_dropped_one_report_its_drop_with_the_next(
    sidecar_factory: SidecarFactory, shipper_factory: ShipperFactory
) -> None:
    sidecar, rig = delayed_rig(sidecar_factory, shipper_factory, gather=Gather(0.5))
    before = make_batch(0, ["a"], [2], [0], seed=1)
    after = make_batch(3, ["a"], [1], [3], seed=2)
    assert rig.ring.put(before, rows=2)
    rig.drops.add(REASON_RING_FULL, 1, offset=2)  # the step thread dropped row 2's step
    assert rig.ring.put(after, rows=1)
    assert wait_for(lambda: sidecar.activations.rows() == 3)
    assert len(sidecar.activations.snapshot()) == 2  # the gap keeps them apart
    dropped = "llm_monitor_activations_dropped_total"
    assert sidecar.metric(dropped, model_name=MODEL, reason=REASON_RING_FULL) == 1
    assert sidecar.metric(dropped, model_name=MODEL, reason="lost_in_transit") in (None, 0.0)


def test_stopping_sends_gathered_steps_without_waiting_out_the_gather(
    sidecar_factory: SidecarFactory, shipper_factory: ShipperFactory
) -> None:
    sidecar, rig = delayed_rig(sidecar_factory, shipper_factory, gather=Gather(60.0))
    assert rig.ring.put(make_batch(0, ["a"], [2], [0]), rows=2)
    time.sleep(0.1)
    assert sidecar.activations.rows() == 0  # held for more steps
    rig.shipper.stop(timeout=10.0)
    assert not rig.shipper._thread.is_alive()
    assert wait_for(lambda: sidecar.activations.rows() == 2, timeout=10)


class UnopenableStep:
    """A step whose rows cannot be sent (its labels disagree): counted when opened."""

    def __init__(self, row_offset: int, rows: int, finished: list[str]) -> None:
        self.row_offset = row_offset
        self.rows = rows
        self.finished_request_ids = finished
        self.started: list = []
        self.step_start_unix_ns = self.step_end_unix_ns = 0
        self.opted_out_rows = 0
        self.released = 0

    def batches(self) -> list[CapturedBatch]:
        raise Unshippable(REASON_LABEL_MISMATCH, self.rows, "labels disagree")

    def release(self) -> None:
        self.released += 1


def test_a_step_that_cannot_be_sent_among_gathered_ones_counts_as_dropped_not_lost(
    sidecar_factory: SidecarFactory, shipper_factory: ShipperFactory
) -> None:
    # the sidecar's first batch of a producer sets its baseline: the unsendable step after
    # it must not be reported with it, or its rows would count as lost in transit too
    sidecar = sidecar_factory()
    rig = shipper_factory(sidecar.target, gather=Gather(0.5), start=False)
    bad = UnopenableStep(2, 1, finished=["b"])
    for item in (make_batch(0, ["a"], [2], [0]), bad, make_batch(3, ["a"], [1], [2])):
        assert rig.ring.put(item, rows=item.rows)
    rig.shipper.start()
    try:
        assert wait_for(lambda: sidecar.activations.rows() == 3)
        dropped = "llm_monitor_activations_dropped_total"
        assert wait_for(
            lambda: sidecar.metric(dropped, model_name=MODEL, reason=REASON_LABEL_MISMATCH) == 1
        )
        assert sidecar.metric(dropped, model_name=MODEL, reason="lost_in_transit") in (None, 0.0)
        assert bad.released == 1
        assert sidecar.activations.snapshot()[-1].finished_request_ids == ("b",)  # carried
    finally:
        rig.shipper.stop(timeout=5.0)


def test_gathering_ends_once_enough_rows_are_held(
    sidecar_factory: SidecarFactory, shipper_factory: ShipperFactory
) -> None:
    sidecar = sidecar_factory()
    rig = shipper_factory(sidecar.target, gather=Gather(0.5, max_rows=3), start=False)
    for i in range(3):  # 2 rows each, one continuing the other
        assert rig.ring.put(make_batch(2 * i, ["a"], [2], [2 * i]), rows=2)
    rig.shipper.start()
    try:
        assert wait_for(lambda: sidecar.activations.rows() == 6)
        # the first two held 4 rows >= 3: the third went alone
        assert [b.rows for b in sidecar.activations.snapshot()] == [4, 2]
    finally:
        rig.shipper.stop(timeout=5.0)


class CountedStep:
    """A labelled step that counts its releases."""

    def __init__(self, batch: CapturedBatch) -> None:
        self.batch = batch
        self.row_offset = batch.row_offset
        self.rows = batch.rows
        self.finished_request_ids = batch.finished_request_ids
        self.started = batch.started
        self.step_start_unix_ns = self.step_end_unix_ns = 0
        self.opted_out_rows = 0
        self.released = 0

    def batches(self) -> list[CapturedBatch]:
        return [self.batch]

    def release(self) -> None:
        self.released += 1


def test_a_gathered_send_cut_short_releases_every_step_and_carries_every_finish(
    shipper_factory: ShipperFactory,
) -> None:
    # three steps, the third after a gap: two messages; gRPC stops pulling after the first
    rig = shipper_factory(f"127.0.0.1:{unused_port()}", gather=Gather(0.5), start=False)
    steps = [
        CountedStep(make_batch(0, ["a"], [2], [0], seed=1, finished=["x"])),
        CountedStep(make_batch(2, ["b"], [1], [0], seed=2, finished=["y"])),
        CountedStep(make_batch(5, ["c"], [1], [0], seed=3, finished=["z"])),
    ]
    done = threading.Event()
    messages = rig.shipper._send(list(steps), done)  # type: ignore[arg-type]
    first = next(messages)
    assert first.batch.shape[0] == 3 and list(first.batch.finished_request_ids) == ["x", "y"]
    messages.close()  # the stream failed: the rest is never pulled
    assert [s.released for s in steps] == [1, 1, 1]
    finished, _ = rig.shipper._outbox.carried
    assert "z" in finished  # never sent: carried to the next batch
    # the next send after the failure carries it, and sends its own rows
    later = CountedStep(make_batch(6, ["d"], [1], [0], seed=4))
    (message,) = list(rig.shipper._send([later], done))  # type: ignore[arg-type]
    assert "z" in message.batch.finished_request_ids and later.released == 1


def test_a_gathered_send_after_the_stream_failed_counts_its_rows_unavailable(
    shipper_factory: ShipperFactory,
) -> None:
    rig = shipper_factory(f"127.0.0.1:{unused_port()}", gather=Gather(0.5), start=False)
    steps = [
        CountedStep(make_batch(0, ["a"], [2], [0], finished=["x"])),
        CountedStep(make_batch(2, ["a"], [1], [2])),
    ]
    done = threading.Event()
    done.set()
    assert list(rig.shipper._send(list(steps), done)) == []  # type: ignore[arg-type]
    assert rig.drops.snapshot().get(REASON_SIDECAR_UNAVAILABLE) == 3
    assert [s.released for s in steps] == [1, 1]
    assert rig.shipper._outbox.carried[0] == ["x"]
