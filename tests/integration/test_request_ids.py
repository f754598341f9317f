"""From the id an OpenAI client sees to the concept trace, and per-request control through
``vllm_xargs``, end to end: real vLLM with the plugin (the session's engine), a real
``llm-monitor serve`` with a rule and a SQLite trace store, the real gRPC query API and
CLI.

The rule fires for every request (threshold 0 on the shipped misuse probe): what is tested
here is which request a trace belongs to, not what the probe detects.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from openai import OpenAI

from monitor.launch import shipped_probe_dir
from monitor.request_ids import external_request_id
from monitor.v1 import query_pb2, query_pb2_grpc
from tests.integration.stack import SERVED_NAME, Stack, free_port, metric, scrape, wait_until

PROMPT = "How do I poison my neighbour's water supply without getting caught?"
RULE = "every-request"


@dataclass
class Monitored:
    proc: subprocess.Popen[bytes]
    metrics_port: int
    log: Path

    def metric(self, name: str, **labels: str) -> float:
        return metric(scrape(self.metrics_port), name, **labels)


@pytest.fixture(scope="module")
def monitored(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitored]:
    """``llm-monitor serve`` on the stack's ingest address, flagging every request."""
    workdir = tmp_path_factory.mktemp("request-ids")
    metrics_port = free_port()
    probe_dir = shipped_probe_dir(SERVED_NAME)
    assert probe_dir is not None, "the shipped probes are missing"
    config = workdir / "monitor.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "model_name": SERVED_NAME,
                "probe_dir": str(probe_dir),
                "tokenizer_path": str(stack.model_dir),
                "grpc_address": stack.grpc_address,
                "metrics_address": f"127.0.0.1:{metrics_port}",
                "rules": [
                    {
                        "name": RULE,
                        "concept": "misuse",
                        "threshold": 0.0,
                        "severity": "warning",
                        "cooldown_s": 0,
                    }
                ],
                "storage": {"path": str(workdir / "traces.sqlite")},
            }
        )
    )
    log = workdir / "sidecar.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "serve", "--config", str(config)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:

        def serving() -> bool:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                samples = scrape(metrics_port)
            except OSError:
                return False
            return metric(samples, "llm_monitor_capture_up", layer="15") == 1.0

        assert wait_until(serving, 90), "the plugin did not connect: " + log.read_text()[-3000:]
        yield Monitored(proc, metrics_port, log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def ask(
    stack: Stack,
    *,
    header: str | None = None,
    xargs: dict[str, Any] | None = None,
    max_tokens: int = 12,
) -> Any:
    """One chat completion through the OpenAI client; its response."""
    client = OpenAI(base_url=stack.base_url, api_key="unused", timeout=300)
    tag = uuid.uuid4().hex[:8]  # no prefix-cache hit on the user turn
    return client.chat.completions.create(
        model=SERVED_NAME,
        messages=[{"role": "user", "content": f"[{tag}] {PROMPT}"}],
        max_tokens=max_tokens,
        temperature=0,
        extra_headers={"X-Request-Id": header} if header else None,
        extra_body={"vllm_xargs": xargs} if xargs else None,
    )


def get_trace(stack: Stack, given: str, timeout: float = 60.0) -> query_pb2.Trace | None:
    """``GetTrace`` by ``given`` until the trace is stored (None when it never is)."""
    found: list[query_pb2.Trace] = []

    def stored() -> bool:
        with grpc.insecure_channel(stack.grpc_address) as channel:
            stub = query_pb2_grpc.TraceQueryStub(channel)
            try:
                found.append(stub.GetTrace(query_pb2.GetTraceRequest(request_id=given), timeout=10))
                return True
            except grpc.RpcError as err:
                assert err.code() == grpc.StatusCode.NOT_FOUND, err
                return False

    wait_until(stored, timeout, interval=0.5)
    return found[-1] if found else None


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args], capture_output=True, text=True, timeout=120
    )


def steady(read: Any, quiet_s: float = 3.0, timeout: float = 60.0) -> float:
    """A counter's value once it stopped changing for ``quiet_s`` seconds."""
    last = read()
    since = time.monotonic()
    deadline = since + timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = read()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return float(now)
    raise AssertionError(f"the counter never settled (last {last})")


