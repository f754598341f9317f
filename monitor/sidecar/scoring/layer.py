"""One layer's probes over one batch: read every request's new tokens at once, then hand
out what each request's sinks see.

The scoring worker groups a batch's rows by request (position order within each),
finds each request's state, and lets :class:`LayerReadings` do the rest with whole-batch
arrays: segments from the started prompts, which head reads which token, every request
score after every token (:class:`~monitor.sidecar.scoring.table.ReadingTable`), the
in-scope scores the histograms observe, and for the sinks a
:class:`~monitor.sidecar.scoring.token_batch.TokenBatch` of those arrays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from monitor.artifacts.segments import SegmentArray
from monitor.sidecar.ingest.batches import DecodedBatch
from monitor.sidecar.scoring.probe_set import ProbeSet
from monitor.sidecar.scoring.reading import ReadPlan
from monitor.sidecar.scoring.request_state import RequestState, RowGroups, prompt_segments
from monitor.sidecar.scoring.table import ReadingTable
from monitor.sidecar.scoring.token_batch import TokenBatch


@dataclass(frozen=True)
class BatchReading:
    """A batch read under one layer's probes; row arrays are in ``groups.order``."""

    groups: RowGroups
    states: list[RequestState | None]  # per group; None: the request already finished
    positions: npt.NDArray[np.int64]
    segments: SegmentArray
    sentence_end: npt.NDArray[np.bool_]
    prompt_done: npt.NDArray[np.bool_]
    primary: npt.NDArray[np.float32]  # [probes, rows] the primary head's scores
    in_scope: npt.NDArray[np.bool_]  # [rows, heads]
    running: npt.NDArray[np.float64]  # [probes, rows]
    counts: npt.NDArray[np.int64]  # [probes, rows]


