"""A request's tenant tag, from its start message through scoring into its alerts and
trace; bad tags are dropped and counted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from prometheus_client import CollectorRegistry

from monitor.sidecar.alerts.flagging import TraceSink
from monitor.sidecar.alerts.rules import AggregationSpec, Rule, RuleEngine
from monitor.sidecar.ingest.batches import decode_batch
from monitor.sidecar.ingest.handler import IngestHandler, StreamState
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.scoring.probe_set import build_probe_sets
from monitor.sidecar.scoring.scorer import Pipeline
from monitor.sidecar.traces.sqlite import SqliteTraceStore
from monitor.v1 import ingest_pb2, query_pb2

from .helpers import D_MODEL, MODEL, hello, make_batch, make_probe
from .query_rig import CountingQueue

T0 = 1_700_000_000.0


class Publisher:
    def __init__(self) -> None:
        self.alerts: list[query_pb2.Alert] = []

    def publish(self, alert: query_pb2.Alert) -> None:
        self.alerts.append(alert)


def test_the_tenant_reaches_alerts_and_traces(
    tmp_path: Path, registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    metrics = SidecarMetrics(registry)
    store = SqliteTraceStore(tmp_path / "t.sqlite", retention_s=3600.0)
    store.start()
    publisher = Publisher()
    rule = Rule(
        name="any",
        concept="deception",
        threshold=0.0,  # every request fires
        aggregation=AggregationSpec("max"),
        severity="warning",
        cooldown_s=0.0,
    )
    sink = TraceSink(
        RuleEngine([rule]), metrics, store=store, publisher=publisher, clock=lambda: T0
    )
    pipeline = Pipeline(
        metrics,
        build_probe_sets([make_probe(rng, "deception")]),
        [sink],
        queue_size=4,
        request_ttl_s=60.0,
    )
    acts = rng.normal(size=(2, D_MODEL)).astype(np.float32)
    same = "chatcmpl-same-0a0b0c0d"  # its start comes with its first rows
    early = "chatcmpl-early-1a1b1c1d"  # its start comes a step before its rows
    plain = "chatcmpl-plain-2a2b2c2d"  # no tenant
    for batch in (
        make_batch(acts, request_ids=[same], started=[(same, [1, 2], "team-a")]),
        make_batch(acts[:1], request_ids=[plain], started=[(early, [1], "team-b"), (plain, [1])]),
        make_batch(acts, request_ids=[early], positions=[1, 2], finished=[same, early, plain]),
    ):
        pipeline.process(
            decode_batch(batch, message_bytes=batch.ByteSize(), max_batch_bytes=1 << 30)
        )
    assert store.flush(10.0)
    tenants = {a.external_request_id: a.tenant for a in publisher.alerts}
    assert tenants == {"chatcmpl-same": "team-a", "chatcmpl-early": "team-b", "chatcmpl-plain": ""}
    for given, tenant in (("same", "team-a"), ("chatcmpl-early", "team-b"), (plain, "")):
        trace = store.get_trace(given)
        assert trace is not None and trace.summary.tenant == tenant
        assert [a.tenant for a in trace.summary.alerts] == [tenant]
    store.close()


def test_a_bad_tenant_is_dropped_and_counted(registry: CollectorRegistry) -> None:
    handler = IngestHandler(
        SidecarMetrics(registry), CountingQueue(), max_batch_bytes=1 << 20, expected_model=MODEL
    )
    stream = StreamState()
    handler.handle(hello(), stream)
    acts = np.zeros((1, D_MODEL), dtype=np.float32)
    batch = make_batch(
        acts,
        request_ids=["a"],
        started=[("a", [1], "x" * 65), ("b", [1], "ok\tno"), ("c", [1], "team-c")],
    )
    handler.handle(ingest_pb2.IngestMessage(batch=batch), stream)
    ignored = registry.get_sample_value(
        "llm_monitor_ingest_ignored_total", {"model_name": MODEL, "reason": "tenant"}
    )
    assert ignored == 2
    decoded = decode_batch(batch, message_bytes=batch.ByteSize(), max_batch_bytes=1 << 30)
    assert [(s.request_id, s.tenant) for s in decoded.started] == [
        ("a", ""),
        ("b", ""),
        ("c", "team-c"),
    ]
