from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitor.sidecar.alerts.flagging import TraceSink
from monitor.sidecar.alerts.rules import AggregationSpec, Rule, RuleEngine
from monitor.sidecar.alerts.token_buffer import TokenBuffer, rows
from monitor.sidecar.ingest.batches import DecodedBatch, decode_batch
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.scoring.probe_set import build_probe_sets
from monitor.sidecar.scoring.scorer import Pipeline
from monitor.sidecar.scoring.sinks import RequestResult, RequestTokens
from monitor.sidecar.traces.reader import TraceFilter
from monitor.sidecar.traces.sqlite import SqliteTraceStore
from monitor.sidecar.traces.writer import TraceListener, TraceUpdate
from monitor.v1 import ingest_pb2, query_pb2

from .helpers import D_MODEL, MODEL, make_batch, make_probe
from .tokens import request_tokens

T0 = 1_700_000_000.0


class Writer:
    """A store that commits at once (``auto_commit``) or when told (``commit`` / ``lose``)."""

    def __init__(self, auto_commit: bool = True) -> None:
        self.updates: list[TraceUpdate] = []
        self.listener: TraceListener | None = None
        self.auto_commit = auto_commit

    def listen(self, listener: TraceListener) -> None:
        self.listener = listener

    def submit(self, update: TraceUpdate) -> bool:
        self.updates.append(update)
        if self.auto_commit:
            self.commit(update)
        return True

    def commit(self, update: TraceUpdate) -> None:
        assert self.listener is not None
        self.listener.trace_committed(update)

    def lose(self, update: TraceUpdate, reason: str) -> None:
        assert self.listener is not None
        self.listener.trace_lost(update, reason)

    def flush(self, timeout: float) -> bool:
        return True

    def positions(self, index: int) -> list[int]:
        return [p for chunk in self.updates[index].tokens for p in chunk.positions.tolist()]


class Publisher:
    def __init__(self) -> None:
        self.alerts: list[query_pb2.Alert] = []

    def publish(self, alert: query_pb2.Alert) -> None:
        self.alerts.append(alert)


def max_rule(threshold: float = 0.5, cooldown_s: float = 0.0, severity: str = "warning") -> Rule:
    return Rule(
        name="r",
        concept="deception",
        threshold=threshold,
        aggregation=AggregationSpec("max"),
        severity=severity,  # type: ignore[arg-type]
        cooldown_s=cooldown_s,
    )


def finished(request_id: str = "req-1") -> RequestResult:
    return RequestResult(model_name=MODEL, request_id=request_id, end="finished")


def decoded(batch: ingest_pb2.ActivationBatch) -> DecodedBatch:
    return decode_batch(batch, message_bytes=batch.ByteSize(), max_batch_bytes=1 << 30)


def make_sink(
    registry: CollectorRegistry,
    rules: list[Rule] | None = None,
    max_buffered_tokens: int = 100,
    max_tokens_per_trace: int = 32768,
) -> tuple[TraceSink, Writer, Publisher]:
    writer, publisher = Writer(), Publisher()
    sink = TraceSink(
        RuleEngine([max_rule()] if rules is None else rules),
        SidecarMetrics(registry),
        store=writer,
        publisher=publisher,
        max_buffered_tokens=max_buffered_tokens,
        max_tokens_per_trace=max_tokens_per_trace,
        clock=lambda: T0,
    )
    return sink, writer, publisher


def alerts_total(registry: CollectorRegistry, severity: str = "warning") -> float:
    value = registry.get_sample_value(
        "llm_monitor_alerts_total",
        {"model_name": MODEL, "concept": "deception", "severity": severity},
    )
    return value or 0.0


def notifications_total(registry: CollectorRegistry, severity: str = "warning") -> float:
    value = registry.get_sample_value(
        "llm_monitor_alert_notifications_total",
        {"model_name": MODEL, "concept": "deception", "severity": severity},
    )
    return value or 0.0


def test_unflagged_requests_are_never_written_and_are_forgotten(
    registry: CollectorRegistry,
) -> None:
    sink, writer, publisher = make_sink(registry)
    sink.on_tokens(request_tokens({"deception": [0.1, 0.2]}))
    sink.on_tokens(request_tokens({"deception": [0.3]}, start=2))
    assert sink.active_requests == 1
    sink.on_request_finished(finished())
    assert sink.active_requests == 0
    assert sink.engine.active_requests == 0
    assert writer.updates == [] and publisher.alerts == []


