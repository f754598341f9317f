"""Trace updates as RowBinary blocks of the fleet store's tables (:mod:`.schema`).

Tokens are encoded with numpy, all the chunks (one request, one layer each) of a batch
with the same column layout at once: per-chunk key bytes repeated, per-token columns
concatenated and converted whole. Concept ids are
stored ascending with their values aligned (they compress better); padding ids (< 0) are
left out.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from monitor.hub.store import rowbinary as rb
from monitor.hub.store.sql import micros
from monitor.request_ids import external_request_id
from monitor.sidecar.records import Firing
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.severity import severity_rank
from monitor.sidecar.traces.labels import ConceptLabels
from monitor.sidecar.traces.writer import TraceSnapshot

TOKEN_COLUMNS = (
    "first_alert",
    "model_name",
    "request_id",
    "source",
    "layer",
    "position",
    "token_id",
    "segment",
    "scores",
    "concept_ids",
    "concept_values",
    "encoder",
    "text",
)
TRACE_COLUMNS = (
    "first_alert",
    "model_name",
    "request_id",
    "source",
    "version",
    "external_request_id",
    "tenant",
    "first_seen",
    "last_seen",
    "severity",
    "max_score",
    "max_scores",
    "alert_concepts",
    "token_count",
)
ALERT_COLUMNS = (
    "fired_at",
    "model_name",
    "request_id",
    "source",
    "alert_id",
    "concept",
    "rule",
    "severity",
    "score",
    "threshold",
    "position",
    "suppressed",
    "tenant",
    "encoder",
    "top_concept_ids",
    "top_concept_values",
)
LABEL_COLUMNS = ("encoder", "concept_id", "label")


@dataclass(frozen=True)
class TraceRef:
    """Who a row belongs to: the trace's key, encoder and first alert."""

    model_name: str
    request_id: str
    source: str
    encoder: str
    first_alert: float


TokenItem = tuple[TraceRef, RequestTokens, Sequence[str] | None]
"""One chunk to store: whose it is, its tokens, and their text (None: no text)."""


def token_rows(
    ref: TraceRef, chunk: RequestTokens, texts: Sequence[str] | None
) -> tuple[int, bytes]:
    """(rows, RowBinary of ``TOKEN_COLUMNS``) of one chunk."""
    return token_block([(ref, chunk, texts)])


def token_block(items: Sequence[TokenItem]) -> tuple[int, bytes]:
    """(rows, RowBinary of ``TOKEN_COLUMNS``) of many chunks. Chunks with the same column
    layout (probe names, k, text, encoder, segments) are encoded together, so the cost
    per chunk is a few bytes of Python, not a pass over every column."""
    # layout -> (chunk, its text, its rows' key bytes) of each chunk with that layout
    groups: dict[
        tuple[tuple[str, ...], int, bool, str, bool, int],
        list[tuple[RequestTokens, Sequence[str] | None, bytes]],
    ] = {}
    for ref, chunk, texts in items:
        n = len(chunk)
        if n == 0:
            continue
        if texts is not None and len(texts) != n:
            raise ValueError(f"{len(texts)} texts for {n} tokens of {ref.request_id!r}")
        ids, values = chunk.concept_ids, chunk.concept_values
        k = int(ids.shape[1]) if ids is not None and values is not None and ids.ndim == 2 else 0
        prefix = (
            struct.pack("<q", micros(ref.first_alert))
            + rb.string_bytes(ref.model_name)
            + rb.string_bytes(ref.request_id)
            + rb.string_bytes(ref.source)
            + struct.pack("<H", chunk.layer)
        )
        key = (
            tuple(sorted(chunk.scores)),
            k,
            texts is not None,
            ref.encoder,
            chunk.segments is not None,
            len(prefix),  # rows of one width encode without a scatter
        )
        groups.setdefault(key, []).append((chunk, texts, prefix))
    total = 0
    blocks: list[bytes] = []
    for (concepts, k, has_text, encoder, has_segments, width), group in groups.items():
        chunks = [chunk for chunk, _, _ in group]
        sizes = [len(chunk) for chunk in chunks]
        n = sum(sizes)
        keys = np.frombuffer(b"".join(prefix for _, _, prefix in group), np.uint8)
        pieces = [
            rb.Piece(np.repeat(keys.reshape(len(chunks), width), sizes, axis=0)),
            rb.fixed(np.concatenate([c.positions for c in chunks]), "<u4"),
            rb.fixed(np.concatenate([c.token_ids for c in chunks]), "<i4"),
            rb.fixed(np.concatenate([c.segments for c in chunks if c.segments is not None]), "<i1")
            if has_segments
            else rb.const(b"\0", n),
            rb.const(rb.varint(len(concepts)), n),
        ]
        for concept in concepts:
            pieces.append(rb.const(rb.string_bytes(concept), n))
            pieces.append(rb.fixed(np.concatenate([c.scores[concept] for c in chunks]), "<f4"))
        if k:
            pieces += _concepts(
                np.concatenate([c.concept_ids for c in chunks if c.concept_ids is not None]),
                np.concatenate([c.concept_values for c in chunks if c.concept_values is not None]),
            )
        else:
            pieces += [rb.const(b"\0", n), rb.const(b"\0", n)]
        pieces.append(rb.const(rb.string_bytes(encoder), n))
        if has_text:
            pieces.append(
                rb.strings([t for _, texts, _ in group if texts is not None for t in texts])
            )
        else:
            pieces.append(rb.const(b"\0", n))
        total += n
        blocks.append(rb.rows(n, pieces))
    return total, b"".join(blocks)


