"""Synthetic decode traffic for ``bench soak``: what a vLLM plugin streams, without vLLM.

One producer is one ``Ingest`` stream: a ``Hello``, then per engine step one message per
captured layer (split like the plugin's at its message size limit) with one row per
active request. Request ``j`` of a producer starts at step ``j`` with its whole prompt as
one chunk (``started`` carries its prompt ids), then adds one decode row per step for
``tokens`` steps; the message of its last step lists it in ``finished_request_ids``.
Starts and finishes are thus staggered, and every request is in flight at once.

Rows are bfloat16 bits (what the default model computes in) drawn from a fixed pool of
standard-normal rows; a *firing* request's rows from its middle decode token on come
from a second pool shifted along a probe's direction, so that a rule on that probe
flags exactly the firing requests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from monitor.artifacts.wire import WireBatch, encode_batch
from monitor.v1 import ingest_pb2

#: The plugin's default message size limit.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
POOL_ROWS = 4096
#: How far firing rows are pushed along the probe direction, in logits (score ~ 0.99999).
SIGNAL_LOGIT = 12.0
VOCAB = 49152


def bf16_bits(rows: npt.NDArray[np.float32]) -> npt.NDArray[np.uint16]:
    """float32 -> the upper 16 bits (bfloat16, truncated)."""
    return (np.ascontiguousarray(rows, dtype="<f4").view("<u4") >> 16).astype("<u2")


@dataclass(frozen=True)
class RowPool:
    """Quiet rows first, then the same rows pushed along the probe direction."""

    rows: npt.NDArray[np.uint16]  # [2 * POOL_ROWS, d_model], bfloat16 bits

    @classmethod
    def build(cls, d_model: int, direction: npt.NDArray[np.float64], seed: int) -> RowPool:
        """``direction`` is a probe's weights: the signal adds ``SIGNAL_LOGIT`` to its logit."""
        rng = np.random.default_rng(seed)
        quiet = rng.standard_normal((POOL_ROWS, d_model), dtype=np.float32)
        shift = (SIGNAL_LOGIT * direction / float(direction @ direction)).astype(np.float32)
        return cls(np.concatenate([bf16_bits(quiet), bf16_bits(quiet + shift)]))


@dataclass
class ProducerPlan:
    """The requests one producer streams in one phase."""

    producer_id: str
    model_name: str
    layer: int
    request_ids: Sequence[str]
    firing: npt.NDArray[np.bool_]  # per request: rows carry the signal from mid-decode on
    prompt_tokens: int
    tokens: int
    seed: int = 0
    steps_per_s: float | None = None  # None: unpaced
    rows_sent: int = field(default=0, init=False)
    messages_sent: int = field(default=0, init=False)

    @property
    def steps(self) -> int:
        return len(self.request_ids) + self.tokens if self.request_ids else 0


def _step_batch(plan: ProducerPlan, pool: RowPool, step: int, row_offset: int) -> WireBatch:
    """Rows of one engine step: the prompt of the request starting now, then one decode row
    for each request started in the last ``tokens`` steps."""
    m, p, t = len(plan.request_ids), plan.prompt_tokens, plan.tokens
    lo, hi = max(0, step - t), min(m, step)  # requests decoding at this step
    decoding = np.arange(lo, hi, dtype=np.int64)
    generated = step - decoding - 1  # index of the decode token of each
    req = [decoding]
    pos = [p + generated]
    loud = [plan.firing[decoding] & (generated >= t // 2)]
    started: list[tuple[str, list[int]]] = []
    if step < m:  # the request starting now: its whole prompt
        prompt_ids = [(step * 31 + i * 7) % VOCAB for i in range(p)]
        started.append((plan.request_ids[step], prompt_ids))
        req.insert(0, np.full(p, step, dtype=np.int64))
        pos.insert(0, np.arange(p, dtype=np.int64))
        loud.insert(0, np.zeros(p, dtype=bool))
    rows_req, rows_pos, rows_loud = np.concatenate(req), np.concatenate(pos), np.concatenate(loud)
    pick = (rows_req * 131 + rows_pos + plan.seed) % POOL_ROWS + POOL_ROWS * rows_loud
    finished = step - t
    return WireBatch(
        model_name=plan.model_name,
        layer=plan.layer,
        activations=pool.rows[pick],
        dtype=ingest_pb2.DTYPE_BFLOAT16,
        row_offset=row_offset,
        request_ids=plan.request_ids,
        row_request=rows_req,
        positions=rows_pos,
        token_ids=(rows_req * 7 + rows_pos * 13) % VOCAB,
        finished_request_ids=[plan.request_ids[finished]] if 0 <= finished < m else [],
        started=started,
    )


def messages(plan: ProducerPlan, pool: RowPool) -> Iterator[ingest_pb2.IngestMessage]:
    """The whole stream of one producer, paced at ``steps_per_s`` when set; counts
    ``rows_sent`` and ``messages_sent`` as each message is handed to gRPC."""
    yield ingest_pb2.IngestMessage(
        hello=ingest_pb2.Hello(
            producer_id=plan.producer_id,
            model_name=plan.model_name,
            layers=[plan.layer],
            capture_ok=True,
            plugin_version="soak",
        )
    )
    sequence = row_offset = 0
    start = time.monotonic()
    for step in range(plan.steps):
        if plan.steps_per_s is not None:
            time.sleep(max(0.0, start + step / plan.steps_per_s - time.monotonic()))
        batch = _step_batch(plan, pool, step, row_offset)
        for message in encode_batch(batch, plan.producer_id, sequence, {}, MAX_MESSAGE_BYTES):
            sequence += 1
            plan.rows_sent += message.shape[0]
            plan.messages_sent += 1
            yield ingest_pb2.IngestMessage(batch=message)
        row_offset += len(batch.positions)
