"""A sink that takes a whole batch (rules, token buffers, the trace sink) ends up exactly
where feeding it each request's ``RequestTokens`` in turn does: same firings (cooldowns
included), same buffered rows and bytes, same trace updates and alerts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitor.artifacts.probe_format import Aggregation
from monitor.artifacts.segments import scope_mask
from monitor.sidecar.alerts.flagging import TraceSink
from monitor.sidecar.alerts.rules import AggregationSpec, Rule, RuleEngine
from monitor.sidecar.alerts.token_buffer import BatchRecords, TokenBuffer
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.records import Firing
from monitor.sidecar.scoring.concepts import ConceptEncoder
from monitor.sidecar.scoring.reading import ReadPlan
from monitor.sidecar.scoring.sinks import RequestResult, RequestTokens
from monitor.sidecar.scoring.token_batch import TokenBatch
from monitor.sidecar.traces.writer import TraceListener, TraceUpdate
from monitor.v1 import query_pb2

from .helpers import LAYER, MODEL

CONCEPTS = ("a", "b")
METHODS = ("mean", "max", "ema", "max_rolling_mean")


def _batch(
    rng: np.random.Generator, requests: list[str], next_position: dict[str, int], ids: bool
) -> TokenBatch:
    """Random scored tokens of ``requests`` (one group each, consecutive positions)."""
    lengths = [1 if rng.random() < 0.7 else int(rng.integers(2, 6)) for _ in requests]
    rows = sum(lengths)
    positions: list[int] = []
    for request, n in zip(requests, lengths, strict=True):
        start = next_position.get(request, 0)
        positions += range(start, start + n)
        next_position[request] = start + n
    starts = np.cumsum([0, *lengths[:-1]]).astype(np.intp)

    def scores() -> np.ndarray:
        return np.where(rng.random(rows) < 0.1, 1.0, rng.random(rows)).astype(np.float32)

    return TokenBatch(
        model_name=MODEL,
        layer=LAYER,
        request_ids=tuple(requests),
        tenants=tuple(str(rng.choice(["", "t1"])) for _ in requests),
        has_prompt=tuple(bool(rng.random() < 0.7) for _ in requests),
        starts=starts,
        lengths=np.asarray(lengths, dtype=np.intp),
        positions=np.asarray(positions, dtype=np.int64),
        token_ids=np.asarray(positions, dtype=np.int64) + 1000,
        scores={c: scores() for c in CONCEPTS},
        thresholds={c: 0.5 for c in CONCEPTS},
        segments=rng.integers(0, 8, size=rows).astype(np.int8),
        sentence_end=rng.random(rows) < 0.3,
        prompt_done=rng.random(rows) < 0.6,
        running={c: scores().astype(np.float64) for c in CONCEPTS},
        counts={c: rng.integers(0, 5, size=rows).astype(np.int64) for c in CONCEPTS},
        concept_ids=rng.integers(0, 99, size=(rows, 2)).astype(np.int32) if ids else None,
        concept_values=rng.random((rows, 2)).astype(np.float32) if ids else None,
    )


def _rules(rng: np.random.Generator) -> list[Rule]:
    rules = []
    for i in range(int(rng.integers(1, 4))):
        method = str(rng.choice(METHODS))
        aggregation = Aggregation(method=method, window=int(rng.integers(1, 4)))  # type: ignore[arg-type]
        own = bool(rng.random() < 0.4)
        scope = None if rng.random() < 0.5 else ["reply", "user"]
        mask = scope_mask(scope)
        plan = ReadPlan(
            (mask,), (mask.tolist(),), (bool(rng.random() < 0.3),), (False,), (aggregation,), False
        )
        rules.append(
            Rule(
                name=f"r{i}",
                concept=str(rng.choice(CONCEPTS)),
                threshold=float(rng.uniform(0.3, 0.95)),
                aggregation=AggregationSpec.of_probe(aggregation),
                min_tokens=int(rng.integers(1, 4)),
                cooldown_s=float(rng.choice([0.0, 2.0])),
                own=own,
                plan=None if rng.random() < 0.3 else plan,
            )
        )
    return rules


def _ids() -> Any:
    count = iter(range(1_000_000))
    return lambda: f"alert-{next(count)}"


def _same_tokens(a: RequestTokens, b: RequestTokens) -> None:
    for name in RequestTokens.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, name
            np.testing.assert_array_equal(x, y, err_msg=name)
        elif isinstance(x, dict) and any(isinstance(v, np.ndarray) for v in x.values()):
            assert list(x) == list(y), name
            for key in x:
                assert x[key].dtype == y[key].dtype, name
                np.testing.assert_array_equal(x[key], y[key], err_msg=name)
        else:
            assert x == y, name


@pytest.mark.parametrize("seed", range(10))
def test_rules_on_a_batch_fire_as_request_by_request(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rules = _rules(rng)
    whole, single = RuleEngine(rules, alert_id=_ids()), RuleEngine(rules, alert_id=_ids())
    positions: dict[str, int] = {}
    now = 1000.0
    for step in range(30):
        now += float(rng.choice([0.0, 1.0, 3.0]))
        requests = [f"q{r}" for r in rng.choice(6, size=int(rng.integers(1, 5)), replace=False)]
        batch = _batch(rng, requests, positions, ids=bool(step % 2))
        fired = whole.evaluate_batch(batch, now)
        expected: list[Firing] = []
        for g in range(len(batch)):
            got = single.evaluate(batch.request(g), now)
            assert fired.get(g, []) == got
            expected += got
        assert [f for g in sorted(fired) for f in fired[g]] == expected
        if rng.random() < 0.3:
            request = requests[0]
            whole.finish(MODEL, request)
            single.finish(MODEL, request)
            positions.pop(request)
        if rng.random() < 0.1:
            rules = [*rules[1:], *_rules(rng)[:1]]
            whole.replace(rules)
            single.replace(rules)
        assert whole.active_requests == single.active_requests


@pytest.mark.parametrize("seed", range(6))
def test_buffer_rows_from_a_batch_equal_appended_tokens(seed: int) -> None:
    rng = np.random.default_rng(seed)
    limit = int(rng.integers(2, 20))
    rows_of: dict[str, TokenBuffer] = {}
    tokens_of: dict[str, TokenBuffer] = {}
    positions: dict[str, int] = {}
    for step in range(25):
        requests = [f"q{r}" for r in rng.choice(5, size=int(rng.integers(1, 4)), replace=False)]
        batch = _batch(rng, requests, positions, ids=step < 12)
        records = BatchRecords(batch)
        for g, request in enumerate(requests):
            grown = rows_of.setdefault(request, TokenBuffer(limit)).append_rows(records, g)
            assert grown == tokens_of.setdefault(request, TokenBuffer(limit)).append(
                batch.request(g)
            )
        for request in requests:
            a, b = rows_of[request], tokens_of[request]
            assert (len(a), a.nbytes) == (len(b), b.nbytes)
            for x, y in zip(a.chunks(MODEL, request), b.chunks(MODEL, request), strict=True):
                _same_tokens(x, y)


class _Writer:
    def __init__(self) -> None:
        self.updates: list[TraceUpdate] = []
        self.listener: TraceListener | None = None

    def listen(self, listener: TraceListener) -> None:
        self.listener = listener

    def submit(self, update: TraceUpdate) -> bool:
        self.updates.append(update)
        assert self.listener is not None
        self.listener.trace_committed(update)
        return True

    def flush(self, timeout: float) -> bool:
        return True

    def close(self, timeout: float) -> bool:
        return True


class _Publisher:
    def __init__(self) -> None:
        self.alerts: list[query_pb2.Alert] = []

    def publish(self, alert: query_pb2.Alert) -> None:
        self.alerts.append(alert)


def _trace_sink(
    rules: list[Rule],
    store: bool,
    *,
    max_buffered_bytes: int = 6000,
    encoders: Mapping[int, ConceptEncoder] | None = None,
) -> tuple[TraceSink, _Writer, _Publisher]:
    writer, publisher = _Writer(), _Publisher()
    sink = TraceSink(
        RuleEngine(rules, alert_id=_ids()),
        SidecarMetrics(CollectorRegistry()),
        store=writer if store else None,
        publisher=publisher,
        max_buffered_tokens=12,
        max_buffered_bytes=max_buffered_bytes,
        max_tokens_per_trace=20,
        clock=lambda: 1000.0,
        encoders=encoders,
    )
    return sink, writer, publisher


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("store", [True, False])
def test_trace_sink_on_batches_equals_request_by_request(seed: int, store: bool) -> None:
    rng = np.random.default_rng(seed)
    rules = _rules(rng)
    whole, whole_writer, whole_alerts = _trace_sink(rules, store)
    single, single_writer, single_alerts = _trace_sink(rules, store)
    positions: dict[str, int] = {}
    for step in range(30):
        requests = [f"q{r}" for r in rng.choice(8, size=int(rng.integers(1, 6)), replace=False)]
        batch = _batch(rng, requests, positions, ids=bool(step % 3))
        whole.on_token_batch(batch)
        for g in range(len(batch)):
            single.on_tokens(batch.request(g))
        if rng.random() < 0.25:
            result = RequestResult(model_name=MODEL, request_id=requests[-1], end="finished")
            whole.on_request_finished(result)
            single.on_request_finished(result)
            positions.pop(requests[-1])
        assert whole.buffered_bytes == single.buffered_bytes
        assert whole.active_requests == single.active_requests
    assert [a.SerializeToString() for a in whole_alerts.alerts] == [
        a.SerializeToString() for a in single_alerts.alerts
    ]
    assert len(whole_writer.updates) == len(single_writer.updates)
    for x, y in zip(whole_writer.updates, single_writer.updates, strict=True):
        assert (x.request_id, x.first_seen, x.last_seen, x.alerts, x.max_scores, x.tenant) == (
            y.request_id,
            y.first_seen,
            y.last_seen,
            y.alerts,
            y.max_scores,
            y.tenant,
        )
        assert len(x.tokens) == len(y.tokens)
        for a, b in zip(x.tokens, y.tokens, strict=True):
            _same_tokens(a, b)