def test_flagged_request_writes_its_alert_then_its_buffer_then_appends(
    registry: CollectorRegistry,
) -> None:
    sink, writer, publisher = make_sink(registry)
    sink.on_tokens(request_tokens({"deception": [0.1, 0.2]}, aggregates={"deception": 0.15}))
    sink.on_tokens(request_tokens({"deception": [0.3, 0.9]}, start=2, aggregates={"x": 0.4}))
    assert len(writer.updates) == 2
    first, buffered = writer.updates
    assert writer.positions(0) == [2, 3]  # the alert's step: its commit waits for no more
    assert [a.position for a in first.alerts] == [3]
    assert writer.positions(1) == [0, 1] and list(buffered.alerts) == []
    for update in (first, buffered):
        assert update.max_scores == {"deception": 0.15, "x": 0.4}
        assert (update.first_seen, update.last_seen) == (T0, T0)
    sink.on_tokens(request_tokens({"deception": [0.95]}, start=4))
    assert len(writer.updates) == 3
    assert writer.positions(2) == [4]
    assert list(writer.updates[2].alerts) == []  # once per request and rule
    assert [a.position for a in publisher.alerts] == [3]
    assert alerts_total(registry) == 1
    sink.on_request_finished(finished())
    assert sink.active_requests == 0


def test_buffer_keeps_only_the_newest_tokens(registry: CollectorRegistry) -> None:
    sink, writer, _ = make_sink(registry, max_buffered_tokens=3)
    sink.on_tokens(request_tokens({"deception": [0.1, 0.1]}))
    sink.on_tokens(request_tokens({"deception": [0.1, 0.1]}, start=2))
    sink.on_tokens(request_tokens({"deception": [0.1, 0.9]}, start=4))
    # this batch with the alert; then the buffer: the newest 3 tokens before it
    assert [writer.positions(0), writer.positions(1)] == [[4, 5], [1, 2, 3]]


def test_rows_slices_every_array() -> None:
    tokens = request_tokens(
        {"a": [0.1, 0.2, 0.3]}, concept_ids=[[1], [2], [3]], concept_values=[[1.0], [2.0], [3.0]]
    )
    last = rows(tokens, 1, 3)
    assert last.positions.tolist() == [1, 2]
    assert last.token_ids.tolist() == [1001, 1002]
    assert last.scores["a"].tolist() == pytest.approx([0.2, 0.3])
    assert last.concept_ids is not None and last.concept_ids.tolist() == [[2], [3]]
    assert last.concept_values is not None and last.concept_values.tolist() == [[2.0], [3.0]]
    assert rows(tokens, 0, 5) is tokens


def test_token_buffer_keeps_every_column_compactly() -> None:
    buffer = TokenBuffer(max_tokens=5)
    for start in range(0, 8, 2):  # 8 tokens through a 5-token buffer
        buffer.append(
            request_tokens(
                {"a": [0.1 * start, 0.1 * start + 0.05]},
                start=start,
                concept_ids=[[start, 1], [start + 1, 1]],
                concept_values=[[0.5, 0.1], [0.6, 0.2]],
            )
        )
    buffer.append(request_tokens({"a": [0.9]}, start=3, layer=9))  # another layer
    assert len(buffer) == 6
    main, other = buffer.chunks(MODEL, "req-1")
    assert main.positions.tolist() == [3, 4, 5, 6, 7]
    assert main.token_ids.tolist() == [1003, 1004, 1005, 1006, 1007]
    assert main.scores["a"].tolist() == pytest.approx([0.25, 0.4, 0.45, 0.6, 0.65])
    assert main.concept_ids is not None and main.concept_ids[:, 0].tolist() == [3, 4, 5, 6, 7]
    assert main.aggregates == {"a": pytest.approx(0.65)}
    assert (other.layer, other.positions.tolist()) == (9, [3])
    assert buffer.nbytes < 5 * 100 + 16 * 40  # column bytes, no per-token objects
    buffer.clear()
    assert len(buffer) == 0 and buffer.nbytes == 0


def test_token_buffer_keeps_the_tail_of_a_long_chunk() -> None:
    buffer = TokenBuffer(max_tokens=3)
    buffer.append(request_tokens({"a": [0.1] * 10}))
    (chunk,) = buffer.chunks(MODEL, "req-1")
    assert chunk.positions.tolist() == [7, 8, 9]


