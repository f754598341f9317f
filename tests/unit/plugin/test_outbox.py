from __future__ import annotations

import numpy as np
import torch

from monitor.plugin.batch import FINISHED_PER_BATCH, CapturedBatch, Unshippable
from monitor.plugin.outbox import MAX_CARRIED_STARTED, Outbox
from monitor.plugin.ring import REASON_LABEL_MISMATCH, REASON_PLUGIN_ERROR, DropCounters


def batch(
    layer: int = 1, finished: list[str] | None = None, started: list | None = None
) -> CapturedBatch:
    return CapturedBatch(
        model_name="m",
        layer=layer,
        activations=torch.zeros(2, 4),
        row_offset=0,
        request_ids=["a"],
        row_request=np.zeros(2, dtype=np.uint32),
        positions=np.arange(2, dtype=np.uint32),
        token_ids=np.arange(2, dtype=np.int32),
        finished_request_ids=finished or [],
        started=started or [],
    )


class Step:
    """An Outgoing whose rows are bad, or whose opening fails unexpectedly."""

    def __init__(
        self, error: Exception, finished: list[str], started: list, layers: int = 2
    ) -> None:
        self.error = error
        self.finished_request_ids = finished
        self.started = started
        self.rows = 3 * layers
        self.row_offset = 0
        self.opted_out_rows = 0
        self.released = 0

    def batches(self) -> list[CapturedBatch]:
        raise self.error

    def release(self) -> None:
        self.released += 1


class TwoLayers:
    """An Outgoing of two layer batches."""

    def __init__(self) -> None:
        self.parts = [batch(0, started=[("s", [1])]), batch(1, ["own"], [("s", [1])])]
        self.finished_request_ids = ["own"]
        self.started = [("s", [1])]
        self.rows = 4
        self.row_offset = 0
        self.opted_out_rows = 0

    def batches(self) -> list[CapturedBatch]:
        return list(self.parts)

    def release(self) -> None:
        pass


def test_dropped_rows_are_counted_and_their_finishes_go_with_the_last_layer_next() -> None:
    drops = DropCounters()
    outbox = Outbox(drops)
    bad = Step(Unshippable(REASON_LABEL_MISMATCH, 6, "positions disagree"), ["f1"], [("p", [7])])
    assert outbox.unpack(bad) == []
    assert drops.snapshot() == {REASON_LABEL_MISMATCH: 6}
    assert bad.released == 0  # the caller releases
    assert outbox.carried == (["f1"], [("p", [7])])
    first, last = outbox.unpack(TwoLayers())
    assert first.finished_request_ids == [] and last.finished_request_ids == ["f1", "own"]
    assert first.started == [("p", [7]), ("s", [1])]  # prompts go first, with the first
    assert last.started == [("s", [1])]
    assert outbox.carried == ([], [])


def test_an_unexpected_error_is_a_plugin_error_and_keeps_the_finishes() -> None:
    drops = DropCounters()
    outbox = Outbox(drops)
    assert outbox.unpack(Step(RuntimeError("bug"), ["f"], [], layers=1)) == []
    assert drops.snapshot() == {REASON_PLUGIN_ERROR: 3}
    (sent,) = outbox.unpack(batch(finished=["g"]))
    assert sent.finished_request_ids == ["f", "g"]


def test_discarded_items_are_released_and_what_they_carry_is_kept() -> None:
    outbox = Outbox(DropCounters())
    items = [Step(RuntimeError(), [f"f{i}"], [(f"s{i}", [i])]) for i in range(3)]
    outbox.discard(items)
    assert [item.released for item in items] == [1, 1, 1]
    assert outbox.carried == (["f0", "f1", "f2"], [("s0", [0]), ("s1", [1]), ("s2", [2])])


def test_carried_finishes_are_spread_so_no_message_exceeds_the_limit() -> None:
    outbox = Outbox(DropCounters())
    many = [f"r{i}" for i in range(2 * FINISHED_PER_BATCH + 5)]
    outbox.carry(many, [(f"s{i}", [i]) for i in range(MAX_CARRIED_STARTED + 7)])
    sizes = []
    delivered: list[str] = []
    for _ in range(3):
        (sent,) = outbox.unpack(batch(finished=["own"]))
        sizes.append(len(sent.finished_request_ids))
        delivered += sent.finished_request_ids
    assert sizes == [FINISHED_PER_BATCH + 1, FINISHED_PER_BATCH + 1, 6]
    assert [r for r in delivered if r != "own"] == many  # in order, none lost
    assert outbox.carried == ([], [])
    outbox.carry([], [(f"s{i}", [i]) for i in range(MAX_CARRIED_STARTED + 7)])
    assert len(outbox.carried[1]) == MAX_CARRIED_STARTED  # bounded, oldest forgotten
    assert outbox.carried[1][0] == ("s7", [7])


def test_partly_sent_batches_carry_their_finishes_again() -> None:
    outbox = Outbox(DropCounters())
    parts = TwoLayers().batches()
    outbox.keep_unsent(parts)
    assert outbox.carried == (["own"], [("s", [1])])
    outbox.keep_unsent([])
    assert outbox.carried == (["own"], [("s", [1])])
