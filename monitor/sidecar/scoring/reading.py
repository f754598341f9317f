"""How a probe reads one request: each head folds its in-scope token scores, the heads
combine into the request score.

A head that reads only the prompt (its scope holds no ``reply``) has its final value once
the prompt's last token is read; until then it counts as 0.0, so a rule on it fires at
the end of the prompt on the whole prompt's reading, never on a noisy first few tokens.
Heads that read the reply stream: the request score moves with every generated token.

Streaming and offline scoring share this code: the pipeline feeds a request's tokens as
they arrive, training and evaluation feed a whole request at once
(:func:`score_request`), so a probe is judged exactly as it is served.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from monitor.artifacts.aggregation import Aggregator, make_aggregator
from monitor.artifacts.probe_format import Aggregation, Probe
from monitor.artifacts.segments import scope_mask

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ReadPlan:
    """What a probe reads, prepared once per probe (and rule): per head its segment mask,
    whether it reads only sentence ends, whether it waits for the prompt's end, and its
    aggregation."""

    masks: tuple[npt.NDArray[np.bool_], ...]
    mask_lists: tuple[list[bool], ...]
    sentence_end: tuple[bool, ...]
    waits: tuple[bool, ...]
    aggregations: tuple[Aggregation, ...]
    combine_max: bool

    @classmethod
    def of(cls, probe: Probe, aggregation: Aggregation | None = None) -> ReadPlan:
        """The plan of a probe; ``aggregation`` (a rule's own) replaces the probe's reading
        by that aggregation of the primary head's in-scope tokens."""
        heads = probe.all_heads()
        if aggregation is not None:
            heads = heads[:1]
        masks = tuple(scope_mask(h.scope) for h in heads)
        return cls(
            masks=masks,
            mask_lists=tuple(m.tolist() for m in masks),
            sentence_end=tuple(h.positions == "sentence_end" for h in heads),
            waits=tuple(h.scope is not None and "reply" not in h.scope for h in heads),
            aggregations=tuple(aggregation or h.aggregation for h in heads),
            combine_max=probe.combine == "max",
        )

    @classmethod
    def single(cls, aggregation: Aggregation) -> ReadPlan:
        """One head reading every token with ``aggregation``."""
        masks = (scope_mask(None),)
        return cls(masks, (masks[0].tolist(),), (False,), (False,), (aggregation,), False)


class ProbeReader:
    """One request under one probe, token by token (a :class:`ReadPlan`, or a probe)."""

    def __init__(self, plan: ReadPlan | Probe, aggregation: Aggregation | None = None) -> None:
        if not isinstance(plan, ReadPlan):
            plan = ReadPlan.of(plan, aggregation)
        self._plan = plan
        self._masks = plan.masks
        self._mask_lists = plan.mask_lists
        self._sentence_end = plan.sentence_end
        self._waits = plan.waits
        self._done = False  # the prompt's last token has been read
        self._aggregators: list[Aggregator] = [make_aggregator(a) for a in plan.aggregations]
        self._max = plan.combine_max
        self._read = 0  # tokens read by any head

    @property
    def heads(self) -> int:
        return len(self._aggregators)

    @property
    def count(self) -> int:
        """Tokens read so far by any head (what a rule's ``min_tokens`` counts)."""
        return self._read

    @property
    def value(self) -> float:
        """The request score so far (0.0 before any in-scope token)."""
        values = [
            a.value if a.count and (self._done or not wait) else 0.0
            for a, wait in zip(self._aggregators, self._waits, strict=True)
        ]
        return max(values) if self._max else sum(values) / len(values)

    def in_scope(
        self, segments: npt.NDArray[np.int8], sentence_end: npt.NDArray[np.bool_], head: int = 0
    ) -> npt.NDArray[np.bool_]:
        """Which of these tokens the head reads."""
        mask = self._masks[head][segments]
        if self._sentence_end[head]:
            mask &= sentence_end
        return mask

    def update(
        self,
        head_scores: npt.NDArray[np.float32],
        segments: npt.NDArray[np.int8],
        sentence_end: npt.NDArray[np.bool_],
        prompt_done: npt.NDArray[np.bool_] | None = None,
    ) -> tuple[FloatArray, npt.NDArray[np.int64]]:
        """Feed tokens in position order (``head_scores`` ``[n, heads]``); return the request
        score and the count of tokens read (by any head) after each token. ``prompt_done[i]``: the
        prompt is complete at token i (None: unknown, prompt-only heads stream too)."""
        # Plain Python per token: requests mostly arrive one decoded token at a time, where
        # numpy's per-call overhead would dominate.
        n = int(segments.shape[0])
        scores = head_scores.tolist()
        segs = segments.tolist()
        ends = sentence_end.tolist()
        done_at = [True] * n if prompt_done is None else prompt_done.tolist()
        masks = self._mask_lists
        aggs = self._aggregators
        heads = range(len(aggs))
        running = [0.0] * n
        counts = [0] * n
        for i in range(n):
            seg = segs[i]
            read = False
            for h in heads:
                if masks[h][seg] and (ends[i] or not self._sentence_end[h]):
                    aggs[h].update((scores[i][h],))
                    read = True
            self._read += read
            if done_at[i]:
                self._done = True
            running[i] = self.value
            counts[i] = self._read
        return np.asarray(running, dtype=np.float64), np.asarray(counts, dtype=np.int64)


def score_request(
    probe: Probe,
    head_scores: npt.NDArray[np.float32],
    segments: npt.NDArray[np.int8],
    sentence_end: npt.NDArray[np.bool_],
    prompt_len: int | None = None,
    aggregation: Aggregation | None = None,
) -> float:
    """A whole request's score as alert rules see it: the peak of the running score
    (``prompt_len``: tokens of the prompt; None when unknown)."""
    n = int(segments.shape[0])
    done = None if prompt_len is None else np.arange(n) >= prompt_len - 1
    running, _ = ProbeReader(probe, aggregation).update(head_scores, segments, sentence_end, done)
    return max(0.0, float(running.max())) if n else 0.0
