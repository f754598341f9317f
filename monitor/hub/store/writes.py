"""Trace updates as RowBinary blocks of the fleet store's tables (:mod:`.schema`).

Tokens are encoded a chunk (one request, one layer) at a time with numpy: a chunk's
constant columns are broadcast, its per-token columns converted whole. Concept ids are
stored ascending with their values aligned (they compress better); padding ids (< 0) are
left out.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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


def token_rows(
    ref: TraceRef, chunk: RequestTokens, texts: Sequence[str] | None
) -> tuple[int, bytes]:
    """(rows, RowBinary of ``TOKEN_COLUMNS``) of one chunk."""
    n = len(chunk)
    if n == 0:
        return 0, b""
    if texts is not None and len(texts) != n:
        raise ValueError(f"{len(texts)} texts for {n} tokens of {ref.request_id!r}")
    prefix = (
        struct.pack("<q", micros(ref.first_alert))
        + rb.string_bytes(ref.model_name)
        + rb.string_bytes(ref.request_id)
        + rb.string_bytes(ref.source)
        + struct.pack("<H", chunk.layer)
    )
    pieces = [
        rb.const(prefix, n),
        rb.fixed(chunk.positions, "<u4"),
        rb.fixed(chunk.token_ids, "<i4"),
        rb.fixed(chunk.segments, "<i1") if chunk.segments is not None else rb.const(b"\0", n),
        rb.const(rb.varint(len(chunk.scores)), n),
    ]
    for concept in sorted(chunk.scores):
        pieces.append(rb.const(rb.string_bytes(concept), n))
        pieces.append(rb.fixed(chunk.scores[concept], "<f4"))
    pieces += _concepts(chunk, n)
    pieces.append(rb.const(rb.string_bytes(ref.encoder), n))
    pieces.append(rb.strings(texts) if texts is not None else rb.const(b"\0", n))
    return n, rb.rows(n, pieces)


def _concepts(chunk: RequestTokens, n: int) -> list[rb.Piece]:
    ids, values = chunk.concept_ids, chunk.concept_values
    if ids is None or values is None or ids.ndim != 2 or ids.shape[1] == 0:
        return [rb.const(b"\0", n), rb.const(b"\0", n)]
    ids64 = ids.astype(np.int64)
    valid = ids64 >= 0
    order = np.argsort(np.where(valid, ids64, np.iinfo(np.int64).max), axis=1, kind="stable")
    sorted_ids = np.take_along_axis(ids64, order, axis=1)
    sorted_values = np.take_along_axis(np.asarray(values, np.float32), order, axis=1)
    counts = valid.sum(axis=1).astype(np.int64)
    return [
        rb.arrays(np.where(sorted_ids >= 0, sorted_ids, 0), counts, "<u4"),
        rb.arrays(rb.bfloat16(sorted_values), counts, "<u2"),
    ]


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