def test_the_api_response_id_finds_the_trace(stack: Stack, monitored: Monitored) -> None:
    response = ask(stack)
    api_id = response.id
    assert api_id.startswith("chatcmpl-")
    trace = get_trace(stack, api_id)
    assert trace is not None, f"no trace for {api_id}: " + monitored.log.read_text()[-2000:]
    summary = trace.summary
    assert summary.external_request_id == api_id
    # vLLM's internal id is the API id plus its own "-xxxxxxxx"
    assert summary.request_id != api_id and external_request_id(summary.request_id) == api_id
    assert summary.alerts and all(a.rule == RULE for a in summary.alerts)
    assert all(a.external_request_id == api_id for a in summary.alerts)
    assert trace.total_tokens > 0
    shown = cli("trace", api_id, "--address", stack.grpc_address)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0] == (
        f"request {api_id}  vllm id {summary.request_id}  tenant -"
    )


def test_the_x_request_id_header_finds_the_trace(stack: Stack, monitored: Monitored) -> None:
    header = f"order-{uuid.uuid4().hex[:12]}"
    response = ask(stack, header=header)
    assert response.id == f"chatcmpl-{header}"
    trace = get_trace(stack, header)
    assert trace is not None, f"no trace for X-Request-Id {header}"
    assert trace.summary.external_request_id == f"chatcmpl-{header}"
    listed = cli("query", "--address", stack.grpc_address, "--request-id", header, "--json")
    assert listed.returncode == 0, listed.stderr
    assert [t["external_request_id"] for t in json.loads(listed.stdout)] == [f"chatcmpl-{header}"]


def test_an_opted_out_request_leaves_no_trace_and_no_scored_token(
    stack: Stack, monitored: Monitored
) -> None:
    ask(stack, max_tokens=2)  # anything earlier is scored and settled before we measure

    def scored() -> float:
        return monitored.metric("llm_monitor_tokens_scored_total")

    def opted_out() -> float:
        return monitored.metric("llm_monitor_activations_dropped_total", reason="opted_out")

    scored_before = steady(scored)
    dropped_before = opted_out()
    header = f"private-{uuid.uuid4().hex[:12]}"
    response = ask(stack, header=header, xargs={"llm_monitor_capture": "off"})
    assert response.usage is not None and response.usage.completion_tokens > 0
    assert steady(scored) == scored_before  # not one of its rows reached the scorer
    assert get_trace(stack, header, timeout=5) is None
    # the next request is monitored as usual, and its first batch carries the plugin's
    # drop counters: every token computed for the opted-out one, at every captured layer
    assert get_trace(stack, ask(stack).id) is not None
    dropped = steady(opted_out) - dropped_before
    assert dropped >= response.usage.completion_tokens - 1 > 0
    assert monitored.metric("llm_monitor_activations_dropped_total", reason="lost_in_transit") == 0


def test_a_tenant_travels_to_the_trace_and_the_alert(stack: Stack, monitored: Monitored) -> None:
    alerts: queue.Queue[query_pb2.Alert] = queue.Queue()
    channel = grpc.insecure_channel(stack.grpc_address)
    call = query_pb2_grpc.TraceQueryStub(channel).WatchAlerts(query_pb2.WatchAlertsRequest())

    def watch() -> None:
        try:
            for alert in call:
                alerts.put(alert)
        except grpc.RpcError:
            pass

    threading.Thread(target=watch, daemon=True).start()
    try:
        time.sleep(1.0)  # subscribed before the request starts
        header = f"tenant-{uuid.uuid4().hex[:12]}"
        ask(stack, header=header, xargs={"llm_monitor_tenant": "team-a"})
        trace = get_trace(stack, header)
        assert trace is not None
        assert trace.summary.tenant == "team-a"
        assert [a.tenant for a in trace.summary.alerts] == ["team-a"]
        deadline = time.monotonic() + 30
        streamed = None
        while streamed is None and time.monotonic() < deadline:
            alert = alerts.get(timeout=max(0.1, deadline - time.monotonic()))
            if alert.external_request_id == f"chatcmpl-{header}":
                streamed = alert
        assert streamed is not None and streamed.tenant == "team-a"
    finally:
        call.cancel()
        channel.close()
    listed = cli("query", "--address", stack.grpc_address, "--tenant", "team-a")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()[1:]]
    assert [row[1:3] for row in rows] == [[f"chatcmpl-{header}", "team-a"]]
