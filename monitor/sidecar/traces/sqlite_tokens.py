"""Compact token rows of the SQLite trace store: one row per (trace, position, layer).

A row holds the token id, its segment and text, and three packed little-endian arrays:
``scores`` (float32, one per probe of the row's format), ``concept_ids`` (the encoder's
top-k ids: uint16 when every id of the chunk fits, else uint32; padding left out) and
``concept_values`` (float32, same order). The id width follows from the two lengths. The
row's ``format`` names a ``token_formats`` row: the encoder whose ids the row carries and
the probes, in the order of ``scores``. Labels are not stored per row: readers resolve
them per encoder (:mod:`monitor.sidecar.traces.sqlite_labels`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from google.protobuf.internal.containers import RepeatedCompositeFieldContainer

from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.v1 import query_pb2

SCORE = np.dtype("<f4")
VALUE = np.dtype("<f4")
ID16 = np.dtype("<u2")
ID32 = np.dtype("<u4")

#: The columns of ``tokens`` that ``token_row`` fills and ``read_tokens`` reads, in order.
TOKEN_COLUMNS = (
    "position, layer, token_id, segment, format, scores, concept_ids, concept_values, text"
)

TokenRow = tuple[int, int, int, int, int, bytes, bytes | None, bytes | None, str | None]
"""(position, layer, token_id, segment, format id, scores, ids, values, text)."""

Resolve = Callable[[Mapping[str, set[int]]], Mapping[str, Mapping[int, str]]]
"""{encoder: concept ids} -> {encoder: {id: label}} (missing ids: no label)."""


@dataclass(frozen=True)
class TokenFormat:
    """What a row's packed arrays mean: the encoder of its concept ids ('' when it has
    none) and the probe concepts in the order of its scores."""

    encoder: str
    probes: tuple[str, ...]


def pack_concepts(
    ids: npt.NDArray[np.integer[Any]], values: npt.NDArray[np.floating[Any]]
) -> list[tuple[bytes | None, bytes | None]]:
    """Per row of ``ids`` / ``values`` ([n, k]): (packed ids, packed values), padding
    (negative ids) left out; (None, None) for a row without concepts."""
    ids = np.asarray(ids, dtype=np.int64)
    values = np.asarray(values, dtype=VALUE)
    valid = ids >= 0
    width = ID16 if not valid.any() or int(ids[valid].max()) <= 0xFFFF else ID32
    packed_ids = np.where(valid, ids, 0).astype(width)
    out: list[tuple[bytes | None, bytes | None]] = []
    if bool(valid.all()):
        id_bytes, value_bytes = packed_ids.tobytes(), values.tobytes()
        id_row, value_row = packed_ids.shape[1] * width.itemsize, values.shape[1] * 4
        for i in range(ids.shape[0]):
            out.append(
                (
                    id_bytes[i * id_row : (i + 1) * id_row] or None,
                    value_bytes[i * value_row : (i + 1) * value_row] or None,
                )
            )
        return out
    for i in range(ids.shape[0]):
        keep = valid[i]
        if not keep.any():
            out.append((None, None))
        else:
            out.append((packed_ids[i][keep].tobytes(), values[i][keep].tobytes()))
    return out


def unpack_concepts(ids: bytes | None, values: bytes | None) -> tuple[list[int], list[float]]:
    """The concept ids and values of a row (empty lists for none)."""
    if not ids or not values:
        return [], []
    unpacked = np.frombuffer(values, dtype=VALUE)
    width = ID16 if len(ids) == 2 * unpacked.shape[0] else ID32
    return np.frombuffer(ids, dtype=width).tolist(), unpacked.tolist()


def pack_scores(scores: Sequence[float]) -> bytes:
    """Scores in a format's probe order, packed."""
    return np.asarray(scores, dtype=SCORE).tobytes()


