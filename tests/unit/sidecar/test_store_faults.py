"""Faults of the trace store with real processes and files: kill -9 during writes, a full
disk, and a trace too large for one gRPC message."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitor.cli.main import main
from monitor.sidecar.alerts.flagging import TraceSink
from monitor.sidecar.alerts.rules import AggregationSpec, Rule, RuleEngine
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.storage_config import StorageConfig
from monitor.sidecar.traces.factory import build_trace_store
from monitor.sidecar.traces.sqlite import SqliteTraceStore
from monitor.v1 import query_pb2

from .helpers import MODEL
from .query_rig import api_server
from .tokens import request_tokens

ALERTS_BEFORE_KILL = 150

# A child process scoring flagged requests into a real store; every alert the sink publishes
# is printed (what a WatchAlerts client would receive) until the parent kills it.
CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import numpy as np
    from prometheus_client import CollectorRegistry
    from monitor.sidecar.alerts.flagging import TraceSink
    from monitor.sidecar.alerts.rules import AggregationSpec, Rule, RuleEngine
    from monitor.sidecar.metrics import SidecarMetrics
    from monitor.sidecar.scoring.sinks import RequestTokens
    from monitor.sidecar.traces.sqlite import SqliteTraceStore

    import threading

    class Printer:  # alerts come from the writer thread and, when lost, the caller's
        lock = threading.Lock()

        def publish(self, alert):
            with self.lock:
                sys.stdout.write(f"{alert.request_id} {int(alert.trace_stored)}\\n")
                sys.stdout.flush()

    store = SqliteTraceStore(Path(sys.argv[1]), retention_s=3600.0, max_batch=32)
    store.start()
    rule = Rule(name="r", concept="deception", threshold=0.5, aggregation=AggregationSpec("max"),
                severity="warning", cooldown_s=0.0)
    sink = TraceSink(RuleEngine([rule]), SidecarMetrics(CollectorRegistry()), store=store,
                     publisher=Printer())
    positions = np.arange(64, dtype=np.int64)
    i = 0
    while True:
        sink.on_tokens(RequestTokens(
            model_name="m", request_id=f"r{i}", layer=0, positions=positions,
            token_ids=positions, scores={"deception": np.full(64, 0.9, dtype=np.float32)},
            aggregates={"deception": 0.9}, thresholds={"deception": 0.5}))
        i += 1
    """
)


def test_no_published_alert_lacks_a_durable_trace_after_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "traces.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    received: list[str] = []
    try:
        assert proc.stdout is not None
        stored_before_kill = 0  # alerts whose trace the child reported committed
        while stored_before_kill < ALERTS_BEFORE_KILL:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "child ended"
            received.append(line.strip())
            stored_before_kill += line.split()[1:] == ["1"]
        proc.send_signal(signal.SIGKILL)  # in the middle of writing
        received += [line.strip() for line in proc.stdout.read().splitlines() if line.strip()]
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    store = SqliteTraceStore(path, retention_s=3600.0)  # restart
    marked = [line.split() for line in received]
    stored = [m[0] for m in marked if len(m) == 2 and m[1] == "1"]  # the last may be cut
    assert stored, "no alert was marked stored"
    missing = [r for r in stored if store.get_trace(r, "m") is None]
    assert missing == []  # alerts of lost traces (queue full) are marked trace_stored=false
    trace = store.get_trace(stored[-1], "m")
    assert trace is not None and trace.total_tokens == 64


def lost(registry: CollectorRegistry, reason: str) -> float:
    value = registry.get_sample_value(
        "llm_monitor_traces_lost_total", {"model_name": MODEL, "reason": reason}
    )
    return value or 0.0


class Collect:
    def __init__(self) -> None:
        self.alerts: list[query_pb2.Alert] = []

    def publish(self, alert: query_pb2.Alert) -> None:
        self.alerts.append(alert)


def test_disk_full_counts_each_lost_trace_once_and_the_writer_recovers(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    metrics = SidecarMetrics(registry)
    config = StorageConfig(path=tmp_path / "t.sqlite", write_attempts=2, retry_backoff_s=0.01)
    store = build_trace_store(config, metrics, MODEL)
    assert isinstance(store, SqliteTraceStore)
    repository = store.repository
    with repository._write_lock:  # no page beyond those the new file has
        conn = repository._writer()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
    store.start()
    publisher = Collect()
    rule = Rule(
        name="r",
        concept="deception",
        threshold=0.5,
        aggregation=AggregationSpec("max"),
        severity="warning",
        cooldown_s=0.0,
    )
    sink = TraceSink(RuleEngine([rule]), metrics, store=store, publisher=publisher)
    for i in range(10):  # each trace written twice: its flagging update and one more
        sink.on_tokens(request_tokens({"deception": [0.9] * 300}, request_id=f"d{i}"))
        sink.on_tokens(request_tokens({"deception": [0.9] * 300}, start=300, request_id=f"d{i}"))
    assert store.flush(30.0)
    assert lost(registry, "disk_full") == 10 and lost(registry, "write_error") == 0
    assert len(publisher.alerts) == 10  # alerting goes on without the disk
    assert store.alive() and store.failing_for() > 0.0
    errors = registry.get_sample_value(
        "llm_monitor_trace_errors_total", {"model_name": MODEL, "stage": "write"}
    )
    assert errors is not None and errors >= 2
    with repository._write_lock:  # space returns
        repository._writer().execute("PRAGMA max_page_count = 1000000")
    sink.on_tokens(request_tokens({"deception": [0.9] * 300}, request_id="after"))
    assert store.flush(30.0)
    assert store.failing_for() == 0.0
    trace = store.get_trace("after")
    assert trace is not None and trace.total_tokens == 300
    assert lost(registry, "disk_full") == 10
    assert store.close(10.0)


def big_tokens(n: int) -> RequestTokens:
    k = 12  # encoder top-k; with long labels a stored token is about 700 bytes
    return request_tokens(
        {"deception": [0.5] * n, "misuse": [0.25] * n},
        concept_ids=np.tile(np.arange(k, dtype=np.int32), (n, 1)),
        concept_values=np.full((n, k), 1.5, dtype=np.float32),
    )


def test_an_8104_token_trace_is_read_whole_through_grpc_and_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from .test_sqlite_store import flagged

    store = SqliteTraceStore(
        tmp_path / "t.sqlite",
        retention_s=3600.0,
        concept_label=lambda concept: f"a-concept-label-as-long-as-real-ones-{concept:05d}",
    )
    store.write_now([flagged("long", at=time.time(), tokens=[big_tokens(8104)])])
    whole = store.get_trace("long", max_tokens=10**6)  # one page holds at most 2000 tokens
    assert whole is not None and whole.next_token_offset == 2000
    assert whole.ByteSize() * 8104 / 2000 > 4 * 2**20  # unpaged: beyond gRPC's default limit
    with api_server(store) as api:
        code = main(["trace", "long", "--address", api.target, "--json"])
        out, err = capsys.readouterr()
    assert code == 0, err
    trace = json.loads(out)
    assert [t["position"] for t in trace["tokens"]] == list(range(8104))
    assert trace["total_tokens"] == 8104
    assert len(trace["tokens"][-1]["concepts"]) == 12