def test_alerts_are_published_only_when_their_trace_is_committed(
    registry: CollectorRegistry,
) -> None:
    sink, writer, publisher = make_sink(registry)
    writer.auto_commit = False
    sink.on_tokens(request_tokens({"deception": [0.9]}, request_id="a"))
    sink.on_tokens(request_tokens({"deception": [0.9]}, request_id="b"))
    assert len(writer.updates) == 2
    assert publisher.alerts == [] and alerts_total(registry) == 0
    assert notifications_total(registry) == 0
    writer.commit(writer.updates[0])
    assert [a.request_id for a in publisher.alerts] == ["a"]
    assert (alerts_total(registry), notifications_total(registry)) == (1, 1)
    writer.lose(writer.updates[1], "disk_full")  # lost (counted by the store): still alerted
    assert [a.request_id for a in publisher.alerts] == ["a", "b"]
    assert (alerts_total(registry), notifications_total(registry)) == (2, 2)


def evictions(registry: CollectorRegistry) -> float:
    value = registry.get_sample_value(
        "llm_monitor_trace_buffer_evictions_total", {"model_name": MODEL}
    )
    return value or 0.0


def test_global_budget_evicts_the_oldest_requests_buffer(registry: CollectorRegistry) -> None:
    one = TokenBuffer(64)
    one.append(request_tokens({"deception": [0.1] * 16}))
    writer = Writer()
    sink = TraceSink(
        RuleEngine([max_rule()]),
        SidecarMetrics(registry),
        store=writer,
        max_buffered_tokens=64,
        max_buffered_bytes=2 * one.nbytes + 1,  # room for two such buffers
        clock=lambda: T0,
    )
    for name in ("a", "b", "c"):
        sink.on_tokens(request_tokens({"deception": [0.1] * 16}, request_id=name))
    assert evictions(registry) == 1
    assert sink.buffered_bytes == 2 * one.nbytes
    sink.on_tokens(request_tokens({"deception": [0.9]}, start=16, request_id="a"))
    sink.on_tokens(request_tokens({"deception": [0.9]}, start=16, request_id="c"))
    assert writer.positions(0) == [16]  # a's buffer was evicted: its trace starts later
    assert [writer.positions(1), writer.positions(2)] == [[16], list(range(16))]
    assert len(writer.updates) == 3
    for name in ("a", "b", "c"):
        sink.on_request_finished(finished(name))
    assert sink.buffered_bytes == 0


def test_stored_tokens_per_trace_are_capped_and_counted_once(registry: CollectorRegistry) -> None:
    sink, writer, _ = make_sink(registry, max_tokens_per_trace=5)
    sink.on_tokens(request_tokens({"deception": [0.1, 0.1, 0.9]}))
    sink.on_tokens(request_tokens({"deception": [0.1, 0.1, 0.1]}, start=3))
    sink.on_tokens(request_tokens({"deception": [0.1]}, start=6))
    assert [writer.positions(i) for i in range(len(writer.updates))] == [[0, 1, 2], [3, 4]]
    truncated = registry.get_sample_value(
        "llm_monitor_traces_truncated_total", {"model_name": MODEL}
    )
    assert truncated == 1


def test_the_cap_keeps_the_oldest_tokens_when_the_buffer_goes_after_the_alert(
    registry: CollectorRegistry,
) -> None:
    sink, writer, _ = make_sink(registry, max_tokens_per_trace=3)
    sink.on_tokens(request_tokens({"deception": [0.1, 0.1]}))
    sink.on_tokens(request_tokens({"deception": [0.1, 0.9]}, start=2))
    # as if written in order: positions 0-2 kept, 3 (with the alert's step) cut
    assert [writer.positions(0), writer.positions(1)] == [[2], [0, 1]]
    assert [a.position for a in writer.updates[0].alerts] == [3]


def test_suppressed_alerts_are_stored_and_counted_but_not_streamed(
    registry: CollectorRegistry,
) -> None:
    sink, writer, publisher = make_sink(registry, rules=[max_rule(cooldown_s=60)])
    sink.on_tokens(request_tokens({"deception": [0.9]}, request_id="a"))
    sink.on_tokens(request_tokens({"deception": [0.9]}, request_id="b"))
    assert [u.request_id for u in writer.updates] == ["a", "b"]
    assert [a.suppressed for u in writer.updates for a in u.alerts] == [False, True]
    assert [a.request_id for a in publisher.alerts] == ["a"]
    assert alerts_total(registry) == 2
    assert notifications_total(registry) == 1


