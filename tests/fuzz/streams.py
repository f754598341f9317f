"""Hypothesis strategies for Ingest streams, and what the sidecar must answer to each.

A stream is an optional Hello, some valid batches and an optional last message that is
wrong in one known way (or random bytes). Arrays and strings come from a numpy generator
seeded by Hypothesis, which keeps generation fast and every example reproducible.
Everything producer-named carries the marker ``fz`` so a test can check that no such
value ever became a metric label.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

from monitor.v1 import ingest_pb2
from tests.unit.sidecar.helpers import D_MODEL, LAYER, MODEL, make_batch

MARK = "fz"
HELLO_KINDS = ("ok", "ok", "ok", "down", "none", "wrong_model", "many_layers", "big")
ENDINGS = (
    "none",
    "none",
    "garbage",
    "truncated",
    "empty_message",
    "hello_repeated",
    "model_name",
    "shape",
    "rank",
    "data_size",
    "dtype",
    "row_labels",
    "row_request",
    "non_finite",
    "magnitude",
    "layer",
    "request_ids",
    "uncaptured",
    "finished",
    "dropped",
    "oversized",
)


@dataclass
class Stream:
    """The bytes to send and the answer they must get (reason None: OK)."""

    messages: list[bytes] = field(default_factory=list)
    reason: str | None = None  # the first rejection's reason; "*" when any reason will do
    rows: int = 0  # rows of accepted batches


@dataclass(frozen=True)
class Plan:
    seed: int
    hello: str
    batches: int
    ending: str
    max_list: int
    max_bytes: int


def plans(max_list: int, max_bytes: int) -> st.SearchStrategy[Plan]:
    return st.builds(
        Plan,
        seed=st.integers(0, 2**32 - 1),
        hello=st.sampled_from(HELLO_KINDS),
        batches=st.integers(0, 24),
        ending=st.sampled_from(ENDINGS),
        max_list=st.just(max_list),
        max_bytes=st.just(max_bytes),
    )


def _name(rng: np.random.Generator, what: str, longest: int = 40) -> str:
    """A producer string with the marker, sometimes long or odd."""
    kind = rng.integers(0, 6)
    body = f"{MARK}-{what}-{int(rng.integers(0, 10**6))}"
    if kind == 0:
        return body + "\n" + "x" * int(rng.integers(0, longest * 50))
    if kind == 1:
        return body + "\u202e\x00\u00e9\U0001f600"
    return body


def _hello(rng: np.random.Generator, kind: str, max_bytes: int) -> ingest_pb2.IngestMessage:
    layers = [LAYER, *rng.integers(-5, 2000, size=int(rng.integers(0, 40))).tolist()]
    hello = ingest_pb2.Hello(
        producer_id=_name(rng, "producer"),
        model_name=MODEL,
        layers=layers,
        capture_ok=kind != "down",
        capture_error=_name(rng, "error", 400) if kind == "down" else "",
        plugin_version=_name(rng, "version"),
    )
    if kind == "wrong_model":
        hello.model_name = _name(rng, "model", 3000)
    elif kind == "many_layers":
        hello.layers[:] = rng.integers(0, 2**31 - 1, size=int(rng.integers(1025, 6000))).tolist()
    elif kind == "big":
        hello.capture_error = "e" * (max_bytes + 10)
    return ingest_pb2.IngestMessage(hello=hello)


def _good_batch(rng: np.random.Generator, offset: int) -> ingest_pb2.ActivationBatch:
    rows = int(rng.integers(1, 9))
    scale = float(rng.choice([0.1, 1.0, 30.0, 1e4]))
    acts = (rng.normal(size=(rows, D_MODEL)) * scale).astype(np.float32)
    n_req = int(rng.integers(1, rows + 1))
    ids = [_name(rng, "req") for _ in range(n_req)]
    dtype = int(rng.choice([1, 2, 3]))
    if dtype == ingest_pb2.DTYPE_FLOAT16:
        acts = np.clip(acts, -6e4, 6e4)
    reasons = ["ring_buffer_full", "sidecar_unavailable", "prefix_cache", _name(rng, "why")]
    return make_batch(
        acts,
        request_ids=ids,
        row_request=rng.integers(0, n_req, size=rows).tolist(),
        positions=rng.integers(0, 5000, size=rows).tolist(),
        token_ids=rng.integers(-1, 50000, size=rows).tolist(),
        model_name=str(rng.choice([MODEL, ""])),
        layer=int(rng.choice([LAYER, LAYER, 0, 11])),
        dtype=dtype,
        producer_id=str(rng.choice(["", _name(rng, "producer")])),
        sequence=int(rng.integers(0, 2**63)),
        row_offset=[offset, int(rng.integers(0, 2**63))][int(rng.integers(0, 2))],
        finished=ids[: int(rng.integers(0, n_req + 1))],
        dropped={
            str(rng.choice(reasons)): [0, 5, 2**40, 2**64 - 1][int(rng.integers(0, 4))]
            for _ in range(int(rng.integers(0, 4)))
        },
        uncaptured=[
            (str(rng.choice(ids)), int(rng.integers(0, 2**32)), str(rng.choice(reasons)))
            for _ in range(int(rng.integers(0, rows + 1)))
        ],
        started=[(i, rng.integers(0, 50000, size=int(rng.integers(0, 64))).tolist()) for i in ids],
    )


def _bad(rng: np.random.Generator, plan: Plan) -> tuple[bytes, str]:
    """The last message of a stream ending in ``plan.ending``, and its reason."""
    ending = plan.ending
    if ending == "garbage":
        return rng.bytes(int(rng.integers(1, 3000))), "*"
    if ending == "truncated":  # a batch field announcing more bytes than follow
        return b"\x12\xe8\x07" + rng.bytes(int(rng.integers(0, 900))), "decode"
    if ending == "empty_message":
        return b"", "empty_message"
    if ending == "hello_repeated":
        return _hello(rng, "ok", plan.max_bytes).SerializeToString(), "hello_repeated"
    batch = _good_batch(rng, 0)
    rows = batch.shape[0]
    reason = ending
    if ending == "model_name":
        batch.model_name = _name(rng, "model", 3000)
    elif ending == "shape":
        batch.shape[1] = D_MODEL + int(rng.integers(1, 100))
        batch.layer = LAYER
    elif ending == "rank":
        batch.shape.append(int(rng.integers(0, 2**32)))
        reason = "shape"
    elif ending == "data_size":
        batch.data = batch.data[: -int(rng.integers(1, 4))]
    elif ending == "dtype":
        batch.dtype = int(rng.choice([0, 4, 99]))  # type: ignore[assignment]
    elif ending == "row_labels":
        batch.positions.append(1)
    elif ending == "row_request":
        batch.row_request[0] = len(batch.request_ids) + int(rng.integers(0, 2**31))
        reason = "row_labels"
    elif ending in ("non_finite", "magnitude"):
        acts = np.frombuffer(batch.data, dtype=np.uint8).copy()
        width = {1: 4, 2: 2, 3: 2}[batch.dtype]
        values = {
            1: np.array([np.nan, np.inf, 3e38, -3e38], "<f4"),
            2: np.array([np.nan, np.inf, 6e4, -6e4], "<f2"),
            3: (np.array([np.nan, np.inf, 3e38, -3e38], "<f4").view("<u4") >> 16).astype("<u2"),
        }[batch.dtype]
        pick = values[:2] if ending == "non_finite" else values[2:]
        if ending == "magnitude" and batch.dtype == 2:
            reason = "*"  # float16 cannot exceed 65504; the row is valid
        at = int(rng.integers(0, rows * D_MODEL)) * width
        acts[at : at + width] = np.frombuffer(pick[int(rng.integers(0, 2))].tobytes(), np.uint8)
        batch.data = acts.tobytes()
    elif ending == "layer":
        batch.layer = -int(rng.integers(1, 2**31))
    elif ending == "request_ids":
        batch.request_ids.extend(_name(rng, "req") for _ in range(rows + 1))
        reason = "list_length"
    elif ending == "uncaptured":
        extra = rows + len(batch.request_ids) + 1
        batch.uncaptured.extend(
            ingest_pb2.UncapturedTokens(request_id="r", count=1, reason=_name(rng, "why"))
            for _ in range(extra)
        )
        reason = "list_length"
    elif ending == "finished":
        batch.finished_request_ids.extend(f"{MARK}{i}" for i in range(plan.max_list + 1))
        reason = "list_length"
    elif ending == "dropped":
        batch.dropped.extend(
            ingest_pb2.DropCounter(reason=_name(rng, "drop"), rows=i) for i in range(65)
        )
        reason = "list_length"
    elif ending == "oversized":
        batch.finished_request_ids.extend(["x" * 1000] * (plan.max_bytes // 1000 + 1))
    return ingest_pb2.IngestMessage(batch=batch).SerializeToString(), reason


def build(plan: Plan) -> Stream:
    """The stream of a plan, with the answer the contract requires."""
    rng = np.random.default_rng(plan.seed)
    stream = Stream()
    hello_seen = False

    def reject(reason: str) -> bool:
        if stream.reason is None:
            stream.reason = reason
        return True

    if plan.hello != "none":
        stream.messages.append(_hello(rng, plan.hello, plan.max_bytes).SerializeToString())
        bad_hello = {"wrong_model": "model_name", "many_layers": "list_length", "big": "oversized"}
        if plan.hello in bad_hello:
            reject(bad_hello[plan.hello])
        hello_seen = True
    offset = 0
    for _ in range(plan.batches):
        batch = _good_batch(rng, offset)
        offset += batch.shape[0]
        stream.messages.append(ingest_pb2.IngestMessage(batch=batch).SerializeToString())
        if not hello_seen:
            reject("no_hello")
        elif stream.reason is None:
            stream.rows += batch.shape[0]
    if plan.ending != "none":
        data, reason = _bad(rng, plan)
        stream.messages.append(data)
        if stream.reason is None:
            if not hello_seen and plan.ending == "hello_repeated":
                pass  # the first Hello of the stream: accepted
            elif not hello_seen and reason not in ("decode", "empty_message", "*"):
                reject("no_hello")
            elif reason == "*":
                stream.reason = "*"
            else:
                reject(reason)
    return stream
