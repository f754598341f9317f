"""``ReadingTable`` reads a batch of many requests exactly as ``ProbeReader`` reads each one
token by token: same running scores, read counts and final values, bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.artifacts.probe_format import Aggregation
from monitor.artifacts.segment_names import SEGMENT_NAMES
from monitor.artifacts.segments import scope_mask
from monitor.sidecar.scoring.reading import ProbeReader, ReadPlan
from monitor.sidecar.scoring.table import MIN_SLOTS, ReadingTable

_aggregations = st.one_of(
    st.just(Aggregation(method="mean")),
    st.just(Aggregation(method="max")),
    st.floats(0.05, 1.0).map(lambda a: Aggregation(method="ema", alpha=a)),
    st.integers(1, 5).map(lambda w: Aggregation(method="max_rolling_mean", window=w)),
)
_scopes = st.one_of(
    st.none(), st.lists(st.sampled_from(SEGMENT_NAMES), min_size=1, max_size=4, unique=True)
)


@st.composite
def _plan(draw: st.DrawFn) -> ReadPlan:
    heads = draw(st.integers(1, 3))
    masks = tuple(scope_mask(draw(_scopes)) for _ in range(heads))
    return ReadPlan(
        masks=masks,
        mask_lists=tuple(m.tolist() for m in masks),
        sentence_end=tuple(draw(st.booleans()) for _ in range(heads)),
        waits=tuple(draw(st.booleans()) for _ in range(heads)),
        aggregations=tuple(draw(_aggregations) for _ in range(heads)),
        combine_max=draw(st.booleans()),
    )


# scores as the probes produce them: float32 in [0, 1], the ends included
_score = st.one_of(st.sampled_from([0.0, 1.0, 0.5]), st.floats(0.0, 1.0, width=32))


Chunk = tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@st.composite
def _batches(draw: st.DrawFn, heads: int) -> list[list[Chunk]]:
    """Batches; each a list of (request, scores [n, heads], segments, ends, prompt_done)."""
    out: list[list[Chunk]] = []
    for _ in range(draw(st.integers(1, 6))):
        requests = draw(st.lists(st.integers(0, 4), min_size=1, max_size=5, unique=True))
        batch: list[Chunk] = []
        for request in requests:
            n = draw(st.one_of(st.just(1), st.integers(1, 12)))
            scores = np.array(
                draw(st.lists(_score, min_size=n * heads, max_size=n * heads)), dtype=np.float32
            ).reshape(n, heads)
            segments = np.array(
                draw(st.lists(st.integers(0, len(SEGMENT_NAMES) - 1), min_size=n, max_size=n)),
                dtype=np.int8,
            )
            ends = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
            done = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
            batch.append((request, scores, segments, ends, done))
        out.append(batch)
    return out


@st.composite
def _case(draw: st.DrawFn) -> tuple[list[ReadPlan], list[list[Chunk]]]:
    plans = draw(st.lists(_plan(), min_size=1, max_size=3))
    heads = sum(len(p.masks) for p in plans)
    return plans, draw(_batches(heads))


@settings(max_examples=200, deadline=None)
@given(_case(), st.integers(0, 3))
def test_table_reads_like_the_token_loop(case: tuple, finish_every: int) -> None:
    plans, batches = case
    table = ReadingTable(plans)
    first = table.first
    bounds = [*first, table.heads]
    slots: dict[int, int] = {}
    readers: dict[int, list[ProbeReader]] = {}
    for number, batch in enumerate(batches):
        scores = np.concatenate([b[1] for b in batch])
        segments = np.concatenate([b[2] for b in batch])
        ends = np.concatenate([b[3] for b in batch])
        done = np.concatenate([b[4] for b in batch])
        lengths = np.array([len(b[2]) for b in batch], dtype=np.intp)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
        for request, *_ in batch:
            if request not in slots:
                slots[request] = table.add()
                readers[request] = [ProbeReader(plan) for plan in plans]
        rows = int(lengths.sum())
        running = np.full((len(plans), rows), np.nan)
        counts = np.full((len(plans), rows), -1, dtype=np.int64)
        mask = table.in_scope(segments, ends)
        table.read(
            np.array([slots[b[0]] for b in batch], dtype=np.intp),
            starts,
            lengths,
            scores,
            mask,
            done,
            running,
            counts,
        )
        for (request, s, seg, e, d), a, n in zip(batch, starts, lengths, strict=True):
            for p, reader in enumerate(readers[request]):
                expected, read = reader.update(s[:, bounds[p] : bounds[p + 1]], seg, e, d)
                np.testing.assert_array_equal(running[p, a : a + n], expected)
                np.testing.assert_array_equal(counts[p, a : a + n], read)
                primary = mask[a : a + n, first[p]]
                np.testing.assert_array_equal(primary, reader.in_scope(seg, e))
        for request, slot in slots.items():
            assert table.values(slot) == [r.value for r in readers[request]]
            assert table.counts(slot) == [r.count for r in readers[request]]
        if finish_every and number % finish_every == 0:  # a request ends, its slot is reused
            request = min(slots)
            table.remove(slots.pop(request))
            del readers[request]


def test_slots_are_reused_and_grow() -> None:
    plan = ReadPlan.single(Aggregation(method="mean"))
    table = ReadingTable([plan])
    slots = [table.add() for _ in range(MIN_SLOTS + 3)]
    assert len(set(slots)) == len(slots) == len(table)
    table.remove(slots[5])
    assert table.add() == slots[5]
    assert table.values(slots[5]) == [0.0] and table.counts(slots[5]) == [0]