def test_three_harmful_requests_within_the_cooldown_count_three_firings_one_notification(
    tmp_path: Path, registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    """Through the pipeline into a real store: every firing is counted in alerts_total, the
    cooldown only holds back the WatchAlerts notifications of the second and third."""
    metrics = SidecarMetrics(registry)
    store = SqliteTraceStore(tmp_path / "t.sqlite", retention_s=3600.0)
    store.start()
    publisher = Publisher()
    sink = TraceSink(
        RuleEngine([max_rule(threshold=0.0, cooldown_s=60.0)]),  # every request fires
        metrics,
        store=store,
        publisher=publisher,
        clock=lambda: T0,
    )
    pipeline = Pipeline(
        metrics,
        build_probe_sets([make_probe(rng, "deception")]),
        [sink],
        queue_size=4,
        request_ttl_s=60.0,
    )
    acts = rng.normal(size=(2, D_MODEL)).astype(np.float32)
    before = (alerts_total(registry), notifications_total(registry))
    for name in ("harm-1", "harm-2", "harm-3"):
        batch = make_batch(acts, request_ids=[name], positions=[0, 1], finished=[name])
        pipeline.process(decoded(batch))
    assert store.flush(10.0)
    store.close()
    after = (alerts_total(registry), notifications_total(registry))
    assert (after[0] - before[0], after[1] - before[1]) == (3.0, 1.0)
    assert [a.request_id for a in publisher.alerts] == ["harm-1"]
    summaries, _ = store.query_traces(TraceFilter(), 10, "")
    assert sorted(s.request_id for s in summaries) == ["harm-1", "harm-2", "harm-3"]


def test_without_rules_nothing_is_buffered(registry: CollectorRegistry) -> None:
    sink, writer, _ = make_sink(registry, rules=[])
    sink.on_tokens(request_tokens({"deception": [1.0]}))
    assert sink.active_requests == 0 and writer.updates == []


def test_without_a_store_alerts_are_still_published(registry: CollectorRegistry) -> None:
    publisher = Publisher()
    sink = TraceSink(RuleEngine([max_rule()]), SidecarMetrics(registry), publisher=publisher)
    sink.on_tokens(request_tokens({"deception": [1.0]}))
    assert len(publisher.alerts) == 1
    assert (alerts_total(registry), notifications_total(registry)) == (1, 1)


def test_errors_never_reach_the_pipeline(registry: CollectorRegistry) -> None:
    class BrokenPublisher:
        def publish(self, alert: query_pb2.Alert) -> None:
            raise RuntimeError("subscriber gone")

    class BrokenWriter(Writer):
        def submit(self, update: TraceUpdate) -> bool:
            raise OSError("disk full")

    sink = TraceSink(
        RuleEngine([max_rule()]),
        SidecarMetrics(registry),
        store=BrokenWriter(),
        publisher=BrokenPublisher(),
    )
    sink.on_tokens(request_tokens({"deception": [1.0]}))
    broken = RequestTokens(  # scores shorter than positions
        model_name=MODEL,
        request_id="x",
        layer=0,
        positions=np.arange(0, dtype=np.int64),
        token_ids=np.arange(0, dtype=np.int64),
        scores={"deception": np.ones(3, dtype=np.float32)},
        aggregates={},
        thresholds={},
    )
    sink.on_tokens(broken)
    errors = registry.get_sample_value(
        "llm_monitor_trace_errors_total", {"model_name": MODEL, "stage": "sink"}
    )
    assert errors == 2


@pytest.mark.parametrize(
    "setting", ["max_buffered_tokens", "max_buffered_bytes", "max_tokens_per_trace"]
)
def test_rejects_non_positive_limits(registry: CollectorRegistry, setting: str) -> None:
    with pytest.raises(ValueError, match=setting):
        TraceSink(RuleEngine(), SidecarMetrics(registry), **{setting: 0})  # type: ignore[arg-type]


def test_through_the_pipeline_into_sqlite(
    tmp_path: Path, registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    """Pipeline -> sink -> real store: only the request whose score crosses is stored."""
    probe = make_probe(rng, "deception", threshold=0.5)
    metrics = SidecarMetrics(registry)
    store = SqliteTraceStore(tmp_path / "t.sqlite", retention_s=3600.0)
    store.start()
    publisher = Publisher()
    sink = TraceSink(
        RuleEngine([max_rule(threshold=0.0)]),  # fires on the first token of any request
        metrics,
        store=store,
        publisher=publisher,
    )
    pipeline = Pipeline(
        metrics, build_probe_sets([probe]), [sink], queue_size=4, request_ttl_s=60.0
    )
    acts = rng.normal(size=(4, D_MODEL)).astype(np.float32)
    pipeline.process(
        decoded(
            make_batch(
                acts, request_ids=["a", "b"], row_request=[0, 1, 0, 1], positions=[0, 0, 1, 1]
            )
        )
    )
    # a rule that never fires: later tokens of flagged requests are still appended
    sink.engine.replace([max_rule(threshold=2.0)])
    more = make_batch(acts[:2], request_ids=["a"], positions=[2, 3], finished=["a", "b"])
    pipeline.process(decoded(more))
    assert store.flush(10.0)
    store.close()
    summaries, _ = store.query_traces(TraceFilter(), 10, "")
    assert sorted(s.request_id for s in summaries) == ["a", "b"]
    trace = store.get_trace("a")
    assert trace is not None
    assert [t.position for t in trace.tokens] == [0, 1, 2, 3]
    assert [t.token_id for t in trace.tokens] == [100, 102, 100, 101]
    assert set(trace.tokens[0].scores) == {"deception"}
    assert sorted(a.request_id for a in publisher.alerts) == ["a", "b"]
    assert sink.active_requests == 0


def test_requests_are_forgotten_when_the_pipeline_expires_them(
    registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    """The pipeline owns the request table: an idle request it expires leaves the sink
    and the rule engine too, and its later rows reach no sink."""
    now = [T0]
    sink = TraceSink(RuleEngine([max_rule(threshold=2.0)]), SidecarMetrics(registry))
    pipeline = Pipeline(
        SidecarMetrics(CollectorRegistry()),
        build_probe_sets([make_probe(rng, "deception")]),
        [sink],
        queue_size=4,
        request_ttl_s=10.0,
        clock=lambda: now[0],
    )
    acts = rng.normal(size=(1, D_MODEL)).astype(np.float32)
    pipeline.process(decoded(make_batch(acts, request_ids=["late"], positions=[0])))
    now[0] += 5
    pipeline.process(decoded(make_batch(acts, request_ids=["busy"], positions=[0])))
    now[0] += 6
    pipeline.process(decoded(make_batch(acts, request_ids=["busy"], positions=[1])))
    assert pipeline.expire() == 1  # "late" idle for 11 s
    assert sink.active_requests == 1
    assert sink.engine.active_requests == 1


def test_concept_labels_come_from_the_single_encoder() -> None:
    from monitor.sidecar.traces.factory import concept_labeller

    class Encoder:
        layer, d_model, k = 3, D_MODEL, 2

        def encode(self, activations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            raise NotImplementedError

        def label(self, concept_id: int) -> str:
            return f"c{concept_id}"

    label = concept_labeller({3: Encoder()})
    assert label is not None and label(7) == "c7"
    assert concept_labeller({}) is None
    assert concept_labeller({3: Encoder(), 5: Encoder()}) is None


def test_a_buffer_written_after_its_alert_reads_back_in_order(
    tmp_path: Path, registry: CollectorRegistry
) -> None:
    store = SqliteTraceStore(tmp_path / "t.sqlite", retention_s=3600.0)
    store.start()
    publisher = Publisher()
    sink = TraceSink(
        RuleEngine([max_rule()]), SidecarMetrics(registry), store=store, publisher=publisher
    )
    sink.on_tokens(request_tokens({"deception": [0.1, 0.2]}))
    sink.on_tokens(request_tokens({"deception": [0.3, 0.9]}, start=2))
    assert store.flush(10.0)
    store.close()
    trace = store.get_trace("req-1")
    assert trace is not None
    assert [t.position for t in trace.tokens] == [0, 1, 2, 3]
    assert [a.position for a in trace.summary.alerts] == [3]
    assert [a.trace_stored for a in publisher.alerts] == [True]
