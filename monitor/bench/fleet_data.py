"""Synthetic flagged traces for ``bench fleet``: what a sidecar in hub mode sends.

A trace is ``trace_tokens`` tokens on each of ``layers`` probe layers, arriving as updates
of ``chunk_tokens`` tokens: the first (flagging) update carries the first alert, later
ones the other alerts and more tokens. Every token has the three probes' scores and the
encoder's top-``k`` concept ids (distinct, in ``0..concepts-1``) with their values,
largest first. Rows are drawn from a fixed pool of random rows (``RowPool``), so building
an update costs little next to encoding it. ``TraceStream`` interleaves a window of
traces, as a busy sidecar's outbox does, and gives each update its ``TraceSnapshot``
through the sidecar's own ``Snapshots``.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from monitor.bench.fleet_settings import FleetBenchSettings
from monitor.sidecar.records import Firing
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.severity import SEVERITIES
from monitor.sidecar.traces.labels import ConceptLabels, concept_labels
from monitor.sidecar.traces.snapshots import Snapshots
from monitor.sidecar.traces.writer import TraceUpdate

CONCEPTS = ("deception", "eval_awareness", "misuse")
POOL_ROWS = 8192
VOCAB = 49152
FIRST_LAYER = 15
WINDOW = 16  # traces in flight per stream (their updates interleave)


def model_names(count: int) -> tuple[str, ...]:
    """The served model names the synthetic traces are spread over."""
    return tuple(f"fleet-model-{i}" for i in range(count))


def bench_labels(concepts: int) -> ConceptLabels:
    """The synthetic encoder's label table (its identity is the ``encoder`` of the rows)."""
    return concept_labels([f"concept {i}" for i in range(concepts)])