class LayerReadings:
    """The probes of one layer and every in-flight request's reading under them. Used by
    the scoring worker under its lock."""

    def __init__(self, probe_set: ProbeSet) -> None:
        self.probe_set = probe_set
        self.concepts: tuple[str, ...] = probe_set.concepts
        self.table = ReadingTable([ReadPlan.of(probe) for probe in probe_set.probes])
        self._primary = np.asarray(self.table.first, dtype=np.intp)
        #: shared by every ``RequestTokens`` of the layer (read-only)
        self.thresholds: dict[str, float] = {p.concept: p.threshold for p in probe_set.probes}

    def read(
        self,
        batch: DecodedBatch,
        groups: RowGroups,
        states: list[RequestState | None],
        scores: npt.NDArray[np.float32],
        sentence_end: npt.NDArray[np.bool_],
    ) -> BatchReading:
        """Read the batch's tokens (``scores``: ``[rows, heads]`` in batch row order) into
        the states' slots (allocated on first use); rows of finished requests are scored
        but change nothing."""
        order = groups.order
        positions = batch.positions[order]
        ends = sentence_end[order]
        head_scores = scores[order]
        segments, prompt_done = prompt_segments(states, groups, positions)
        table = self.table
        in_scope = table.in_scope(segments, ends)
        rows = int(order.shape[0])
        running = np.zeros((len(self.concepts), rows))
        counts = np.zeros((len(self.concepts), rows), dtype=np.int64)
        live, slots = self._slots(batch.layer, states)
        if live:
            live_groups = np.asarray(live, dtype=np.intp)
            live_slots = np.asarray(slots, dtype=np.intp)
            for part in _rounds(slots):
                picked = live_groups[part]
                table.read(
                    live_slots[part],
                    groups.starts[picked],
                    groups.lengths[picked],
                    head_scores,
                    in_scope,
                    prompt_done,
                    running,
                    counts,
                )
        return BatchReading(
            groups=groups,
            states=states,
            positions=positions,
            segments=segments,
            sentence_end=ends,
            prompt_done=prompt_done,
            primary=np.ascontiguousarray(head_scores[:, self._primary].T),
            in_scope=in_scope,
            running=running,
            counts=counts,
        )

    def _slots(self, layer: int, states: list[RequestState | None]) -> tuple[list[int], list[int]]:
        """The groups of requests still in flight, and each one's slot in the table
        (allocated on a request's first token of the layer)."""
        alive = [state for state in states if state is not None]
        if len(alive) == len(states):
            live = list(range(len(states)))
        else:
            live = [g for g, state in enumerate(states) if state is not None]
        slots = [state.slots.get(layer, -1) for state in alive]
        if -1 in slots:
            for i, slot in enumerate(slots):
                if slot == -1:
                    own = alive[i].slots
                    if layer not in own:  # (a request named twice gets one slot)
                        own[layer] = self.table.add()
                    slots[i] = own[layer]
        return live, slots

    def observed(self, reading: BatchReading) -> Iterator[tuple[str, npt.NDArray[np.float32]]]:
        """Each probe's in-scope primary-head scores of the batch, in sorted row order."""
        for p, concept in enumerate(self.concepts):
            yield concept, reading.primary[p][reading.in_scope[:, self.table.first[p]]]

    def token_batch(
        self,
        batch: DecodedBatch,
        reading: BatchReading,
        concept_ids: npt.NDArray[np.int32] | None,
        concept_values: npt.NDArray[np.float32] | None,
        activations: npt.NDArray[np.float32] | None = None,
    ) -> TokenBatch | None:
        """The groups of requests still in flight, as sinks see them (None: there are
        none); rows of finished requests are left out. ``activations``: the batch's rows,
        passed on when the concept encoder is deferred to the sinks."""
        groups = reading.groups
        live = [g for g, state in enumerate(reading.states) if state is not None]
        if not live:
            return None
        states = [s for s in reading.states if s is not None]
        starts, lengths = groups.starts, groups.lengths
        order = groups.order
        rows: slice | npt.NDArray[np.intp] = slice(None)
        if len(live) < len(groups):  # keep the rows of live groups only
            starts, lengths = starts[live], lengths[live]
            rows = np.concatenate(
                [
                    np.arange(a, a + n)
                    for a, n in zip(starts.tolist(), lengths.tolist(), strict=True)
                ]
            )
            order = order[rows]
            starts = (np.cumsum(lengths) - lengths).astype(np.intp)
        concepts = self.concepts
        return TokenBatch(
            model_name=batch.model_name,
            layer=batch.layer,
            request_ids=tuple(batch.request_ids[r] for r in groups.request[live].tolist()),
            tenants=tuple(s.tenant for s in states),
            has_prompt=tuple(s.prompt is not None for s in states),
            starts=starts,
            lengths=lengths,
            positions=reading.positions[rows],
            token_ids=batch.token_ids[order],
            scores={c: reading.primary[p][rows] for p, c in enumerate(concepts)},
            thresholds=self.thresholds,
            segments=reading.segments[rows],
            sentence_end=reading.sentence_end[rows],
            prompt_done=reading.prompt_done[rows],
            running={c: reading.running[p][rows] for p, c in enumerate(concepts)},
            counts={c: reading.counts[p][rows] for p, c in enumerate(concepts)},
            concept_ids=concept_ids[order] if concept_ids is not None else None,
            concept_values=concept_values[order] if concept_values is not None else None,
            activations=activations[order] if activations is not None else None,
        )

    def scores(self, slot: int) -> tuple[dict[str, float], dict[str, int]]:
        """A request's score and read count per concept."""
        table = self.table
        return (
            dict(zip(self.concepts, table.values(slot), strict=True)),
            dict(zip(self.concepts, table.counts(slot), strict=True)),
        )


def _rounds(slots: list[int]) -> list[slice | list[int]]:
    """Indices into ``slots`` (one per live group) split so that no slot appears twice in
    a part, each slot's groups in order across parts (a request named twice in one batch's
    ``request_ids``); one part of them all, ``slice(None)``, when no slot repeats."""
    if len(set(slots)) == len(slots):
        return [slice(None)]
    parts: list[list[int]] = []
    seen: dict[int, int] = {}
    for i, slot in enumerate(slots):
        k = seen.get(slot, 0)
        seen[slot] = k + 1
        if k == len(parts):
            parts.append([])
        parts[k].append(i)
    return list(parts)
