"""``llm-monitor hub`` as a real process on chDB: pushes in, the usual commands out.

Synthetic sidecars push over real gRPC (no vLLM): what ``query``, ``trace`` and ``watch``
show through the hub is exactly what was pushed, and a hub killed with kill -9 in the
middle of the load and restarted on the same directory has every acknowledged token and
alert, none twice.
"""

from __future__ import annotations

import json
import queue
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from monitor.v1 import fleet_pb2, query_pb2
from tests.integration.hub_process import HubProcess, running_hub
from tests.integration.stack import metric, wait_until
from tests.unit.hub.pushes import LABELS, Sidecar, firing

QUERY_TOKEN = "query-token-0123456789"
INGEST_TOKEN = "ingest-token-0123456789"
RETRIED = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}
CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
]


def cli(*args: str, token_file: Path | None = None) -> subprocess.CompletedProcess[str]:
    flags = ["--token-file", str(token_file)] if token_file is not None else []
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args, *flags],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "query-token"
    path.write_text(QUERY_TOKEN + "\n")
    return path


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProcess]:
    with running_hub(tmp_path / "hub", tokens=[QUERY_TOKEN], ingest_tokens=[INGEST_TOKEN]) as hub:
        yield hub


def lines_of(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """stdout lines of ``process``, read on a thread."""
    out: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            out.put(line)

    threading.Thread(target=read, daemon=True).start()
    return out


def test_query_trace_and_watch_read_the_fleet_through_the_hub(
    hub: HubProcess, token_file: Path
) -> None:
    watch = subprocess.Popen(
        [
            *(sys.executable, "-m", "monitor.cli", "watch", "--json"),
            *("--address", hub.address, "--token-file", str(token_file)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        watched = lines_of(watch)
        subscribed = wait_until(
            lambda: metric(hub.metrics(), "llm_monitor_watch_subscribers", model_name="") == 1,
            30,
        )
        assert subscribed, "llm-monitor watch did not subscribe to the hub"
        a, b = Sidecar("pod-a"), Sidecar("pod-b")
        with hub.channel() as channel:
            ingest = hub.ingest(channel)
            auth = hub.ingest_metadata()
            assert ingest.Push(a.push([a.flagged("r1", 10.0, n=4)]), metadata=auth).acked_seq == 1
            answer = ingest.Push(b.push([b.flagged("r1", 20.0, n=5)], labels=True), metadata=auth)
            assert (answer.acked_seq, answer.need_labels) == (1, False)
            assert ingest.Push(a.push([a.flagged("r2", 30.0, n=3)]), metadata=auth).acked_seq == 2
            alerts = [json.loads(watched.get(timeout=30)) for _ in range(3)]
            assert [(x["source"], x["alert_id"]) for x in alerts] == [
                ("pod-a", "pod-a/r1/a1"),
                ("pod-b", "pod-b/r1/a1"),
                ("pod-a", "pod-a/r2/a1"),
            ]
            assert alerts[2]["top_concepts"][0]["label"] == LABELS.labels[2]
            mine = hub.query(channel).GetTrace(
                query_pb2.GetTraceRequest(request_id="r1", source="pod-a"),
                metadata=hub.query_metadata(),
            )
            assert [t.position for t in mine.tokens] == [0, 1, 2, 3]
    finally:
        watch.terminate()
        watch.wait(10)

    listed = cli("query", "--address", hub.address, "--json", token_file=token_file)
    assert listed.returncode == 0, listed.stderr
    assert [
        (t["source"], t["request_id"], t["token_count"]) for t in json.loads(listed.stdout)
    ] == [
        ("pod-a", "r2", 3),
        ("pod-b", "r1", 5),
        ("pod-a", "r1", 4),
    ]
    newest = cli("trace", "r1", "--address", hub.address, "--json", token_file=token_file)
    assert newest.returncode == 0, newest.stderr
    trace = json.loads(newest.stdout)
    assert trace["summary"]["source"] == "pod-b"  # two sources stored r1: the newest
    assert [t["token_id"] for t in trace["tokens"]] == [1000, 1001, 1002, 1003, 1004]
    assert trace["tokens"][0]["concepts"][0]["label"] == LABELS.labels[0]
    refused = cli("query", "--address", hub.address)  # no token
    assert refused.returncode == 4, refused.stderr


class Pusher(threading.Thread):
    """One synthetic sidecar: pushes its batches in order, each until acknowledged."""

    def __init__(self, hub: HubProcess, source: str, traces: int, tokens: int) -> None:
        super().__init__(name=f"pusher-{source}", daemon=True)
        self.hub = hub
        self.sidecar = Sidecar(source)
        self.pushes = self._pushes(traces, tokens)
        self.acked: list[int] = []
        self.retries = 0
        self.error: BaseException | None = None

    def _pushes(self, traces: int, tokens: int) -> list[fleet_pb2.PushRequest]:
        """Push i flags trace i and continues trace i-1 (so traces span two pushes)."""
        s, half = self.sidecar, tokens // 2
        out = []
        for i in range(traces + 1):
            updates = []
            if i < traces:
                updates.append(s.flagged(f"req-{i}", 100.0 + i, n=half))
            if i > 0:
                request_id = f"req-{i - 1}"
                alert = firing(
                    request_id, f"{s.source}/{request_id}/a2", 100.5 + i, severity="critical"
                )
                updates.append(s.update(f"req-{i - 1}", half, tokens - half, alerts=(alert,)))
            out.append(s.push(updates, labels=i == 0))
        return out

    def run(self) -> None:
        try:
            with grpc.insecure_channel(self.hub.address, options=CHANNEL_OPTIONS) as channel:
                ingest = self.hub.ingest(channel)
                for request in self.pushes:
                    self.acked.append(self._until_acked(ingest, request))
                    time.sleep(random.uniform(0.0, 0.04))
        except BaseException as exc:
            self.error = exc

    def _until_acked(self, ingest: object, request: fleet_pb2.PushRequest) -> int:
        deadline = time.monotonic() + 90
        while True:
            try:
                answer = ingest.Push(  # type: ignore[attr-defined]
                    request, timeout=5, metadata=self.hub.ingest_metadata()
                )
                return int(answer.acked_seq)
            except grpc.RpcError as exc:
                if exc.code() not in RETRIED or time.monotonic() > deadline:
                    raise
                self.retries += 1
                time.sleep(0.1)


def all_traces(hub: HubProcess, channel: grpc.Channel, source: str) -> list[query_pb2.TraceSummary]:
    found: list[query_pb2.TraceSummary] = []
    request = query_pb2.QueryTracesRequest(source=source, page_size=7)
    for _ in range(1000):
        page = hub.query(channel).QueryTraces(request, metadata=hub.query_metadata())
        found.extend(page.traces)
        if not page.next_page_token:
            return found
        request.page_token = page.next_page_token
    raise AssertionError("QueryTraces never ended its pages")


def test_kill_9_mid_load_loses_and_repeats_nothing_acknowledged(hub: HubProcess) -> None:
    traces, tokens = 30, 24
    pushers = [Pusher(hub, f"pod-{n}", traces, tokens) for n in range(3)]
    for pusher in pushers:
        pusher.start()
    third = len(pushers) * (traces + 1) // 3
    assert wait_until(lambda: sum(len(p.acked) for p in pushers) >= third, 60)
    hub.kill()
    time.sleep(0.5)  # pushes fail meanwhile; the pushers keep their batches and retry
    hub.start()
    for pusher in pushers:
        pusher.join(120)
        assert not pusher.is_alive(), f"{pusher.name} did not finish"
        assert pusher.error is None, f"{pusher.name}: {pusher.error!r}\n{hub.log()}"
        assert pusher.acked == list(range(1, traces + 2))
    assert sum(p.retries for p in pushers) > 0, "the kill did not interrupt any push"
    assert hub.starts == 2
    expected_ids = {f"req-{i}" for i in range(traces)}
    with hub.channel() as channel:
        for pusher in pushers:
            source = pusher.sidecar.source
            found = all_traces(hub, channel, source)
            assert [t.request_id for t in found] == [f"req-{i}" for i in reversed(range(traces))]
            assert {t.request_id for t in found} == expected_ids
            assert {t.token_count for t in found} == {tokens}
            for summary in found:
                trace = hub.query(channel).GetTrace(
                    query_pb2.GetTraceRequest(request_id=summary.request_id, source=source),
                    metadata=hub.query_metadata(),
                )
                assert [t.position for t in trace.tokens] == list(range(tokens))
                assert trace.total_tokens == tokens
                assert sorted(a.alert_id for a in trace.summary.alerts) == [
                    f"{source}/{summary.request_id}/a1",
                    f"{source}/{summary.request_id}/a2",
                ]
                assert trace.summary.severity == "critical"
        everything = all_traces(hub, channel, "")
        keys = [(t.source, t.request_id) for t in everything]
        assert len(keys) == len(set(keys)) == len(pushers) * traces
