"""``TokenBatch``: the scored tokens of every in-flight request of one batch (one layer).

The scoring worker reads a batch with whole-batch arrays; a sink that can work the same
way (``ScoreSink.takes_batches``) receives them as one ``TokenBatch`` instead of one
``RequestTokens`` per request. Rows are grouped by request, in position order within
each group, and the groups cover every row in order: group ``g`` is rows
``starts[g] : starts[g] + lengths[g]``, and
:meth:`TokenBatch.request` is exactly the ``RequestTokens`` a per-request sink gets for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from monitor.sidecar.scoring.sinks import RequestTokens

IndexArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class TokenBatch:
    """Whole-batch arrays of :class:`RequestTokens` fields (see there), rows grouped by
    request. ``prompt_done`` is True on rows of requests without a known prompt (whose
    ``RequestTokens.prompt_done`` is None: ``has_prompt`` tells them apart)."""

    model_name: str
    layer: int
    request_ids: tuple[str, ...]  # per group
    tenants: tuple[str, ...]  # per group
    has_prompt: tuple[bool, ...]  # per group
    starts: IndexArray  # per group
    lengths: IndexArray  # per group
    positions: npt.NDArray[np.int64]
    token_ids: npt.NDArray[np.int64]
    scores: Mapping[str, npt.NDArray[np.float32]]
    thresholds: Mapping[str, float]
    segments: npt.NDArray[np.int8]
    sentence_end: npt.NDArray[np.bool_]
    prompt_done: npt.NDArray[np.bool_]
    running: Mapping[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    counts: Mapping[str, npt.NDArray[np.int64]] = field(default_factory=dict)
    concept_ids: npt.NDArray[np.int32] | None = None
    concept_values: npt.NDArray[np.float32] | None = None
    activations: npt.NDArray[np.float32] | None = None  # deferred concepts (RequestTokens)
    #: per-group ``RequestTokens.aggregates``; None: the last running score of each group
    aggregates: tuple[Mapping[str, float], ...] | None = None
    #: per-group ``RequestTokens`` fields that were None (a batch made of one ``of``)
    missing: frozenset[str] = frozenset()

    def __len__(self) -> int:
        """Groups (requests)."""
        return len(self.request_ids)

    @property
    def rows(self) -> int:
        return int(self.positions.shape[0])

    def unique(self) -> bool:
        """Every request has one group."""
        return len(set(self.request_ids)) == len(self.request_ids)

    def request(self, g: int) -> RequestTokens:
        """The ``RequestTokens`` of group ``g`` (views into the batch's arrays)."""
        a = int(self.starts[g])
        b = a + int(self.lengths[g])
        running = self.running
        missing = self.missing
        ids, values = self.concept_ids, self.concept_values
        return RequestTokens(
            model_name=self.model_name,
            request_id=self.request_ids[g],
            layer=self.layer,
            positions=self.positions[a:b],
            token_ids=self.token_ids[a:b],
            scores={c: v[a:b] for c, v in self.scores.items()},
            aggregates=self.request_aggregates(g),
            thresholds=self.thresholds,
            concept_ids=ids[a:b] if ids is not None else None,
            concept_values=values[a:b] if values is not None else None,
            segments=None if "segments" in missing else self.segments[a:b],
            running={c: v[a:b] for c, v in running.items()},
            counts={c: v[a:b] for c, v in self.counts.items()},
            sentence_end=None if "sentence_end" in missing else self.sentence_end[a:b],
            prompt_done=self.prompt_done[a:b] if self.has_prompt[g] else None,
            tenant=self.tenants[g],
            activations=self.activations[a:b] if self.activations is not None else None,
        )

    def request_aggregates(self, g: int) -> Mapping[str, float]:
        """Group ``g``'s ``RequestTokens.aggregates``: each request score after its last
        token."""
        if self.aggregates is not None:
            return self.aggregates[g]
        last = int(self.starts[g]) + int(self.lengths[g]) - 1
        return {c: float(v[last]) for c, v in self.running.items()}

    @classmethod
    def of(cls, tokens: RequestTokens) -> TokenBatch:
        """One request's tokens as a batch of one group (absent segments read as unknown,
        absent sentence ends as none, an absent ``prompt_done`` as a complete prompt);
        raises ``ValueError`` when a concept's scores do not have one per token."""
        n = len(tokens)
        for concept, values in tokens.scores.items():
            if values.shape[0] != n:
                raise ValueError(f"{values.shape[0]} scores of {concept!r} for {n} tokens")
        missing = frozenset(
            name for name in ("segments", "sentence_end") if getattr(tokens, name) is None
        )
        return cls(
            model_name=tokens.model_name,
            layer=tokens.layer,
            request_ids=(tokens.request_id,),
            tenants=(tokens.tenant,),
            has_prompt=(tokens.prompt_done is not None,),
            starts=np.zeros(1, dtype=np.intp),
            lengths=np.full(1, n, dtype=np.intp),
            positions=tokens.positions,
            token_ids=tokens.token_ids,
            scores=tokens.scores,
            thresholds=tokens.thresholds,
            segments=(
                tokens.segments if tokens.segments is not None else np.zeros(n, dtype=np.int8)
            ),
            sentence_end=(
                tokens.sentence_end
                if tokens.sentence_end is not None
                else np.zeros(n, dtype=np.bool_)
            ),
            prompt_done=(
                tokens.prompt_done if tokens.prompt_done is not None else np.ones(n, np.bool_)
            ),
            running=tokens.running,
            counts=tokens.counts,
            concept_ids=tokens.concept_ids,
            concept_values=tokens.concept_values,
            activations=tokens.activations,
            aggregates=(tokens.aggregates,),
            missing=missing,
        )
