"""Paced synthetic decode traffic for ``bench sidecar``: one producer's ``Ingest`` stream.

A producer keeps up to ``batch`` requests in flight. Slot ``i`` runs its requests one
after another, its first starting ``tokens - i * tokens / batch`` steps in (slot 0 at
once), so that requests start and finish at every step once all slots run. A request's
first step carries its prompt (``prompt_tokens`` rows, and its prompt ids in
``started``); each following step one decode row; its last step lists it as finished.
Every captured layer gets the same rows (one message per layer, row offsets as the
plugin lays them out). Rows are paced to ``tokens_per_s`` (engine tokens, one row per
layer each) for ``duration_s``; the last step finishes every request in flight.

Every ``firing_every``-th request carries a probe's signal from its middle decode token
on (:class:`monitor.bench.soak_traffic.RowPool`); the time its first loud row was handed
to gRPC is kept, to time the alert it raises.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from monitor.artifacts.wire import WireBatch, encode_batch
from monitor.bench.soak_traffic import MAX_MESSAGE_BYTES, POOL_ROWS, VOCAB, RowPool
from monitor.v1 import ingest_pb2


@dataclass
class CapacityStream:
    """One producer's traffic at one offered rate, and what it sent."""

    producer_id: str
    model_name: str
    layers: Sequence[int]
    tokens_per_s: float | None
    """Offered engine tokens per second; None: as fast as gRPC takes them."""
    duration_s: float
    batch: int = 32
    tokens: int = 64
    prompt_tokens: int = 16
    firing_every: int = 0
    """Every n-th request carries the signal; 0: none."""
    seed: int = 0
    tokens_sent: int = field(default=0, init=False)
    rows_sent: int = field(default=0, init=False)
    messages_sent: int = field(default=0, init=False)
    requests: int = field(default=0, init=False)
    elapsed_s: float = field(default=0.0, init=False)
    loud_sent_at: dict[str, float] = field(default_factory=dict, init=False)
    """``time.monotonic()`` when a firing request's first loud row was handed to gRPC."""

    def request_id(self, slot: int, index: int) -> str:
        return f"{self.producer_id}-{slot}-{index}"

    def firing(self, slot: int, index: int) -> bool:
        n = index * self.batch + slot
        return self.firing_every > 0 and n % self.firing_every == self.firing_every - 1


def _step(
    stream: CapacityStream, step: int, last: bool
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, list[str], list[tuple[str, list[int]]]]:
    """Request ids, per-row request index, positions and loudness, finished ids and
    started prompts of one step."""
    t, p = stream.tokens, stream.prompt_tokens
    ids: list[str] = []
    req: list[np.ndarray] = []
    pos: list[np.ndarray] = []
    loud: list[np.ndarray] = []
    finished: list[str] = []
    started: list[tuple[str, list[int]]] = []
    for slot in range(stream.batch):
        offset = slot * t // stream.batch
        if offset and step < t - offset:
            continue  # the slot's first request starts later (requests start staggered)
        k, g = divmod(step + offset, t)
        rid = stream.request_id(slot, k)
        j = len(ids)
        ids.append(rid)
        if g == 0:  # the request starts: its prompt (its first step)
            started.append((rid, [(k * 31 + slot * 7 + i) % VOCAB for i in range(p)]))
            req.append(np.full(p, j))
            pos.append(np.arange(p))
            loud.append(np.zeros(p, dtype=bool))
            stream.requests += 1
        else:
            req.append(np.array([j]))
            pos.append(np.array([p + g - 1]))
            loud.append(np.array([stream.firing(slot, k) and g >= t // 2]))
        if g == t - 1 or last:
            finished.append(rid)
    return ids, np.concatenate(req), np.concatenate(pos), np.concatenate(loud), finished, started


def capacity_messages(stream: CapacityStream, pool: RowPool) -> Iterator[ingest_pb2.IngestMessage]:
    """The producer's whole stream, paced; counts what it hands to gRPC as it goes."""
    yield ingest_pb2.IngestMessage(
        hello=ingest_pb2.Hello(
            producer_id=stream.producer_id,
            model_name=stream.model_name,
            layers=list(stream.layers),
            capture_ok=True,
            plugin_version="bench",
        )
    )
    sequence = row_offset = step = 0
    start = time.monotonic()
    last = False
    while not last:
        now = time.monotonic()
        last = now - start >= stream.duration_s
        if stream.tokens_per_s is not None:
            wait = start + stream.tokens_sent / stream.tokens_per_s - now
            if wait > 0:
                time.sleep(wait)
        ids, req, pos, loud, finished, started = _step(stream, step, last)
        pick = (req * 131 + pos + stream.seed) % POOL_ROWS + POOL_ROWS * loud
        rows = len(pos)
        for i, layer in enumerate(stream.layers):
            batch = WireBatch(
                model_name=stream.model_name,
                layer=layer,
                activations=pool.rows[(pick + 17 * i) % len(pool.rows)] if i else pool.rows[pick],
                dtype=ingest_pb2.DTYPE_BFLOAT16,
                row_offset=row_offset + i * rows,
                request_ids=ids,
                row_request=req,
                positions=pos,
                token_ids=(req * 7 + pos * 13) % VOCAB,
                finished_request_ids=finished if i == len(stream.layers) - 1 else [],
                started=started,
            )
            for message in encode_batch(batch, stream.producer_id, sequence, {}, MAX_MESSAGE_BYTES):
                sequence += 1
                stream.messages_sent += 1
                stream.rows_sent += message.shape[0]
                yield ingest_pb2.IngestMessage(batch=message)
            if i == 0 and loud.any():
                sent_at = time.monotonic()
                for j in np.unique(req[loud]):
                    stream.loud_sent_at.setdefault(ids[j], sent_at)
        stream.tokens_sent += rows
        row_offset += rows * len(stream.layers)
        step += 1
    stream.elapsed_s = time.monotonic() - start
