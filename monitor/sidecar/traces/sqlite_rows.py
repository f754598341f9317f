"""Rows of the SQLite trace store: each token row is a serialized ``TraceToken`` (one per
position and layer), merged across layers when read."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from monitor.sidecar.protos import concept_activations
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.v1 import query_pb2


def alert_time(alert: query_pb2.Alert) -> float:
    """When the alert fired, in seconds since the epoch."""
    return alert.fired_at.ToNanoseconds() / 1e9


def merge_layers(into: query_pb2.TraceToken, other: query_pb2.TraceToken) -> None:
    """Fold another layer's row of the same token into ``into``."""
    into.scores.update(other.scores)
    if not into.concepts:
        into.concepts.extend(other.concepts)
    if not into.text:
        into.text = other.text


def token_rows(
    chunks: Sequence[RequestTokens],
    texts_of: Callable[[list[int]], list[str] | None],
    label: Callable[[int], str] | None,
) -> Iterator[tuple[int, int, bytes]]:
    """(position, layer, serialized ``TraceToken``) of every row of ``chunks``; ``texts_of``
    gives the tokens' text (None: none), ``label`` the concepts' labels."""
    for chunk in chunks:
        positions = chunk.positions.tolist()
        token_ids = chunk.token_ids.tolist()
        scores = {concept: values.tolist() for concept, values in chunk.scores.items()}
        texts = texts_of(token_ids)
        ids = chunk.concept_ids.tolist() if chunk.concept_ids is not None else None
        values = chunk.concept_values.tolist() if chunk.concept_values is not None else None
        segments = chunk.segments.tolist() if chunk.segments is not None else None
        for i, position in enumerate(positions):
            token = query_pb2.TraceToken(
                position=position,
                token_id=token_ids[i],
                text=texts[i] if texts is not None else "",
                scores={concept: s[i] for concept, s in scores.items()},
                segment=segments[i] if segments is not None else 0,  # type: ignore[arg-type]
            )
            if ids is not None and values is not None:
                token.concepts.extend(concept_activations(ids[i], values[i], label))
            yield position, chunk.layer, token.SerializeToString()