def chunk_rows(
    chunk: RequestTokens, format_id: int, probes: tuple[str, ...], texts: Sequence[str] | None
) -> Iterator[TokenRow]:
    """The rows of one chunk (``probes``: the format's order of ``chunk.scores``)."""
    n = len(chunk)
    width = len(probes) * SCORE.itemsize
    if probes:
        stacked = np.empty((n, len(probes)), dtype=SCORE)
        for j, probe in enumerate(probes):
            stacked[:, j] = chunk.scores[probe]
        score_bytes = stacked.tobytes()
    else:
        score_bytes = b""
    concepts: list[tuple[bytes | None, bytes | None]] = (
        pack_concepts(chunk.concept_ids, chunk.concept_values)
        if chunk.concept_ids is not None and chunk.concept_values is not None
        else [(None, None)] * n
    )
    positions = chunk.positions.tolist()
    token_ids = chunk.token_ids.tolist()
    segments = chunk.segments.tolist() if chunk.segments is not None else [0] * n
    for i in range(n):
        yield (
            positions[i],
            chunk.layer,
            token_ids[i],
            segments[i],
            format_id,
            score_bytes[i * width : (i + 1) * width],
            concepts[i][0],
            concepts[i][1],
            (texts[i] or None) if texts is not None else None,
        )


def chunk_format(chunk: RequestTokens, encoder: str) -> TokenFormat:
    """The format of a chunk's rows (probes sorted; no encoder without concepts)."""
    has_concepts = chunk.concept_ids is not None and chunk.concept_values is not None
    return TokenFormat(encoder if has_concepts else "", tuple(sorted(chunk.scores)))


def format_id(conn: sqlite3.Connection, fmt: TokenFormat) -> int:
    """The id of ``fmt`` in ``token_formats``, added when new (inside the caller's
    transaction)."""
    probes = json.dumps(list(fmt.probes), ensure_ascii=False)
    conn.execute(
        "INSERT OR IGNORE INTO token_formats (encoder, probes) VALUES (?, ?)",
        (fmt.encoder, probes),
    )
    row = conn.execute(
        "SELECT id FROM token_formats WHERE encoder = ? AND probes = ?", (fmt.encoder, probes)
    ).fetchone()
    return int(row[0])


def load_formats(conn: sqlite3.Connection) -> dict[int, TokenFormat]:
    """Every format of the store by id (the table is small)."""
    return {
        int(fid): TokenFormat(str(encoder), tuple(json.loads(probes)))
        for fid, encoder, probes in conn.execute("SELECT id, encoder, probes FROM token_formats")
    }


@dataclass(slots=True)
class _Merged:
    """One position's token while its rows (layers) are read."""

    position: int
    token_id: int
    segment: int
    scores: dict[str, float]
    text: str
    encoder: str
    ids: list[int]
    values: list[float]


def read_tokens(
    rows: Sequence[Sequence[Any]],
    formats: Mapping[int, TokenFormat],
    resolve: Resolve,
    into: RepeatedCompositeFieldContainer[query_pb2.TraceToken],
) -> None:
    """Add to ``into`` the ``TraceToken``s of rows (``TOKEN_COLUMNS``) ordered by position
    and layer; the rows of one position (several layers) merge into one token: scores of
    all, concepts and text of the first row that has them."""
    merged: list[_Merged] = []
    wanted: dict[str, set[int]] = {}
    for position, _, token_id, segment, fid, scores, ids, values, text in rows:
        fmt = formats[fid]
        row_scores = dict(zip(fmt.probes, np.frombuffer(scores, dtype=SCORE).tolist(), strict=True))
        concept_ids, concept_values = unpack_concepts(ids, values)
        if concept_ids:
            wanted.setdefault(fmt.encoder, set()).update(concept_ids)
        if merged and merged[-1].position == position:
            head = merged[-1]
            head.scores.update(row_scores)
            if not head.ids and concept_ids:
                head.encoder, head.ids, head.values = fmt.encoder, concept_ids, concept_values
            head.text = head.text or str(text or "")
            continue
        merged.append(
            _Merged(
                position,
                token_id,
                segment,
                row_scores,
                str(text or ""),
                fmt.encoder,
                concept_ids,
                concept_values,
            )
        )
    labels = resolve(wanted) if wanted else {}
    add = into.add
    for token in merged:
        names = labels.get(token.encoder, {})
        add(  # concepts as dicts: much faster than a message per concept
            position=token.position,
            token_id=token.token_id,
            text=token.text,
            scores=token.scores,
            segment=token.segment,
            concepts=[
                {"id": c, "value": v, "label": names.get(c, "")}
                for c, v in zip(token.ids, token.values, strict=True)
            ],
        )
