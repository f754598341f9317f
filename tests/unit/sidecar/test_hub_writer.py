"""Hub mode's writer: updates are snapshotted, encoded and committed to the outbox (the
durability acknowledgement), within the spool cap, with exact counts of what is refused."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.storage_config import StorageConfig
from monitor.sidecar.traces.factory import build_trace_store, trace_reader_of
from monitor.sidecar.traces.hub_writer import HubTraceWriter, OutboxRepository
from monitor.sidecar.traces.labels import concept_labels
from monitor.sidecar.traces.outbox import NewRow, Outbox
from monitor.sidecar.traces.store import TraceStore
from monitor.sidecar.traces.wire import updates_from_push
from monitor.sidecar.traces.writer import TraceUpdate
from monitor.v1 import fleet_pb2

from .fake_hub import MODEL, Listener, flagged, later

LABELS = concept_labels([f"concept {i}" for i in range(16)])


def dead_address() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"  # closed again: nothing listens


def hub_storage(tmp_path: Path, address: str = "", **hub: Any) -> StorageConfig:
    return StorageConfig(
        backend="hub",
        hub={
            "address": address or dead_address(),
            "spool_path": tmp_path / "outbox.sqlite",
            "drain_timeout_s": 0.5,
            **hub,
        },
    )


def writer(
    tmp_path: Path, registry: CollectorRegistry, address: str = "", **hub: Any
) -> HubTraceWriter:
    store = build_trace_store(
        hub_storage(tmp_path, address, **hub),
        SidecarMetrics(registry),
        MODEL,
        source="pod-a",
        labels=LABELS,
    )
    assert isinstance(store, HubTraceWriter)
    assert trace_reader_of(store) is None
    return store


def spooled_pushes(path: Path) -> list[fleet_pb2.PushRequest]:
    conn = sqlite3.connect(path)
    try:
        return [
            fleet_pb2.PushRequest.FromString(body)
            for (body,) in conn.execute("SELECT body FROM outbox ORDER BY seq")
        ]
    finally:
        conn.close()


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, {"model_name": MODEL, **labels}) or 0.0


def test_flush_returns_once_the_outbox_committed_the_encoded_updates(
    tmp_path: Path, registry: CollectorRegistry
) -> None:
    store = writer(tmp_path, registry)
    listener = Listener()
    store.listen(listener)
    store.start()
    try:
        assert store.submit(flagged("r1"))
        assert store.submit(later("r1", 8))
        assert store.submit(flagged("r2", n=3))
        assert store.flush(10.0)
        assert listener.committed == ["r1", "r1", "r2"]
        assert sample(registry, "llm_monitor_trace_updates_spooled_total") == 3
        assert sample(registry, "llm_monitor_trace_spool_rows") >= 1
        assert sample(registry, "llm_monitor_trace_spool_bytes") == store.outbox.nbytes > 0
    finally:
        store.close(5.0)  # the hub is down: the rows stay
    rows = spooled_pushes(tmp_path / "outbox.sqlite")
    updates = [u for push in rows for u in updates_from_push(push)]
    assert {push.encoder for push in rows} == {LABELS.encoder}
    # the source travels in the push's header (the outbox row's column), and on alerts
    assert [(u.request_id, u.encoder) for u in updates] == [
        ("r1", LABELS.encoder),
        ("r1", LABELS.encoder),
        ("r2", LABELS.encoder),
    ]
    versions = [(u.snapshot.version, u.snapshot.token_count) for u in updates if u.snapshot]
    assert versions == [(1, 8), (2, 16), (1, 3)]
    assert [a.alert_id for u in updates for a in u.alerts] == [
        "alert-r1-1000.0",
        "alert-r2-1000.0",
    ]
    assert rows[0].updates[0].alerts[0].source == "pod-a"
    kept = Outbox(tmp_path / "outbox.sqlite")
    assert kept.labels(LABELS.encoder) == LABELS
    assert {r.source for r in kept.head(10, 10**6, 2**20)} == {"pod-a"}
    kept.close()


def test_a_full_spool_refuses_new_updates_with_exact_counts(
    tmp_path: Path, registry: CollectorRegistry
) -> None:
    one = len(
        fleet_pb2.PushRequest(
            encoder=LABELS.encoder, updates=[fleet_pb2.TraceUpdateMsg()]
        ).SerializeToString()
    )
    assert one > 0
    store = writer(tmp_path, registry, spool_max_mb=0.01)  # 10 KiB
    listener = Listener()
    store.listen(listener)
    store.start()
    submitted = 0
    try:
        for i in range(40):
            assert store.submit(flagged(f"r{i}", n=16))
            submitted += 1
            assert store.flush(10.0)  # one update per transaction
        # a trace refused once stays refused: its later updates too
        refused = [request_id for request_id, _ in listener.lost]
        assert refused, "the spool never filled"
        assert store.submit(later(refused[0], 16))
        submitted += 1
        stored = listener.committed[0]
        assert store.submit(later(stored, 16, n=64))  # a stored trace's update that does not fit
        submitted += 1
        assert store.flush(10.0)
    finally:
        store.close(5.0)
    spooled = sample(registry, "llm_monitor_trace_updates_spooled_total")
    dropped = sample(registry, "llm_monitor_trace_writes_dropped_total", reason="spool_full")
    assert spooled + dropped == submitted
    assert spooled == len(listener.committed) > 0
    assert dropped == len(listener.lost)
    assert {reason for _, reason in listener.lost} == {"spool_full"}
    assert listener.lost[-2:] == [(refused[0], "spool_full"), (stored, "spool_full")]
    lost_traces = sample(registry, "llm_monitor_traces_lost_total", reason="spool_full")
    assert lost_traces == len({request_id for request_id, _ in listener.lost})
    outbox = Outbox(tmp_path / "outbox.sqlite")
    assert 0 < outbox.nbytes <= 0.01 * 2**20
    outbox.close()
    updates = [u for p in spooled_pushes(tmp_path / "outbox.sqlite") for u in updates_from_push(p)]
    assert len(updates) == spooled
    assert all(u.snapshot is not None and u.snapshot.version == 1 for u in updates)


class FailingOutbox(Outbox):
    """Fails the first ``failures`` appends (after encoding: the retry reuses it)."""

    def __init__(self, path: Path, failures: int) -> None:
        super().__init__(path)
        self.failures = failures

    def append(self, rows: Any) -> list[int]:
        if self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("disk I/O error")
        return super().append(rows)


def test_a_retried_transaction_does_not_advance_a_trace_twice(tmp_path: Path) -> None:
    outbox = FailingOutbox(tmp_path / "o.sqlite", failures=2)
    repository = OutboxRepository(
        outbox, source="pod-a", max_bytes=2**20, max_batch_tokens=100, max_row_bytes=2**20
    )
    store = TraceStore(
        repository, write_attempts=3, retry_backoff_s=0.01, refusals=repository.take_refused
    )
    listener = Listener()
    store.listen(listener)
    store.start()
    try:
        assert store.submit(flagged("r1"))
        assert store.submit(later("r1", 8))
        assert store.flush(10.0)
    finally:
        store.close()
    assert listener.committed == ["r1", "r1"]
    rows = outbox.head(10, 1000, 2**20)
    updates = [u for r in rows for u in updates_from_push(fleet_pb2.PushRequest.FromString(r.body))]
    assert [u.snapshot.version for u in updates if u.snapshot] == [1, 2]
    outbox.close()


def test_rows_are_cut_by_tokens_and_an_oversized_update_is_lost(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    repository = OutboxRepository(
        outbox, source="pod-a", max_bytes=2**20, max_batch_tokens=20, max_row_bytes=3000
    )
    store = TraceStore(repository, refusals=repository.take_refused)
    listener = Listener()
    store.listen(listener)
    batch: list[TraceUpdate] = [flagged("a", n=8), flagged("b", n=8), flagged("c", n=8)]
    batch += [flagged("huge", n=200), later("huge", 200)]
    batch += [later("unknown", 0)]  # its flagging update never came: nothing to add to
    store.write_now(batch)
    assert listener.committed == ["a", "b", "c", "unknown"]
    assert listener.lost == [("huge", "write_error"), ("huge", "spool_full")]
    assert [(r.updates, r.tokens) for r in outbox.head(10, 1000, 2**20)] == [(2, 16), (1, 8)]
    outbox.close()


def test_the_outbox_rows_are_appended_one_transaction_per_batch(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    calls: list[list[NewRow]] = []
    append = outbox.append

    def counting(rows: list[NewRow]) -> list[int]:
        calls.append(list(rows))
        return append(rows)

    outbox.append = counting  # type: ignore[method-assign]
    repository = OutboxRepository(
        outbox, source="pod-a", max_bytes=2**20, max_batch_tokens=8, max_row_bytes=2**20
    )
    repository.apply([flagged("a"), flagged("b"), flagged("c")])
    assert [len(rows) for rows in calls] == [3]  # three rows, one commit
    with pytest.raises(RuntimeError, match="stored at the hub"):
        repository.get_trace("a")
    outbox.close()