def _concepts(ids: npt.NDArray[np.int32], values: npt.NDArray[np.float32]) -> list[rb.Piece]:
    """The ``concept_ids`` and ``concept_values`` columns of ``[n, k]`` top-k rows: each
    row's ids ascending (padding last, left out), values aligned."""
    k = ids.shape[1]
    valid = ids >= 0
    # one sort of (id, column) keys gives both the sorted ids and where each came from
    keyed = np.where(valid, ids.astype(np.int64), _PAD) * k + np.arange(k, dtype=np.int64)
    keyed.sort(axis=1)
    order = keyed % k
    sorted_ids = keyed // k
    sorted_values = np.take_along_axis(np.asarray(values, np.float32), order, axis=1)
    counts = valid.sum(axis=1).astype(np.int64)
    return [
        rb.arrays(np.where(sorted_ids < _PAD, sorted_ids, 0), counts, "<u4"),
        rb.arrays(rb.bfloat16(sorted_values), counts, "<u2"),
    ]


_PAD = np.int64(1) << np.int64(40)  # sorts after every real concept id (UInt32)


def trace_row(
    ref: TraceRef,
    snapshot: TraceSnapshot,
    *,
    tenant: str,
    first_seen: float,
    last_seen: float,
) -> bytes:
    """The RowBinary of ``TRACE_COLUMNS`` for one snapshot."""
    out = bytearray(struct.pack("<q", micros(snapshot.first_alert)))
    out += _key(ref)
    out += struct.pack("<I", snapshot.version)
    out += rb.string_bytes(external_request_id(ref.request_id))
    out += rb.string_bytes(tenant)
    out += struct.pack("<qq", micros(first_seen), micros(last_seen))
    out += struct.pack("<bd", severity_rank(snapshot.severity), float(snapshot.max_score))
    out += rb.varint(len(snapshot.max_scores))
    for concept in sorted(snapshot.max_scores):
        out += rb.string_bytes(concept) + struct.pack("<d", float(snapshot.max_scores[concept]))
    out += rb.varint(len(snapshot.alert_concepts))
    for concept in snapshot.alert_concepts:
        out += rb.string_bytes(concept)
    out += struct.pack("<I", snapshot.token_count)
    return bytes(out)


def alert_row(ref: TraceRef, firing: Firing, tenant: str) -> bytes:
    """The RowBinary of ``ALERT_COLUMNS`` for one firing."""
    pairs = [
        (int(i), float(v))
        for i, v in zip(firing.top_concept_ids, firing.top_concept_values, strict=True)
        if i >= 0
    ]
    out = bytearray(struct.pack("<q", micros(firing.fired_at)))
    out += _key(ref)
    out += rb.string_bytes(firing.alert_id)
    out += rb.string_bytes(firing.concept) + rb.string_bytes(firing.rule)
    out += struct.pack("<bdd", severity_rank(firing.severity), firing.score, firing.threshold)
    out += struct.pack("<I?", firing.position, firing.suppressed)
    out += rb.string_bytes(firing.tenant or tenant) + rb.string_bytes(ref.encoder)
    out += rb.varint(len(pairs)) + b"".join(struct.pack("<I", i) for i, _ in pairs)
    out += rb.varint(len(pairs)) + b"".join(struct.pack("<f", v) for _, v in pairs)
    return bytes(out)


def label_rows(labels: ConceptLabels) -> tuple[int, bytes]:
    """(rows, RowBinary of ``LABEL_COLUMNS``) of an encoder's label table."""
    n = len(labels.labels)
    if n == 0:
        return 0, b""
    pieces = [
        rb.const(rb.string_bytes(labels.encoder), n),
        rb.fixed(np.arange(n), "<u4"),
        rb.strings(labels.labels),
    ]
    return n, rb.rows(n, pieces)


def _key(ref: TraceRef) -> bytes:
    return (
        rb.string_bytes(ref.model_name)
        + rb.string_bytes(ref.request_id)
        + rb.string_bytes(ref.source)
    )