def topk_ids(rng: np.random.Generator, rows: int, k: int, concepts: int) -> npt.NDArray[np.int32]:
    """``rows`` x ``k`` concept ids, distinct within a row, in ``0..concepts-1``."""
    out = np.empty((rows, k), dtype=np.int32)
    step = max(1, (1 << 22) // concepts)  # rows per block: ~16 MiB of keys
    for start in range(0, rows, step):
        keys = rng.random((min(step, rows - start), concepts), dtype=np.float32)
        out[start : start + keys.shape[0]] = np.argpartition(keys, k - 1, axis=1)[:, :k]
    return out


@dataclass(frozen=True)
class RowPool:
    """Random token rows: ids, per-probe scores in [0, 1], top-k ids and values."""

    token_ids: npt.NDArray[np.int64]  # [n]
    scores: npt.NDArray[np.float32]  # [probes, n]
    concept_ids: npt.NDArray[np.int32]  # [n, k]
    concept_values: npt.NDArray[np.float32]  # [n, k], descending per row

    @classmethod
    def build(cls, k: int, concepts: int, seed: int, rows: int = POOL_ROWS) -> RowPool:
        rng = np.random.default_rng(seed)
        values = np.sort(rng.exponential(1.0, (rows, k)).astype(np.float32), axis=1)[:, ::-1]
        return cls(
            token_ids=rng.integers(0, VOCAB, rows, dtype=np.int64),
            scores=rng.beta(0.6, 4.0, (len(CONCEPTS), rows)).astype(np.float32),
            concept_ids=topk_ids(rng, rows, k, concepts),
            concept_values=np.ascontiguousarray(values),
        )

    def __len__(self) -> int:
        return int(self.token_ids.shape[0])

    def chunk(
        self, model: str, request_id: str, layer: int, positions: range, offset: int
    ) -> RequestTokens:
        """The tokens at ``positions`` of one layer, from pool row ``offset`` on."""
        index = (offset + np.arange(len(positions))) % len(self)
        return RequestTokens(
            model_name=model,
            request_id=request_id,
            layer=layer,
            positions=np.arange(positions.start, positions.stop, dtype=np.int64),
            token_ids=self.token_ids[index],
            scores={c: self.scores[i, index] for i, c in enumerate(CONCEPTS)},
            aggregates={},
            thresholds={},
            concept_ids=self.concept_ids[index],
            concept_values=self.concept_values[index],
        )


def request_id(tag: str, number: int) -> str:
    """A vLLM-like internal request id (unique per ``tag`` and ``number``)."""
    return f"cmpl-{tag}-{number:010d}-0"


class TraceStream:
    """An endless stream of trace updates with snapshots, ``WINDOW`` traces interleaved.

    Times are taken when an update is made: an update made now fired its alerts now.
    """

    def __init__(
        self,
        settings: FleetBenchSettings,
        pool: RowPool,
        tag: str,
        *,
        source: str = "",
        encoder: str = "",
        window: int = WINDOW,
    ) -> None:
        self._s = settings
        self._pool = pool
        self._tag = tag
        self._source = source
        self._encoder = encoder
        self._window = window
        self._models = model_names(settings.models)
        self._snapshots = Snapshots()
        self._active: deque[Iterator[TraceUpdate]] = deque()
        self._next_trace = 0
        self.traces_started = 0

    def updates(self, rows: int) -> list[TraceUpdate]:
        """The next updates, at least ``rows`` token rows together (whole updates)."""
        out: list[TraceUpdate] = []
        total = 0
        while total < rows:
            while len(self._active) < self._window:
                self._active.append(self._trace(self._next_trace))
                self._next_trace += 1
            trace = self._active.popleft()
            update = next(trace, None)
            if update is None:
                continue
            self._active.append(trace)
            out.append(update)
            total += sum(len(chunk) for chunk in update.tokens)
        return out

    def _trace(self, number: int) -> Iterator[TraceUpdate]:
        """The updates of trace ``number``, made one at a time."""
        s = self._s
        self.traces_started += 1
        model = self._models[number % len(self._models)]
        rid = request_id(self._tag, number)
        parts = range(0, s.trace_tokens, s.chunk_tokens)
        alert_at = {(j * len(parts)) // s.alerts_per_trace: j for j in range(s.alerts_per_trace)}
        offset = number * 7919
        first_seen = time.time()
        peak = {c: 0.0 for c in CONCEPTS}
        for u, start in enumerate(parts):
            positions = range(start, min(start + s.chunk_tokens, s.trace_tokens))
            chunks = [
                self._pool.chunk(model, rid, FIRST_LAYER - layer, positions, offset + start)
                for layer in range(s.layers)
            ]
            now = time.time()
            for chunk in chunks:
                for concept, values in chunk.scores.items():
                    peak[concept] = max(peak[concept], float(values.max()))
            alerts = []
            if u in alert_at:
                alerts = [self._firing(number, alert_at[u], model, rid, positions.start, now)]
            update = TraceUpdate(
                model_name=model,
                request_id=rid,
                first_seen=first_seen,
                last_seen=now,
                tokens=chunks,
                alerts=alerts,
                max_scores=dict(peak),
                source=self._source,
                encoder=self._encoder,
            )
            yield self._snapshots.add(update)

    def _firing(
        self, number: int, j: int, model: str, rid: str, position: int, now: float
    ) -> Firing:
        row = (number * 31 + j) % len(self._pool)
        concept = CONCEPTS[(number + j) % len(CONCEPTS)]
        return Firing(
            alert_id=f"{rid}-{j}",
            request_id=rid,
            model_name=model,
            concept=concept,
            rule=f"bench-{concept}",
            severity=SEVERITIES[(number + j) % len(SEVERITIES)],
            score=0.9 + 0.01 * j,
            threshold=0.9,
            position=position,
            fired_at=now,
            top_concept_ids=tuple(int(i) for i in self._pool.concept_ids[row]),
            top_concept_values=tuple(float(v) for v in self._pool.concept_values[row]),
        )


def rows_of(updates: list[TraceUpdate]) -> int:
    """Token rows (token x layer) in ``updates``."""
    return sum(len(chunk) for update in updates for chunk in update.tokens)
