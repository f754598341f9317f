"""``DeferredConcepts``: the trace sink's concept encoders for ``encoder_scope: flagged``.

With deferred concepts, tokens reach the trace sink with their activation rows instead of
the encoder's output; the encoder runs (per layer) only on what the sink keeps: a trace's
tokens when they go to the store and the token where a rule fired (for the alert's top
concepts). The rest of the traffic is never encoded. Kept apart from the sink's buffering
and publishing: these helpers only turn rows into concepts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import numpy as np
import numpy.typing as npt

from monitor.sidecar.records import Firing
from monitor.sidecar.scoring.concepts import ConceptEncoder
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.scoring.token_batch import TokenBatch

Encoded = tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]


class DeferredConcepts:
    """Encodes deferred activation rows with the layer's encoder; a failing encoder is
    reported to ``on_error`` (model name, exception) and its rows carry no concepts."""

    def __init__(
        self,
        encoders: Mapping[int, ConceptEncoder],
        on_error: Callable[[str, BaseException], None],
    ) -> None:
        self._encoders = dict(encoders)
        self._on_error = on_error

    def encode(self, model_name: str, layer: int, rows: npt.NDArray[np.float32]) -> Encoded | None:
        """The deferred encoder's output for ``rows`` of ``layer`` (None: no encoder for
        it, or it failed: reported to ``on_error``)."""
        encoder = self._encoders.get(layer)
        if encoder is None or not len(rows):
            return None
        try:
            return encoder.encode(np.ascontiguousarray(rows, dtype=np.float32))
        except Exception as exc:
            self._on_error(model_name, exc)
            return None

    def encoded(self, batch: TokenBatch, groups: list[int]) -> TokenBatch:
        """The batch with the deferred rows of ``groups`` encoded in one call and no
        activations (the other groups' rows carry no concepts: they are not kept)."""
        if not groups:
            return dataclasses.replace(batch, activations=None)
        assert batch.activations is not None
        starts, lengths = batch.starts, batch.lengths
        rows = np.concatenate([np.arange(starts[g], starts[g] + lengths[g]) for g in groups])
        encoded = self.encode(batch.model_name, batch.layer, batch.activations[rows])
        if encoded is None:
            return dataclasses.replace(batch, activations=None)
        ids = np.zeros((batch.rows, encoded[0].shape[1]), dtype=encoded[0].dtype)
        values = np.zeros((batch.rows, encoded[1].shape[1]), dtype=encoded[1].dtype)
        ids[rows], values[rows] = encoded
        return dataclasses.replace(batch, activations=None, concept_ids=ids, concept_values=values)

    def with_concepts(self, chunk: RequestTokens) -> RequestTokens:
        """A chunk bound for the store: its deferred rows encoded, the rows dropped."""
        if chunk.activations is None:
            return chunk
        encoded = self.encode(chunk.model_name, chunk.layer, chunk.activations)
        ids, values = encoded if encoded is not None else (None, None)
        return dataclasses.replace(chunk, activations=None, concept_ids=ids, concept_values=values)

    def with_top_concepts(self, firings: list[Firing], tokens: RequestTokens) -> list[Firing]:
        """Firings (the rule engine saw no concepts: they are deferred) with the top
        concepts of the token they fired at: from ``tokens``' encoded rows, else encoded
        now."""
        if not firings:
            return firings
        where = {int(p): i for i, p in enumerate(tokens.positions.tolist())}
        rows = [where[f.position] for f in firings if f.position in where]
        encoded: Encoded | None = None
        if rows and tokens.concept_ids is not None and tokens.concept_values is not None:
            encoded = tokens.concept_ids[rows], tokens.concept_values[rows]
        elif rows and tokens.activations is not None:
            encoded = self.encode(tokens.model_name, tokens.layer, tokens.activations[rows])
        if encoded is None:
            return firings
        ids, values = encoded
        out: list[Firing] = []
        k = 0
        for firing in firings:
            if firing.position not in where:
                out.append(firing)
                continue
            out.append(
                dataclasses.replace(
                    firing,
                    top_concept_ids=tuple(int(i) for i in ids[k]),
                    top_concept_values=tuple(float(v) for v in values[k]),
                )
            )
            k += 1
        return out
