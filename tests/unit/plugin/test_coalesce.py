"""Joining the batches of consecutive steps: same rows, same labels, fewer messages."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.plugin.batch import CapturedBatch
from monitor.plugin.coalesce import MAX_LABELS, MAX_PROMPT_TOKENS, Gather, coalesce, runs

D = 4


def step(
    offset: int,
    rows: dict[str, list[int]],
    *,
    layer: int = 1,
    finished: list[str] | None = None,
    started: list[tuple[str, list[int], str]] | None = None,
    uncaptured: list[tuple[str, int, str]] | None = None,
    opted_out: int = 0,
    end_ns: int = 0,
    dtype: torch.dtype = torch.float32,
) -> CapturedBatch:
    """A batch whose request ``r`` has rows at ``rows[r]`` (positions)."""
    ids = list(rows)
    row_request = np.concatenate(
        [np.full(len(p), i, dtype=np.uint32) for i, p in enumerate(rows.values())]
    )
    positions = np.concatenate([np.asarray(p, dtype=np.uint32) for p in rows.values()])
    n = positions.shape[0]
    gen = torch.Generator().manual_seed(offset)
    return CapturedBatch(
        model_name="m",
        layer=layer,
        activations=torch.randn(n, D, generator=gen).to(dtype),
        row_offset=offset,
        request_ids=ids,
        row_request=row_request,
        positions=positions,
        token_ids=(positions.astype(np.int32) * 7 + offset).astype(np.int32),
        finished_request_ids=finished or [],
        uncaptured=uncaptured or [],
        started=started or [],
        step_end_unix_ns=end_ns,
        step_start_unix_ns=end_ns - 10 if end_ns else 0,
        opted_out_rows=opted_out,
    )


def labelled_rows(
    batches: list[CapturedBatch],
) -> list[tuple[int, str, int, int, tuple[float, ...]]]:
    """Every row as (layer, request, position, token, activation), in order."""
    return [
        (
            b.layer,
            b.request_ids[int(b.row_request[i])],
            int(b.positions[i]),
            int(b.token_ids[i]),
            tuple(b.activations[i].float().tolist()),
        )
        for b in batches
        for i in range(b.rows)
    ]


def test_consecutive_steps_become_one_batch_with_every_label() -> None:
    first = step(
        0,
        {"a": [5], "b": [0, 1, 2]},
        started=[("b", [1, 2, 3], "t")],
        uncaptured=[("b", 1, "prefix_cache")],
        end_ns=1_000,
    )
    second = step(4, {"b": [3], "a": [6]}, finished=["a"], end_ns=2_000)
    third = step(6, {"b": [4], "c": [0]}, finished=["b"], started=[("c", [9], "")], end_ns=3_000)
    (joined,) = coalesce([first, second, third])
    assert joined.row_offset == 0 and joined.rows == 8
    assert joined.request_ids == ["a", "b", "c"]
    assert labelled_rows([joined]) == labelled_rows([first, second, third])
    assert joined.finished_request_ids == ["a", "b"]
    assert joined.started == [("b", [1, 2, 3], "t"), ("c", [9], "")]
    assert joined.uncaptured == [("b", 1, "prefix_cache")]
    # its times are the earliest step's: the lag it shows is its oldest row's
    assert (joined.step_start_unix_ns, joined.step_end_unix_ns) == (990, 1_000)
    assert joined.row_request.dtype == np.uint32


def test_rows_that_do_not_continue_stay_apart() -> None:
    a = step(0, {"a": [0, 1]})
    gap = step(3, {"a": [2]})  # row 2 was dropped in between
    other_layer = step(4, {"a": [3]}, layer=2)
    opted = step(5, {"a": [4]}, layer=2, opted_out=1)  # rows left out at its start
    half = step(6, {"a": [5]}, layer=2, dtype=torch.float16)
    other_model = step(7, {"a": [6]}, layer=2, dtype=torch.float16)
    other_model.model_name = "n"
    wider = step(8, {"a": [7]}, layer=2, dtype=torch.float16)
    wider.activations = torch.zeros(1, D + 1, dtype=torch.float16)
    batches = [a, gap, other_layer, opted, half, other_model, wider]
    assert [len(r) for r in runs(batches)] == [1] * len(batches)
    # each differs from the one before in that one way: without it, they join
    opted.opted_out_rows = 0
    assert [len(r) for r in runs([other_layer, opted])] == [2]
    # alone, a batch is passed on as it is
    assert all(x is y for x, y in zip(coalesce([a, gap]), [a, gap], strict=True))


def test_a_first_batch_with_opted_out_rows_keeps_its_count() -> None:
    first = step(1, {"a": [0]}, opted_out=1)  # claims row 1; row 0 was left out
    (joined,) = coalesce([first, step(2, {"a": [1]})])
    assert joined.opted_out_rows == 1 and joined.row_offset == 1 and joined.rows == 2


def test_two_layers_per_step_interleave_and_stay_apart() -> None:
    # a 2-layer capture: step 1 is rows 0-1 (layer 0) and 2-3 (layer 1), step 2 from 4
    batches = [
        step(0, {"a": [0, 1]}, layer=0),
        step(2, {"a": [0, 1]}, layer=1),
        step(4, {"a": [2]}, layer=0),
        step(5, {"a": [2]}, layer=1),
    ]
    assert all(x is y for x, y in zip(coalesce(batches), batches, strict=True))


def test_labels_and_prompts_are_bounded_per_joined_batch() -> None:
    many = MAX_LABELS // 2 + 1
    first = step(0, {"a": [0]}, finished=[f"f{i}" for i in range(many)])
    second = step(1, {"a": [1]}, finished=[f"g{i}" for i in range(many)])
    assert [len(r) for r in runs([first, second])] == [1, 1]
    # all prompts travel in a joined batch's first message: their tokens are bounded too
    prompt = list(range(MAX_PROMPT_TOKENS // 2 + 1))
    first = step(0, {"a": [0]}, started=[("a", prompt, "")])
    second = step(1, {"b": [0]}, started=[("b", prompt, "")])
    assert [len(r) for r in runs([first, second])] == [1, 1]
    third = step(1, {"c": [0]}, started=[("c", [1, 2], "")])
    assert [len(r) for r in runs([first, third])] == [2]


def test_a_request_computed_again_starts_a_new_batch() -> None:
    # "a" is preempted after position 2 and computed again from its start, in one gather
    batches = [
        step(0, {"a": [0, 1, 2], "b": [7]}),
        step(4, {"a": [3], "b": [8]}),
        step(6, {"b": [9]}),
        step(7, {"a": [0, 1, 2, 3], "b": [10]}),
        step(12, {"a": [4], "b": [11]}),
    ]
    assert [len(r) for r in runs(batches)] == [3, 2]
    first, second = coalesce(batches)
    assert labelled_rows([first, second]) == labelled_rows(batches)
    assert second.row_offset == 7
    # within each, a request's positions never repeat: the sidecar's order is the run's
    for batch in (first, second):
        ids = [batch.request_ids[int(i)] for i in batch.row_request]
        pairs = list(zip(ids, batch.positions.tolist(), strict=True))
        assert len(set(pairs)) == len(pairs)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from("abcde"), min_size=1, max_size=4, unique=True),
            st.integers(0, 2),  # rows skipped before the step (0: it continues)
        ),
        min_size=1,
        max_size=8,
    )
)
def test_joining_never_changes_a_row_or_its_label(
    plan: list[tuple[list[str], int]],
) -> None:
    batches, offset = [], 0
    for position, (requests, gap) in enumerate(plan):
        offset += gap
        batch = step(offset, {r: [position] for r in requests})
        batches.append(batch)
        offset += batch.rows
    joined = coalesce(batches)
    assert labelled_rows(joined) == labelled_rows(batches)
    assert len(joined) == 1 + sum(1 for _, gap in plan[1:] if gap)
    for batch in joined:  # each claims exactly a range of its own rows
        assert batch.row_offset in {b.row_offset for b in batches}
        assert sorted(set(batch.request_ids)) == sorted(batch.request_ids)


def test_the_wait_counts_from_the_first_steps_end_and_is_bounded() -> None:
    gather = Gather(0.04)
    end = 1_000_000_000  # 1.0 s
    assert gather.remaining_s(end, now_unix_s=1.010) == pytest.approx(0.03)
    assert gather.remaining_s(end, now_unix_s=1.050) == 0.0
    assert gather.remaining_s(end, now_unix_s=0.5) == pytest.approx(0.04)  # clock went back
    assert gather.remaining_s(0, now_unix_s=5.0) == pytest.approx(0.04)  # unknown end
    assert Gather(0.0).remaining_s(end, now_unix_s=1.0) == 0.0
    for bad in (
        {"gather_s": -0.01},
        {"gather_s": 0.01, "max_steps": 0},
        {"gather_s": 0.01, "max_rows": 0},
    ):
        with pytest.raises(ValueError, match=r"gather_s|max_steps|max_rows"):
            Gather(**bad)
