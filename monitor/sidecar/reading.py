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

import numpy as np
import numpy.typing as npt

from monitor.artifacts.segments import scope_mask
from monitor.sidecar.aggregate import Aggregator, make_aggregator
from monitor.sidecar.probes import Aggregation, Probe

FloatArray = npt.NDArray[np.float64]


class ProbeReader:
    """One request under one probe, token by token.

    ``aggregation`` (a rule's own) replaces the probe's reading by that aggregation of the
    primary head's in-scope tokens; by default every head is read as the probe says.
    """

    def __init__(self, probe: Probe, aggregation: Aggregation | None = None) -> None:
        heads = probe.all_heads()
        if aggregation is not None:
            heads = heads[:1]
        self._masks = [scope_mask(h.scope) for h in heads]
        self._sentence_end = [h.positions == "sentence_end" for h in heads]
        self._waits = [h.scope is not None and "reply" not in h.scope for h in heads]
        self._done = False  # the prompt's last token has been read
        self._aggregators: list[Aggregator] = [
            make_aggregator(aggregation if aggregation is not None else h.aggregation)
            for h in heads
        ]
        self._max = probe.combine == "max"

    @property
    def heads(self) -> int:
        return len(self._aggregators)

    @property
    def count(self) -> int:
        """Tokens the primary head has read."""
        return self._aggregators[0].count

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
        score and the primary head's token count after each token. ``prompt_done[i]``: the
        prompt is complete at token i (None: unknown, prompt-only heads stream too)."""
        n = int(segments.shape[0])
        done = (
            np.ones(n, dtype=np.bool_)
            if prompt_done is None
            else np.logical_or(prompt_done, self._done)
        )
        per_head = np.empty((self.heads, n), dtype=np.float64)
        counts = np.empty(n, dtype=np.int64)
        for h, agg in enumerate(self._aggregators):
            before = agg.value if agg.count else 0.0
            count_before = agg.count
            idx = np.flatnonzero(self.in_scope(segments, sentence_end, h))
            values = np.full(n, np.nan)
            for i, s in zip(idx.tolist(), head_scores[idx, h].tolist(), strict=True):
                values[i] = agg.update((s,))
            per_head[h] = _forward_fill(values, before)
            if self._waits[h]:
                per_head[h][~done] = 0.0
            if h == 0:
                seen = np.zeros(n, dtype=np.int64)
                seen[idx] = 1
                counts[:] = count_before + np.cumsum(seen)
        if n and done[-1]:
            self._done = True
        running = per_head.max(axis=0) if self._max else per_head.mean(axis=0)
        return running, counts


def _forward_fill(values: FloatArray, first: float) -> FloatArray:
    """NaNs replaced by the last value before them (``first`` before any)."""
    if values.size == 0:
        return values
    ok = ~np.isnan(values)
    idx = np.where(ok, np.arange(values.size), -1)
    np.maximum.accumulate(idx, out=idx)
    return np.where(idx >= 0, values[np.maximum(idx, 0)], first)


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
